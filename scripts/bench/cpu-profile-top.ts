// The functions with the most self time in a V8 .cpuprofile (node --cpu-prof), as a table.
// Also runnable: `npx tsx scripts/bench/cpu-profile-top.ts <file.cpuprofile> [n]`.
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a script lives, shortened: the package in node_modules, or the path under dist/. */
function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist-');
  if (dist >= 0) return url.slice(url.indexOf('/', dist + 1) + 1);
  return url.replace(/^file:\/\//, '') || '(native)';
}

export function topSelfTime(file: string, n: number): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    if (!node) return;
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'}\t${shortUrl(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
  });
  const rows = [...selfUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  const lines = [
    `Top ${n} functions by self time (${(totalUs / 1e6).toFixed(1)} s sampled):`,
    '',
    '| self ms | % | function | where |',
    '|---:|---:|---|---|',
  ];
  for (const [key, us] of rows) {
    const [fn, where] = key.split('\t');
    lines.push(
      `| ${(us / 1000).toFixed(0)} | ${((us / totalUs) * 100).toFixed(1)} | ${fn} | ${where} |`,
    );
  }
  return lines.join('\n');
}

if (require.main === module) {
  const [file, n] = process.argv.slice(2);
  process.stdout.write(`${topSelfTime(file, Number(n ?? 15))}\n`);
}
