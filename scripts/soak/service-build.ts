// The soak drives the BUILT service (tsx has no decorator metadata, so Nest cannot run under
// it). It builds dist/ when missing or older than the sources, then runs a private copy, so
// that a parallel `nest build` (which empties dist/) cannot break a worker restart mid-soak.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(REPO_ROOT, 'dist');
const MAIN = 'apps/api/apps/api/src/main.js';

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds dist/ with `nest build api` unless it is present and newer than apps/ and libs/. */
export function ensureBuilt(log: (line: string) => void): void {
  const main = path.join(DIST, MAIN);
  const sources = Math.max(
    newestSource(path.join(REPO_ROOT, 'apps')),
    newestSource(path.join(REPO_ROOT, 'libs')),
  );
  if (fs.existsSync(main) && fs.statSync(main).mtimeMs >= sources) return;
  log('building the service (nest build api)…');
  execFileSync(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), 'build', 'api'],
    {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    },
  );
}

/** The .js files a complete build has: one per source file of the app and of the libs. */
function expectedOutputs(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!(entry.name === 'testing' && p.includes(`${path.sep}libs${path.sep}`))) walk(p);
      } else if (
        entry.name.endsWith('.ts') &&
        !entry.name.endsWith('.d.ts') &&
        !entry.name.endsWith('.spec.ts')
      ) {
        out.push(path.join('apps/api', path.relative(REPO_ROOT, p)).replace(/\.ts$/, '.js'));
      }
    }
  };
  walk(path.join(REPO_ROOT, 'apps/api/src'));
  for (const lib of fs.readdirSync(path.join(REPO_ROOT, 'libs')))
    walk(path.join(REPO_ROOT, 'libs', lib, 'src'));
  return out;
}

/**
 * Copies a complete dist/ into `dir` next to a node_modules link, and returns the copy's
 * main.js. Node resolves packages by walking up from the requiring file, so the copy finds
 * them. A copy taken while another `nest build` rewrites dist/ is detected and taken again.
 */
export function snapshotDist(dir: string): string {
  const main = path.join(dir, 'dist', MAIN);
  const wanted = expectedOutputs();
  for (let attempt = 0; attempt < 60; attempt++) {
    const before = fs.existsSync(path.join(DIST, MAIN))
      ? fs.statSync(path.join(DIST, MAIN)).mtimeMs
      : -1;
    fs.rmSync(path.join(dir, 'dist'), { recursive: true, force: true });
    try {
      fs.cpSync(DIST, path.join(dir, 'dist'), { recursive: true });
    } catch {
      // dist/ changed under the copy: take it again
    }
    const after = fs.existsSync(path.join(DIST, MAIN))
      ? fs.statSync(path.join(DIST, MAIN)).mtimeMs
      : -2;
    const missing = wanted.filter((f) => !fs.existsSync(path.join(dir, 'dist', f)));
    if (before === after && missing.length === 0) {
      fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
      return main;
    }
    execFileSync('sleep', ['1']);
  }
  throw new Error(
    'dist/ stayed incomplete for 60 s (another build running?): run `npx nest build api` and try again',
  );
}
