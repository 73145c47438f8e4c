// `npm run bench`: figures, never a timed test. Starts its own PostgreSQL (fsync on) and, when
// redis-server is on PATH, its own Redis; runs the BUILT service as processes and drives it
// over HTTP. Prints markdown tables and writes artifacts/bench/bench-<time>.json.
//
// BENCH_RUNS (3), BENCH_SCALE (1: saga counts per phase), BENCH_SPLIT (1: also api + 1 worker),
// BENCH_TIMEOUT_MS (1200000), BENCH_SKIP_BUILD=1 (use dist/ as it is).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { Cleanup, startPostgres, startRedis } from './bench-infra';
import { FinalWatcher, runPhase, type PhaseResult } from './bench-load';
import { median } from './bench-stats';
import { renderReport, type ConfigRun } from './bench-report';
import {
  REPO_ROOT,
  buildServiceSnapshot,
  startService,
  type ServiceProcess,
} from './bench-service';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const SCALE = Math.max(0.05, Number(process.env.BENCH_SCALE ?? 1));
const SPLIT = process.env.BENCH_SPLIT !== '0';
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 20 * 60_000);
const PHASE_TIMEOUT_MS = 120_000;

const orderInput = (postalCode: string) => ({
  customerId: 'c-bench',
  items: [
    { sku: 'IPHONE-15', quantity: 1 },
    { sku: 'AIRPODS', quantity: 2 },
  ],
  payment: { token: 'tok_ok' },
  shippingAddress: { line1: '1 Marine Drive', city: 'Mumbai', postalCode },
});

/** The measured phases of one configuration run, in order. */
const PHASES = [
  { name: 'c1', concurrency: 1, total: 20, expect: 'COMPLETED', postalCode: '400001' },
  { name: 'c16', concurrency: 16, total: 96, expect: 'COMPLETED', postalCode: '400001' },
  { name: 'c64', concurrency: 64, total: 192, expect: 'COMPLETED', postalCode: '400001' },
  { name: 'comp16', concurrency: 16, total: 96, expect: 'COMPENSATED', postalCode: '000000' },
] as const;

interface Config {
  name: string;
  backend: 'postgres' | 'redis';
  split: boolean;
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function runConfig(
  config: Config,
  run: number,
  ctx: {
    main: string;
    createDatabase: (n: string) => Promise<string>;
    redisUrl: string | null;
    cleanup: Cleanup;
  },
): Promise<ConfigRun> {
  const databaseUrl = await ctx.createDatabase(`bench_${config.name.replace(/\W/g, '_')}_${run}`);
  const apiKey = `bench-${randomBytes(16).toString('hex')}`;
  const env = {
    DATABASE_URL: databaseUrl,
    ...(config.backend === 'redis' ? { REDIS_URL: ctx.redisUrl! } : {}),
    SAGA_API_KEYS: apiKey,
    NODE_ENV: 'production',
    SAGA_RATE_LIMIT_PER_MINUTE: '10000000',
    DATA_DIR: path.join(os.tmpdir(), `sagachart-bench-data-${process.pid}`),
  };
  const processes: ServiceProcess[] = [];
  const api = await startService(
    ctx.main,
    { ...env, SAGA_ROLE: config.split ? 'api' : 'all' },
    ctx.cleanup,
  );
  processes.push(api);
  if (config.split)
    processes.push(await startService(ctx.main, { ...env, SAGA_ROLE: 'worker' }, ctx.cleanup));
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const watcher = new FinalWatcher(db);
  try {
    const common = { baseUrl: api.baseUrl!, apiKey, watcher, timeoutMs: PHASE_TIMEOUT_MS };
    // Warm-up (JIT, pools, the worker being up): not measured.
    const warm = await runPhase({
      ...common,
      concurrency: 4,
      total: 16,
      input: orderInput('400001'),
      expect: 'COMPLETED',
    });
    if (warm.ok === 0)
      throw new Error(`warm-up sagas did not complete: ${warm.errors.slice(0, 3).join('; ')}`);
    const phases: Record<string, PhaseResult> = {};
    for (const p of PHASES) {
      const total = Math.max(p.concurrency, Math.round(p.total * SCALE));
      phases[p.name] = await runPhase({
        ...common,
        concurrency: p.concurrency,
        total,
        input: orderInput(p.postalCode),
        expect: p.expect,
      });
      const r = phases[p.name];
      log(
        `${config.name} run ${run + 1} ${p.name}: ${r.ok}/${total} ${p.expect}, ${r.sagasPerSecond.toFixed(1)} sagas/s${r.errors.length ? `, ${r.errors.length} errors (${r.errors[0]})` : ''}`,
      );
    }
    const rssBytes = processes.map((p) => p.rssBytes() ?? NaN);
    return { config: config.name, run, phases, rssBytes };
  } finally {
    watcher.stop();
    await db.end().catch(() => undefined);
    for (const p of processes.reverse()) await p.stop();
  }
}

/** Median time of one durable single-row commit: what fsync costs on this disk. */
async function commitLatencyMs(db: Client): Promise<number> {
  await db.query(
    'CREATE TABLE IF NOT EXISTS bench_commit (id serial PRIMARY KEY, at timestamptz DEFAULT now())',
  );
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await db.query('INSERT INTO bench_commit DEFAULT VALUES');
    times.push(performance.now() - t0);
  }
  await db.query('DROP TABLE bench_commit');
  return median(times);
}

function machineInfo(pgVersion: string, redisUrl: string | null) {
  let redisVersion: string | null = null;
  if (redisUrl) {
    try {
      redisVersion =
        /v=(\S+)/.exec(execFileSync('redis-server', ['--version']).toString())?.[1] ?? null;
    } catch {
      redisVersion = 'external';
    }
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    postgres: pgVersion,
    redis: redisVersion,
    fsync: 'on',
  };
}

async function main(): Promise<void> {
  const cleanup = new Cleanup();
  const stop = async (code: number) => {
    await cleanup.runAll();
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(130));
  const timer = setTimeout(() => {
    log(`time limit of ${TIMEOUT_MS} ms reached: stopping`);
    void stop(1);
  }, TIMEOUT_MS);
  try {
    const main = buildServiceSnapshot(cleanup, log);
    const pg = await startPostgres(cleanup);
    const redisUrl = await startRedis(cleanup);
    const admin = new Client({ connectionString: pg.adminUrl });
    await admin.connect();
    const pgVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]
      .server_version;
    const pgCommitMs = await commitLatencyMs(admin);
    await admin.end();
    const configs: Config[] = [
      { name: 'postgres, all', backend: 'postgres', split: false },
      ...(redisUrl ? [{ name: 'redis, all', backend: 'redis', split: false } as Config] : []),
      ...(SPLIT
        ? [{ name: 'postgres, api + 1 worker', backend: 'postgres', split: true } as Config]
        : []),
    ];
    if (!redisUrl) log('no redis-server on PATH: the Redis leg is skipped');
    const results: ConfigRun[] = [];
    for (let run = 0; run < RUNS; run++) {
      // Rotate the order so that no configuration always runs first (cold disk, caches).
      const order = configs.map((_, i) => configs[(i + run) % configs.length]);
      for (const config of order) {
        results.push(
          await runConfig(config, run, {
            main,
            createDatabase: pg.createDatabase,
            redisUrl,
            cleanup,
          }),
        );
      }
    }
    const machine = {
      ...machineInfo(pgVersion, redisUrl),
      pgCommitP50Ms: Number(pgCommitMs.toFixed(2)),
    };
    const { markdown, summary } = renderReport(
      results,
      configs.map((c) => c.name),
      machine,
      { runs: RUNS, scale: SCALE, phases: PHASES },
    );
    process.stdout.write(`${markdown}\n`);
    const dir = path.join(REPO_ROOT, 'artifacts/bench');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    const raw = results.map((r) => ({
      ...r,
      phases: Object.fromEntries(
        Object.entries(r.phases).map(([k, p]) => [
          k,
          { ...p, createMs: undefined, completeMs: undefined, errors: p.errors.slice(0, 5) },
        ]),
      ),
    }));
    fs.writeFileSync(file, `${JSON.stringify({ machine, summary, runs: raw }, null, 2)}\n`);
    log(`wrote ${path.relative(REPO_ROOT, file)}`);
    clearTimeout(timer);
    await stop(0);
  } catch (err) {
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    clearTimeout(timer);
    await stop(1);
  }
}

void main();
