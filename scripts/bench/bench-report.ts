// Turns the phases of every run into figures, medians over runs, same-run ratios to the naive
// floor, and the markdown tables the bench prints.
import type { DispatchSamples } from './dispatch-latency';
import type { Counters } from './pg-counters';
import type { PhaseResult } from './bench-load';
import type { PhaseUsage } from './proc-stats';
import { median, percentile } from './bench-stats';

export type Backend = 'redis' | 'postgres';

interface Pcts {
  p50: number;
  p95: number;
  p99: number;
}

const pcts = (v: number[]): Pcts => ({
  p50: percentile(v, 50),
  p95: percentile(v, 95),
  p99: percentile(v, 99),
});

/** What one phase of one run measured (raw samples reduced to percentiles). */
export interface PhaseFigures {
  sagas: number;
  ok: number;
  errors: number;
  firstErrors: string[];
  clients: number;
  ratePerSecond: number | null;
  wallMs: number;
  sagasPerSecond: number;
  sagaMs: Pcts;
  createMs: Pcts;
  dispatch: {
    samples: number;
    commitToStartMs: Pcts;
    commitToEnqueueMs: Pcts;
    enqueueToStartMs: Pcts;
  };
  /** Per process: CPU seconds used in the phase and the peak memory sampled. */
  usage: Record<string, PhaseUsage>;
  /** Statements, WAL and Redis commands per saga. */
  counters: Counters;
}

export function phaseFigures(
  r: PhaseResult,
  d: DispatchSamples,
  usage: Record<string, PhaseUsage>,
  counters: Counters,
): PhaseFigures {
  return {
    sagas: r.total,
    ok: r.ok,
    errors: r.errors.length,
    firstErrors: r.errors.slice(0, 3),
    clients: r.concurrency,
    ratePerSecond: r.ratePerSecond,
    wallMs: Math.round(r.wallMs),
    sagasPerSecond: Number(r.sagasPerSecond.toFixed(2)),
    sagaMs: pcts(r.sagaMs),
    createMs: pcts(r.createMs),
    dispatch: {
      samples: d.commitToStartMs.length,
      commitToStartMs: pcts(d.commitToStartMs),
      commitToEnqueueMs: pcts(d.commitToEnqueueMs),
      enqueueToStartMs: pcts(d.enqueueToStartMs),
    },
    usage,
    counters,
  };
}

export interface BackendRun {
  run: number;
  backend: Backend;
  /** Phase name -> figures; the floor's phase is 'floor'. */
  phases: Record<string, PhaseFigures>;
}

export interface PhaseMeta {
  name: string;
  label: string;
}

/** Medians over runs of every figure of a phase (each figure on its own). */
function medianPhase(rs: PhaseFigures[]): PhaseFigures {
  const m = (f: (p: PhaseFigures) => number) => median(rs.map(f));
  const mp = (f: (p: PhaseFigures) => Pcts): Pcts => ({
    p50: m((p) => f(p).p50),
    p95: m((p) => f(p).p95),
    p99: m((p) => f(p).p99),
  });
  const procs = [...new Set(rs.flatMap((r) => Object.keys(r.usage)))];
  return {
    sagas: m((p) => p.sagas),
    ok: m((p) => p.ok),
    errors: rs.reduce((n, p) => n + p.errors, 0),
    firstErrors: rs.flatMap((p) => p.firstErrors).slice(0, 3),
    clients: m((p) => p.clients),
    ratePerSecond: rs[0].ratePerSecond === null ? null : m((p) => p.ratePerSecond ?? NaN),
    wallMs: m((p) => p.wallMs),
    sagasPerSecond: m((p) => p.sagasPerSecond),
    sagaMs: mp((p) => p.sagaMs),
    createMs: mp((p) => p.createMs),
    dispatch: {
      samples: m((p) => p.dispatch.samples),
      commitToStartMs: mp((p) => p.dispatch.commitToStartMs),
      commitToEnqueueMs: mp((p) => p.dispatch.commitToEnqueueMs),
      enqueueToStartMs: mp((p) => p.dispatch.enqueueToStartMs),
    },
    usage: Object.fromEntries(
      procs.map((name) => [
        name,
        {
          cpuSeconds: m((p) => p.usage[name]?.cpuSeconds ?? NaN),
          peakMemoryBytes: m((p) => p.usage[name]?.peakMemoryBytes ?? NaN),
        },
      ]),
    ),
    counters: {
      statementsPerSaga: m((p) => p.counters.statementsPerSaga),
      commitsPerSaga: m((p) => p.counters.commitsPerSaga),
      walBytesPerSaga: m((p) => p.counters.walBytesPerSaga),
      redisCommandsPerSaga:
        rs[0].counters.redisCommandsPerSaga === null
          ? null
          : m((p) => p.counters.redisCommandsPerSaga ?? NaN),
      // The statements of the median run by throughput: lists do not have a median.
      topStatements: [...rs].sort((a, b) => a.sagasPerSecond - b.sagasPerSecond)[
        Math.floor((rs.length - 1) / 2)
      ].counters.topStatements,
    },
  };
}

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : 'n/a');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const mib = (b: number) => (Number.isFinite(b) && b > 0 ? f0(b / 2 ** 20) : '–');

/** The process columns of the CPU and memory tables, in this order when present. */
const PROCESS_ORDER = [
  'sagachart',
  'worker1',
  'worker2',
  'worker3',
  'floor',
  'postgres',
  'redis',
  'participant',
  'driver',
];

export interface Targets {
  floorRatio: number;
  redisSagasPerSecond: number;
  dispatchP99Ms: number;
}

export function renderReport(
  results: BackendRun[],
  meta: {
    runs: number;
    scale: number;
    backends: Backend[];
    phases: PhaseMeta[];
    machineLine: string;
    targets: Targets;
    soak: string | null;
  },
) {
  const summary: Record<string, Record<string, PhaseFigures>> = {};
  for (const backend of meta.backends) {
    summary[backend] = {};
    for (const p of meta.phases) {
      const rs = results.filter((r) => r.backend === backend && r.phases[p.name]);
      if (rs.length) summary[backend][p.name] = medianPhase(rs.map((r) => r.phases[p.name]));
    }
  }
  // Ratio within each run (same machine state), then the median over runs.
  const ratios = Object.fromEntries(
    meta.backends.map((backend) => {
      const perRun = results
        .filter((r) => r.backend === backend && r.phases.floor && r.phases.c32)
        .map((r) => r.phases.c32.sagasPerSecond / r.phases.floor.sagasPerSecond);
      return [backend, { median: median(perRun), perRun: perRun.map((v) => Number(v.toFixed(3))) }];
    }),
  );

  const lines: string[] = [];
  const table = (head: string[], rows: string[][], align = head.map((_, i) => i > 1)) => {
    lines.push(`| ${head.join(' | ')} |`, `|${align.map((r) => (r ? '---:' : '---')).join('|')}|`);
    for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
    lines.push('');
  };
  const each = (fn: (b: Backend, p: PhaseMeta, x: PhaseFigures) => string[]) =>
    meta.backends.flatMap((b) =>
      meta.phases.filter((p) => summary[b][p.name]).map((p) => fn(b, p, summary[b][p.name])),
    );

  lines.push(
    `## sagachart bench: ${meta.runs} run(s), medians, scale ${meta.scale}`,
    '',
    meta.machineLine,
    '',
  );
  lines.push(
    'Throughput and latency (saga = created_at to finished_at as recorded; dispatch = a step commit to the next step job started):',
    '',
  );
  table(
    [
      'backend',
      'scenario',
      'clients',
      'sagas',
      'sagas/s',
      'saga p50 ms',
      'p95',
      'p99',
      'dispatch p50 ms',
      'p99',
      'errors',
    ],
    each((b, p, x) => [
      b,
      p.label,
      x.ratePerSecond ? `${f0(x.ratePerSecond)}/s (≤${f0(x.clients)})` : f0(x.clients),
      f0(x.ok),
      f1(x.sagasPerSecond),
      f0(x.sagaMs.p50),
      f0(x.sagaMs.p95),
      f0(x.sagaMs.p99),
      f1(x.dispatch.commitToStartMs.p50),
      f1(x.dispatch.commitToStartMs.p99),
      f0(x.errors),
    ]),
  );
  lines.push(
    'sagachart c=32 happy path as a ratio of the naive floor, measured within each run:',
    '',
  );
  table(
    ['backend', 'floor sagas/s', 'sagachart sagas/s', 'ratio (median)', 'per run'],
    meta.backends.map((b) => [
      b,
      f1(summary[b].floor?.sagasPerSecond ?? NaN),
      f1(summary[b].c32?.sagasPerSecond ?? NaN),
      f2(ratios[b].median),
      ratios[b].perRun.map(f2).join(', '),
    ]),
    [false, true, true, true, true],
  );
  lines.push('Where the dispatch latency goes (ms; p50 / p99):', '');
  table(
    ['backend', 'scenario', 'commit → job added', 'job added → started', 'samples'],
    each((_b, _p, x) => [
      _b,
      _p.label,
      `${f1(x.dispatch.commitToEnqueueMs.p50)} / ${f1(x.dispatch.commitToEnqueueMs.p99)}`,
      `${f1(x.dispatch.enqueueToStartMs.p50)} / ${f1(x.dispatch.enqueueToStartMs.p99)}`,
      f0(x.dispatch.samples),
    ]),
  );
  const procs = PROCESS_ORDER.filter((n) =>
    Object.values(summary).some((ph) => Object.values(ph).some((x) => n in x.usage)),
  );
  lines.push(
    'CPU seconds per process during each phase (postgres = postmaster and all its backends), and CPU ms per completed saga over all of them:',
    '',
  );
  table(
    ['backend', 'scenario', ...procs, 'wall s', 'CPU ms / saga'],
    each((b, p, x) => {
      const total = procs.reduce((n, name) => n + (x.usage[name]?.cpuSeconds ?? 0), 0);
      return [
        b,
        p.label,
        ...procs.map((name) => f1(x.usage[name]?.cpuSeconds ?? NaN)),
        f1(x.wallMs / 1000),
        f1((total * 1000) / x.ok),
      ];
    }),
  );
  lines.push(
    'Peak memory per process during each phase (MiB; RSS sampled each second; postgres = summed Pss of its processes):',
    '',
  );
  table(
    ['backend', 'scenario', ...procs],
    each((b, p, x) => [b, p.label, ...procs.map((name) => mib(x.usage[name]?.peakMemoryBytes))]),
  );
  lines.push(
    "What each completed saga asked of PostgreSQL and Redis (counts; the bench driver's own queries left out):",
    '',
  );
  table(
    ['backend', 'scenario', 'SQL statements', 'COMMITs', 'WAL KiB', 'Redis commands'],
    each((b, p, x) => [
      b,
      p.label,
      f1(x.counters.statementsPerSaga),
      f1(x.counters.commitsPerSaga),
      f1(x.counters.walBytesPerSaga / 1024),
      x.counters.redisCommandsPerSaga === null ? '–' : f1(x.counters.redisCommandsPerSaga),
    ]),
  );
  lines.push('The statements that took the most PostgreSQL time (floor and headline phase):', '');
  table(
    ['backend', 'scenario', 'calls / saga', 'total ms', 'mean ms', 'statement'],
    meta.backends.flatMap((b) =>
      ['floor', 'c32']
        .filter((name) => summary[b][name])
        .flatMap((name) =>
          summary[b][name].counters.topStatements
            .slice(0, 6)
            .map((st) => [
              b,
              meta.phases.find((p) => p.name === name)!.label,
              f1(st.callsPerSaga),
              f0(st.totalMs),
              f2(st.meanMs),
              `\`${st.query.replace(/\|/g, '\\|')}\``,
            ]),
        ),
    ),
    [false, false, true, true, true, false],
  );
  const t = meta.targets;
  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  const targetRows: string[][] = [];
  for (const b of meta.backends) {
    const r = ratios[b].median;
    targetRows.push([
      `≥ ${t.floorRatio} × floor (${b})`,
      f2(r),
      Number.isFinite(r) ? met(r >= t.floorRatio) : 'n/a',
    ]);
  }
  const redisC32 = summary.redis?.c32?.sagasPerSecond ?? NaN;
  targetRows.push([
    `≥ ${t.redisSagasPerSecond} sagas/s (redis, c=32)`,
    f1(redisC32),
    Number.isFinite(redisC32) ? met(redisC32 >= t.redisSagasPerSecond) : 'n/a',
  ]);
  for (const b of meta.backends) {
    const half = summary[b].half;
    const p99 = half?.dispatch.commitToStartMs.p99 ?? NaN;
    targetRows.push([
      `p99 dispatch ≤ ${t.dispatchP99Ms} ms at half load (${b}${half ? `, ${f0(half.ratePerSecond ?? NaN)} sagas/s` : ''})`,
      f1(p99),
      Number.isFinite(p99) ? met(p99 <= t.dispatchP99Ms) : 'n/a',
    ]);
  }
  targetRows.push([
    'memory flat over a 10-minute run',
    meta.soak ?? 'not measured in this run (BENCH_SOAK_MINUTES=10)',
    meta.soak ? 'see the soak table' : 'n/a',
  ]);
  lines.push('Targets of issue 11:', '');
  table(['target', 'measured', ''], targetRows, [false, true, false]);
  return { markdown: lines.join('\n'), summary, ratios };
}

export interface ScaleOutRun {
  run: number;
  /** SAGA_ROLE=worker processes beside the one SAGA_ROLE=api process ('sagachart'). */
  workers: number;
  phases: Record<string, PhaseFigures>;
}

/** The BENCH_WORKERS table: per worker count and phase, the medians over runs. */
export function renderScaleOut(
  results: ScaleOutRun[],
  meta: { runs: number; scale: number; phases: PhaseMeta[]; machineLine: string },
) {
  const counts = [...new Set(results.map((r) => r.workers))].sort((a, b) => a - b);
  const summary: Record<string, Record<string, PhaseFigures>> = {};
  for (const w of counts) {
    summary[w] = {};
    for (const p of meta.phases) {
      const rs = results.filter((r) => r.workers === w && r.phases[p.name]);
      if (rs.length) summary[w][p.name] = medianPhase(rs.map((r) => r.phases[p.name]));
    }
  }
  const cpu = (x: PhaseFigures, names: (n: string) => boolean) =>
    Object.entries(x.usage)
      .filter(([n]) => names(n))
      .reduce((s, [, u]) => s + u.cpuSeconds, 0);
  const lines = [
    `## sagachart scale-out: ${meta.runs} run(s), medians, scale ${meta.scale}, Redis backend`,
    '',
    meta.machineLine,
    '',
    'One SAGA_ROLE=api process (HTTP only) and n SAGA_ROLE=worker processes sharing one PostgreSQL and one Redis:',
    '',
    '| workers | scenario | sagas/s | saga p50 ms | p99 | dispatch p99 ms | CPU s: api | workers | postgres | redis | CPU ms / saga | errors |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const w of counts)
    for (const p of meta.phases) {
      const x = summary[w][p.name];
      if (!x) continue;
      const total = cpu(x, () => true);
      lines.push(
        `| ${w} | ${p.label} | ${f1(x.sagasPerSecond)} | ${f0(x.sagaMs.p50)} | ${f0(x.sagaMs.p99)} | ${f1(x.dispatch.commitToStartMs.p99)} | ${f1(cpu(x, (n) => n === 'sagachart'))} | ${f1(cpu(x, (n) => n.startsWith('worker')))} | ${f1(cpu(x, (n) => n === 'postgres'))} | ${f1(cpu(x, (n) => n === 'redis'))} | ${f1((total * 1000) / x.ok)} | ${f0(x.errors)} |`,
      );
    }
  lines.push('');
  return { markdown: lines.join('\n'), summary };
}
