// `npm run bench`: the figures of issue 11, never a timed test. Starts its own PostgreSQL
// (fsync on, track_commit_timestamp on) and Redis, runs the BUILT service and the naive floor
// as processes, drives both over HTTP, prints markdown tables and writes
// bench/results/bench-<time>-<commit>.json. bench/README.md says what each figure means.
//
// BENCH_RUNS (3), BENCH_SCALE (1: saga counts and time caps of every phase; 0.2 = quick),
// BENCH_BACKENDS (redis,postgres), BENCH_PHASES (all: c1,c32,c32hot,half,comp32,http32),
// BENCH_WORKER_CONCURRENCY (16), BENCH_SOAK_MINUTES (unset: no soak; set: only the soak),
// BENCH_CPU_PROF=1 (V8 profile of the service; top functions printed), BENCH_SKIP_BUILD=1,
// BENCH_TIMEOUT_MS (1800000), BENCH_NOTE (written into the JSON, e.g. "machine shared").
// BENCH_WORKERS=1,2,3 (scale out, Redis backend only): instead of the phases above, one
// SAGA_ROLE=api process and 1, 2, 3 SAGA_ROLE=worker processes, at 32 and 64 clients.
// BENCH_URL measures a running service instead (no floor, no process figures): with
// BENCH_API_KEY, BENCH_DATABASE_URL (its database: read for the figures, and the bench SKUs
// are added to it), BENCH_REDIS_URL for a Redis-backed one, and BENCH_BACKENDS naming its one
// backend.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import {
  Cleanup,
  runBench,
  startPostgres,
  startRedis,
  type BenchPostgres,
  type BenchRedis,
} from './bench-infra';
import { FinalWatcher, runPhase, type SagaTable } from './bench-load';
import { machineInfo, machineLine, writeResult } from './bench-machine';
import {
  phaseFigures,
  renderReport,
  renderScaleOut,
  type ScaleOutRun,
  type Backend,
  type BackendRun,
  type PhaseFigures,
} from './bench-report';
import {
  REPO_ROOT,
  buildServiceSnapshot,
  startNoopParticipant,
  startScript,
  startService,
  type ServiceProcess,
} from './bench-service';
import { runSoak } from './bench-soak';
import { topSelfTime } from './cpu-profile-top';
import {
  floorDispatchLatency,
  serviceDispatchLatency,
  type DispatchSamples,
} from './dispatch-latency';
import { http5Definition } from './http5-definition';
import { hotOrderInput, orderInput, seedBenchSkus } from './order-input';
import { startCounters, stopCounters } from './pg-counters';
import { UsageRecorder, type TrackedProcess } from './proc-stats';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const SCALE = Math.max(0.01, Number(process.env.BENCH_SCALE ?? 1));
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'redis,postgres')
  .split(',')
  .filter((b): b is Backend => b === 'redis' || b === 'postgres');
const WORKER_CONCURRENCY = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 16);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 30 * 60_000);
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const SAGA_TIMEOUT_MS = 120_000;
/** Dispatch latency is read for at most this many sagas of a phase (a random sample). */
const DISPATCH_SAMPLE = 2000;

const TARGETS = { floorRatio: 1.0, redisSagasPerSecond: 833, dispatchP99Ms: 20 };

interface PhaseSpec {
  name: string;
  label: string;
  clients: number;
  /** Target count at scale 1, and the time after which no new saga starts. */
  sagas: number;
  seconds: number;
  definition: 'order' | 'http5';
  expect: 'COMPLETED' | 'COMPENSATED';
  /** Paced at half the c32 throughput of the same run (capped at half the 833/s target). */
  paced?: boolean;
  /** Every saga orders the demo's same two SKUs (hot stock rows); otherwise one SKU a client. */
  hot?: boolean;
}

/** The service's phases, in the order they run; the floor runs FLOOR_PHASE only. */
const PHASES: PhaseSpec[] = [
  {
    name: 'c1',
    label: 'happy c=1',
    clients: 1,
    sagas: 100,
    seconds: 5,
    definition: 'order',
    expect: 'COMPLETED',
  },
  {
    name: 'c32',
    label: 'happy c=32 (headline)',
    clients: 32,
    sagas: 5000,
    seconds: 25,
    definition: 'order',
    expect: 'COMPLETED',
  },
  {
    name: 'c32hot',
    label: 'happy c=32, 2 shared SKUs',
    clients: 32,
    sagas: 1000,
    seconds: 8,
    definition: 'order',
    expect: 'COMPLETED',
    hot: true,
  },
  {
    name: 'half',
    label: 'happy, half load (paced)',
    clients: 0,
    sagas: 100_000,
    seconds: 10,
    definition: 'order',
    expect: 'COMPLETED',
    paced: true,
  },
  {
    name: 'comp32',
    label: 'compensation c=32',
    clients: 32,
    sagas: 1000,
    seconds: 10,
    definition: 'order',
    expect: 'COMPENSATED',
  },
  {
    name: 'http32',
    label: 'HTTP participant c=32',
    clients: 32,
    sagas: 1000,
    seconds: 10,
    definition: 'http5',
    expect: 'COMPLETED',
  },
];
/** The scale-out phases: the headline load, and twice the clients to feed more workers. */
const SCALE_OUT_PHASES: PhaseSpec[] = [
  { ...PHASES[1], label: 'happy c=32' },
  { ...PHASES[1], name: 'c64', label: 'happy c=64', clients: 64 },
];
const SCALE_OUT_WORKERS = (process.env.BENCH_WORKERS ?? '')
  .split(',')
  .filter(Boolean)
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const FLOOR_PHASE: PhaseSpec = {
  name: 'floor',
  label: 'naive floor c=32',
  clients: 32,
  sagas: 5000,
  seconds: 25,
  definition: 'order',
  expect: 'COMPLETED',
};
const SELECTED = process.env.BENCH_PHASES?.split(',');
const SERVICE_PHASES = PHASES.filter((p) => !SELECTED || SELECTED.includes(p.name));

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

interface Infra {
  main: string | null;
  pg: BenchPostgres | null;
  redis: BenchRedis | null;
  cleanup: Cleanup;
}

function sampleOf<T>(items: T[], n: number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, n);
}

/** The processes whose CPU and memory a phase reports. */
function tracked(infra: Infra, own: Record<string, ServiceProcess | null>): TrackedProcess[] {
  const list: TrackedProcess[] = [{ name: 'driver', pid: process.pid }];
  if (infra.pg) list.push({ name: 'postgres', pid: infra.pg.postmasterPid(), tree: true });
  if (infra.redis?.pid) list.push({ name: 'redis', pid: infra.redis.pid });
  for (const [name, p] of Object.entries(own)) if (p) list.push({ name, pid: p.pid });
  return list;
}

interface Target {
  baseUrl: string;
  apiKey: string;
  db: Client;
  table: SagaTable;
  processes: TrackedProcess[];
  dispatch: (ids: string[]) => Promise<DispatchSamples>;
  /** The queue's Redis (its command counter); null on the PostgreSQL backend. */
  redisUrl: string | null;
}

async function measure(
  spec: PhaseSpec,
  t: Target,
  watcher: FinalWatcher,
  ratePerSecond?: number,
): Promise<PhaseFigures> {
  const counters = await startCounters(t.db, t.redisUrl);
  const usage = new UsageRecorder(() => t.processes);
  usage.start();
  const r = await runPhase({
    baseUrl: t.baseUrl,
    apiKey: t.apiKey,
    db: t.db,
    watcher,
    table: t.table,
    concurrency: spec.clients,
    ratePerSecond,
    total: spec.paced ? spec.sagas : Math.max(spec.clients, Math.round(spec.sagas * SCALE)),
    maxMs: Math.max(5000, spec.seconds * 1000 * SCALE),
    input: orderInputFor(spec),
    expect: spec.expect,
    timeoutMs: SAGA_TIMEOUT_MS,
    definition: spec.definition,
  });
  const used = usage.stop();
  // Backends flush their statistics at most once a second.
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const c = await stopCounters(t.db, t.redisUrl, counters, r.ok);
  const d = await t.dispatch(sampleOf(r.ids, DISPATCH_SAMPLE));
  const f = phaseFigures(r, d, used, c);
  log(
    `  ${spec.name}: ${r.ok}/${r.total} ${spec.expect}, ${f.sagasPerSecond.toFixed(1)} sagas/s, saga p50 ${f.sagaMs.p50.toFixed(0)} ms, dispatch p99 ${f.dispatch.commitToStartMs.p99.toFixed(1)} ms${r.errors.length ? `, ${r.errors.length} errors (${r.errors[0]})` : ''}`,
  );
  return f;
}

const orderInputFor = (spec: PhaseSpec): ((client: number) => unknown) =>
  spec.definition === 'http5'
    ? () => ({})
    : (spec.hot ? hotOrderInput : orderInput)(spec.expect === 'COMPENSATED' ? '000000' : '400001');

async function warmUp(t: Target, watcher: FinalWatcher, definition: 'order' | 'http5') {
  const warm = await runPhase({
    baseUrl: t.baseUrl,
    apiKey: t.apiKey,
    db: t.db,
    watcher,
    table: t.table,
    concurrency: 16,
    total: Math.max(32, Math.round(100 * SCALE)),
    maxMs: 5000,
    input: definition === 'http5' ? () => ({}) : orderInput('400001'),
    expect: 'COMPLETED',
    timeoutMs: SAGA_TIMEOUT_MS,
    definition,
  });
  if (warm.ok === 0)
    throw new Error(`warm-up sagas did not complete: ${warm.errors.slice(0, 3).join('; ')}`);
}

async function flushRedis(redis: BenchRedis | null): Promise<void> {
  if (!redis?.pid) return; // never flush a Redis the bench does not own
  const r = new Redis(redis.url, { maxRetriesPerRequest: 3 });
  await r.flushall();
  r.disconnect();
}

async function runFloor(backend: Backend, run: number, infra: Infra): Promise<PhaseFigures> {
  const databaseUrl = await infra.pg!.createDatabase(`bench_floor_${backend}_${run}`);
  await flushRedis(infra.redis);
  const floor = await startScript(
    'naive-floor.ts',
    {
      FLOOR_DATABASE_URL: databaseUrl,
      FLOOR_REDIS_URL: backend === 'redis' ? infra.redis!.url : '',
      FLOOR_CONCURRENCY: String(WORKER_CONCURRENCY),
    },
    true,
    infra.cleanup,
  );
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const watcher = new FinalWatcher(db, 'naive.saga');
  try {
    const t: Target = {
      baseUrl: floor.baseUrl!,
      apiKey: 'none',
      db,
      table: 'naive.saga',
      processes: tracked(infra, { floor }),
      dispatch: (ids) => floorDispatchLatency(db, ids),
      redisUrl: backend === 'redis' ? infra.redis!.url : null,
    };
    await warmUp(t, watcher, 'order');
    return await measure(FLOOR_PHASE, t, watcher);
  } finally {
    watcher.stop();
    await db.end().catch(() => undefined);
    await floor.stop();
  }
}

/**
 * The service's phases in one fresh database. `workers` 0: one SAGA_ROLE=all process (the
 * default); n > 0: one SAGA_ROLE=api process and n SAGA_ROLE=worker processes.
 */
async function runService(
  backend: Backend,
  run: number,
  infra: Infra,
  floorSagasPerSecond: number | null,
  phaseSpecs: PhaseSpec[] = SERVICE_PHASES,
  workers = 0,
): Promise<Record<string, PhaseFigures>> {
  const external = process.env.BENCH_URL;
  const databaseUrl = external
    ? process.env.BENCH_DATABASE_URL!
    : await infra.pg!.createDatabase(`bench_service_${backend}_${run}_w${workers}`);
  if (!external) await flushRedis(infra.redis);
  const apiKey = external ? process.env.BENCH_API_KEY! : `bench-${randomBytes(16).toString('hex')}`;
  const participant = await startNoopParticipant(infra.cleanup);
  // One directory per service process: only this process's profile is printed.
  const profileDir = CPU_PROF
    ? path.join(REPO_ROOT, 'artifacts/bench/cpu-profile', `${process.pid}-${backend}-${run}`)
    : undefined;
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  const serviceEnv = (role: 'all' | 'api' | 'worker', n: number) => ({
    DATABASE_URL: databaseUrl,
    ...(backend === 'redis' ? { REDIS_URL: infra.redis!.url } : {}),
    SAGA_API_KEYS: apiKey,
    NODE_ENV: 'production',
    SAGA_ROLE: role,
    SAGA_WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    SAGA_RATE_LIMIT_PER_MINUTE: '10000000',
    SAGA_SIGNING_SECRET: signingSecret,
    DATA_DIR: path.join(os.tmpdir(), `sagachart-bench-data-${process.pid}-${n}`),
  });
  const signingSecret = randomBytes(24).toString('hex');
  const service = external
    ? null
    : await startService(
        infra.main!,
        serviceEnv(workers > 0 ? 'api' : 'all', 0),
        infra.cleanup,
        profileDir,
      );
  // Started one after the other: each runs the migrations check against the same database.
  const workerProcesses: ServiceProcess[] = [];
  for (let n = 1; n <= workers; n++)
    workerProcesses.push(await startService(infra.main!, serviceEnv('worker', n), infra.cleanup));
  const baseUrl = external ?? service!.baseUrl!;
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const watcher = new FinalWatcher(db, 'saga.saga_instance');
  const phases: Record<string, PhaseFigures> = {};
  try {
    await seedBenchSkus(db);
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
    const reg = await fetch(`${baseUrl}/api/v1/definitions`, {
      method: 'POST',
      headers,
      body: JSON.stringify(http5Definition(participant.baseUrl!)),
    });
    if (reg.status !== 201 && reg.status !== 200)
      throw new Error(`registering http5: ${reg.status} ${await reg.text()}`);
    const queue =
      backend === 'redis'
        ? { redisUrl: infra.redis!.url, prefix: process.env.SAGA_QUEUE_PREFIX ?? 'sagachart' }
        : ('postgres' as const);
    const t: Target = {
      baseUrl,
      apiKey,
      db,
      table: 'saga.saga_instance',
      processes: external
        ? []
        : tracked(infra, {
            sagachart: service,
            ...Object.fromEntries(workerProcesses.map((w, i) => [`worker${i + 1}`, w])),
            participant,
          }),
      dispatch: (ids) => serviceDispatchLatency(db, ids, queue),
      redisUrl: backend === 'redis' && infra.redis ? infra.redis.url : null,
    };
    await warmUp(t, watcher, 'order');
    if (phaseSpecs.some((p) => p.definition === 'http5')) await warmUp(t, watcher, 'http5');
    for (const spec of phaseSpecs) {
      let rate: number | undefined;
      if (spec.paced) {
        const full = phases.c32?.sagasPerSecond ?? floorSagasPerSecond ?? 20;
        rate = 0.5 * Math.min(TARGETS.redisSagasPerSecond, full);
      }
      phases[spec.name] = await measure(spec, t, watcher, rate);
    }
    return phases;
  } finally {
    watcher.stop();
    await db.end().catch(() => undefined);
    for (const w of workerProcesses) await w.stop();
    await service?.stop();
    await participant.stop();
    if (profileDir) printProfiles(profileDir);
  }
}

function printProfiles(dir: string): void {
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const top = topSelfTime(path.join(dir, file), 15);
    log(`CPU profile ${path.relative(REPO_ROOT, path.join(dir, file))}: top self time`);
    process.stdout.write(`\n${top}\n`);
  }
}

async function main(cleanup: Cleanup): Promise<void> {
  const loadAtStart = os.loadavg();
  const external = Boolean(process.env.BENCH_URL);
  const infra: Infra = {
    main: external ? null : buildServiceSnapshot(cleanup, log),
    pg: external ? null : await startPostgres(cleanup),
    // A running service's Redis is only read (dispatch latency), never flushed.
    redis: external
      ? process.env.BENCH_REDIS_URL
        ? { url: process.env.BENCH_REDIS_URL, pid: null }
        : null
      : await startRedis(cleanup),
    cleanup,
  };
  if (!external && !infra.redis && BACKENDS.includes('redis'))
    throw new Error(
      'no redis-server on PATH (or BENCH_REDIS_URL): run with BENCH_BACKENDS=postgres',
    );
  const machine = await machineInfo(
    infra.pg?.adminUrl ?? process.env.BENCH_DATABASE_URL!,
    BACKENDS,
  );
  log(machineLine(machine));
  const loads = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
  const loadedMachineLine = () =>
    `${machineLine(machine)} Load average at start ${loads(loadAtStart)}, at end ${loads(os.loadavg())}.`;
  /** Writes one results JSON with the note, the machine and the load around the run. */
  const writeFigures = (kind: string, figures: Record<string, unknown>) => {
    const file = writeResult(kind, {
      note: process.env.BENCH_NOTE ?? null,
      machine,
      loadAverage: { start: loadAtStart, end: os.loadavg() },
      ...figures,
    });
    log(`wrote ${path.relative(REPO_ROOT, file)}`);
  };

  const soakMinutes = Number(process.env.BENCH_SOAK_MINUTES ?? 0);
  if (soakMinutes > 0) {
    const soak = await runSoak({
      minutes: soakMinutes,
      infra,
      workerConcurrency: WORKER_CONCURRENCY,
      log,
    });
    process.stdout.write(`${machineLine(machine)}\n\n${soak.markdown}\n`);
    writeFigures('soak', {
      soak: soak.data,
    });
    return;
  }

  if (SCALE_OUT_WORKERS.length > 0) {
    if (external || !infra.redis)
      throw new Error('BENCH_WORKERS needs the bench’s own PostgreSQL and a redis-server');
    const scaleOut: ScaleOutRun[] = [];
    for (let run = 0; run < RUNS; run++) {
      // Rotated like the backends below, so no worker count always runs on a cold cache.
      const counts = SCALE_OUT_WORKERS.map(
        (_, i) => SCALE_OUT_WORKERS[(i + run) % SCALE_OUT_WORKERS.length],
      );
      for (const workers of counts) {
        log(`run ${run + 1}/${RUNS}, redis, 1 api + ${workers} worker process(es)`);
        const phases = await runService('redis', run, infra, null, SCALE_OUT_PHASES, workers);
        scaleOut.push({ run, workers, phases });
      }
    }
    const { markdown, summary } = renderScaleOut(scaleOut, {
      runs: RUNS,
      scale: SCALE,
      phases: SCALE_OUT_PHASES.map((p) => ({ name: p.name, label: p.label })),
      machineLine: loadedMachineLine(),
    });
    process.stdout.write(`${markdown}\n`);
    writeFigures('scaleout', {
      settings: {
        runs: RUNS,
        scale: SCALE,
        workers: SCALE_OUT_WORKERS,
        workerConcurrency: WORKER_CONCURRENCY,
        phases: SCALE_OUT_PHASES,
      },
      summary,
      runs: scaleOut,
    });
    return;
  }

  const results: BackendRun[] = [];
  for (let run = 0; run < RUNS; run++) {
    // Rotate the order so that no backend (and neither the floor nor the service) always
    // runs first on a cold cache.
    const order = BACKENDS.map((_, i) => BACKENDS[(i + run) % BACKENDS.length]);
    for (const backend of order) {
      log(`run ${run + 1}/${RUNS}, ${backend}`);
      const phases: Record<string, PhaseFigures> = {};
      const doFloor = async () => {
        if (!external) phases.floor = await runFloor(backend, run, infra);
      };
      const doService = async () => {
        Object.assign(
          phases,
          await runService(backend, run, infra, phases.floor?.sagasPerSecond ?? null),
        );
      };
      if (run % 2 === 0) {
        await doFloor();
        await doService();
      } else {
        await doService();
        await doFloor();
      }
      results.push({ run, backend, phases });
    }
  }
  const { markdown, summary, ratios } = renderReport(results, {
    runs: RUNS,
    scale: SCALE,
    backends: BACKENDS,
    phases: [FLOOR_PHASE, ...SERVICE_PHASES].map((p) => ({ name: p.name, label: p.label })),
    machineLine: loadedMachineLine(),
    targets: TARGETS,
    soak: null,
  });
  process.stdout.write(`${markdown}\n`);
  writeFigures('bench', {
    settings: {
      runs: RUNS,
      scale: SCALE,
      backends: BACKENDS,
      workerConcurrency: WORKER_CONCURRENCY,
      phases: [FLOOR_PHASE, ...SERVICE_PHASES],
    },
    targets: TARGETS,
    summary,
    ratiosToFloor: ratios,
    runs: results,
  });
}

void runBench(TIMEOUT_MS, log, main);
