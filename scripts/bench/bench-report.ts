// Turns the runs into medians, same-run ratios and markdown tables.
import type { PhaseResult } from './bench-load';
import { median, percentile } from './bench-stats';

export interface ConfigRun {
  config: string;
  run: number;
  phases: Record<string, PhaseResult>;
  /** RSS of each service process after the run (api first). */
  rssBytes: number[];
}

interface PhaseMeta {
  name: string;
  concurrency: number;
  expect: string;
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const label = (p: PhaseMeta) =>
  p.expect === 'COMPENSATED' ? `compensating c=${p.concurrency}` : `c=${p.concurrency}`;

export function renderReport(
  results: ConfigRun[],
  configs: string[],
  machine: Record<string, unknown>,
  meta: { runs: number; scale: number; phases: readonly PhaseMeta[] },
) {
  const runsOf = (config: string) => results.filter((r) => r.config === config);
  const summary = configs.map((config) => {
    const runs = runsOf(config);
    const phases = Object.fromEntries(
      meta.phases.map((p) => {
        const rs = runs.map((r) => r.phases[p.name]);
        return [
          p.name,
          {
            sagasPerSecond: median(rs.map((r) => r.sagasPerSecond)),
            perRun: rs.map((r) => Number(r.sagasPerSecond.toFixed(2))),
            sagas: rs.map((r) => r.ok),
            errors: rs.reduce((n, r) => n + r.errors.length, 0),
            createMs: {
              p50: median(rs.map((r) => percentile(r.createMs, 50))),
              p95: median(rs.map((r) => percentile(r.createMs, 95))),
              p99: median(rs.map((r) => percentile(r.createMs, 99))),
            },
            completeMs: {
              p50: median(rs.map((r) => percentile(r.completeMs, 50))),
              p95: median(rs.map((r) => percentile(r.completeMs, 95))),
            },
          },
        ];
      }),
    );
    const rssMiB = median(runs.map((r) => r.rssBytes.reduce((a, b) => a + b, 0) / 2 ** 20));
    const rssPerProcessMiB =
      runs[0]?.rssBytes.map((_, i) => median(runs.map((r) => r.rssBytes[i] / 2 ** 20))) ?? [];
    return { config, phases, rssMiB, rssPerProcessMiB };
  });

  // Ratios within one run (same machine state), then the median over runs.
  const base = configs[0];
  const ratios = configs.slice(1).map((other) => {
    const perPhase = Object.fromEntries(
      meta.phases.map((p) => {
        const values = [];
        for (let run = 0; run < meta.runs; run++) {
          const a = results.find((r) => r.config === base && r.run === run)?.phases[p.name];
          const b = results.find((r) => r.config === other && r.run === run)?.phases[p.name];
          if (a && b && a.sagasPerSecond > 0) values.push(b.sagasPerSecond / a.sagasPerSecond);
        }
        return [
          p.name,
          { median: median(values), perRun: values.map((v) => Number(v.toFixed(3))) },
        ];
      }),
    );
    return { ratio: `${other} / ${base}`, phases: perPhase };
  });

  const lines: string[] = [];
  lines.push(
    `## sagachart bench (${meta.runs} runs per configuration, medians; scale ${meta.scale})`,
    '',
  );
  lines.push(
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.postgres} (embedded, fsync on; one-row commit p50 ${machine.pgCommitP50Ms} ms)${machine.redis ? `, Redis ${machine.redis}` : ''}.`,
    '',
  );
  lines.push(
    'Throughput of order sagas (sagas/s, closed loop: each client waits for its saga to end):',
    '',
  );
  lines.push(
    `| configuration | ${meta.phases.map(label).join(' | ')} | RSS after run (MiB) | errors |`,
  );
  lines.push(`|---|${meta.phases.map(() => '---:').join('|')}|---:|---:|`);
  for (const s of summary) {
    const errors = Object.values(s.phases).reduce((n, p) => n + p.errors, 0);
    const rss =
      s.rssPerProcessMiB.length > 1
        ? `${f1(s.rssMiB)} (${s.rssPerProcessMiB.map(f1).join(' + ')})`
        : f1(s.rssMiB);
    lines.push(
      `| ${s.config} | ${meta.phases.map((p) => f1(s.phases[p.name].sagasPerSecond)).join(' | ')} | ${rss} | ${errors} |`,
    );
  }
  lines.push(
    '',
    'Latency (ms): create = POST /api/v1/sagas round trip; complete = createdAt to finishedAt of the saga:',
    '',
  );
  lines.push(
    '| configuration | load | create p50 | create p95 | create p99 | complete p50 | complete p95 |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|');
  for (const s of summary) {
    for (const p of meta.phases) {
      const x = s.phases[p.name];
      lines.push(
        `| ${s.config} | ${label(p)} | ${f1(x.createMs.p50)} | ${f1(x.createMs.p95)} | ${f1(x.createMs.p99)} | ${f1(x.completeMs.p50)} | ${f1(x.completeMs.p95)} |`,
      );
    }
  }
  if (ratios.length) {
    lines.push(
      '',
      'Throughput ratios measured within the same run (median, per-run values in brackets):',
      '',
    );
    lines.push(`| ratio | ${meta.phases.map(label).join(' | ')} |`);
    lines.push(`|---|${meta.phases.map(() => '---:').join('|')}|`);
    for (const r of ratios) {
      lines.push(
        `| ${r.ratio} | ${meta.phases.map((p) => `${f2(r.phases[p.name].median)} [${r.phases[p.name].perRun.map(f2).join(', ')}]`).join(' | ')} |`,
      );
    }
  }
  return { markdown: lines.join('\n'), summary: { configs: summary, ratios } };
}
