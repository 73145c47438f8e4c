// `npm run bench:2pc` (issue 14): two-phase commit over N PostgreSQL databases against the
// saga through sagachart, the same business work, N = 2, 5, 10; then a crash of each (the 2PC
// coordinator between its phases, a saga worker mid-step). Starts its own PostgreSQL (fsync
// on, max_prepared_transactions) and, when redis-server is on PATH, Redis; runs the BUILT
// service and the participants as processes. Prints markdown; writes
// bench/results/2pc-<time>-<commit>.json. bench/README.md says what each figure means.
//
// BENCH_2PC_RUNS (3), BENCH_2PC_SCALE (1: the time per phase and the recovery delay; 0.2 =
// quick), BENCH_2PC_NS (2,5,10), BENCH_2PC_CLIENTS (8), BENCH_2PC_QUEUE (redis when
// redis-server is on PATH, else postgres), BENCH_2PC_DATABASE_URL (a given server's admin URL
// instead of the embedded one: it needs max_prepared_transactions ≥ 10 × clients + 10 and
// CREATEDB; its databases twopc_* are dropped at the end), BENCH_SKIP_BUILD=1.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Client, Pool } from 'pg';
import {
  Cleanup,
  runBench,
  startPostgres,
  startRedis,
  type BenchRedis,
} from '../bench/bench-infra';
import { FinalWatcher, runPhase } from '../bench/bench-load';
import { machineInfo, machineLine, writeResult } from '../bench/bench-machine';
import { REPO_ROOT, buildServiceSnapshot, startService } from '../bench/bench-service';
import { COORDINATOR_LOG_SQL } from './coordinator';
import { coordinatorKill } from './coordinator-kill';
import { workerKill } from './worker-kill';
import { key, renderReport, sagaFigures, twoPcFigures, type RunFigures } from './report';
import { registerDefinition, runSagaPhase, startParticipants } from './saga-side';
import { createServiceDatabases, servicePools } from './service-databases';
import { runTwoPhaseLoop } from './twopc-side';

const RUNS = Math.max(1, Number(process.env.BENCH_2PC_RUNS ?? 3));
const SCALE = Math.max(0.05, Number(process.env.BENCH_2PC_SCALE ?? 1));
const NS = (process.env.BENCH_2PC_NS ?? '2,5,10').split(',').map(Number);
const CLIENTS = Number(process.env.BENCH_2PC_CLIENTS ?? 8);
const PHASE_MS = Math.round(8000 * SCALE);
const WARM_MS = Math.max(1000, Math.round(2000 * SCALE));
const RECOVER_AFTER_MS = Math.max(2000, Math.round(10_000 * SCALE));
/** The service's default SAGA_STALLED_INTERVAL_MS: how soon a killed worker's step runs again. */
const STALLED_INTERVAL_MS = 5000;
const FAILURE_N = 5;
const TIMEOUT_MS = 30 * 60_000;
const MAX_N = Math.max(...NS, FAILURE_N);

const log = (line: string) => process.stderr.write(`[bench:2pc] ${line}\n`);

interface Server {
  adminUrl: string;
  createDatabase(name: string): Promise<string>;
}

/** A given server: its databases get this run's names and are dropped at the end. */
async function givenServer(adminUrl: string, cleanup: Cleanup): Promise<Server> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  const need = MAX_N * CLIENTS + 10;
  const have = Number(
    (await admin.query('SHOW max_prepared_transactions')).rows[0].max_prepared_transactions,
  );
  await admin.end();
  if (have < need)
    throw new Error(
      `max_prepared_transactions is ${have} on the given server; bench:2pc needs ≥ ${need}`,
    );
  const made: string[] = [];
  cleanup.add('given server databases', async () => {
    const c = new Client({ connectionString: adminUrl });
    await c.connect();
    try {
      for (const name of [
        ...made,
        ...Array.from({ length: MAX_N }, (_, i) => `twopc_svc_${i + 1}`),
      ])
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await c.end();
    }
  });
  return {
    adminUrl,
    async createDatabase(name) {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${name}"`);
        made.push(name);
      } finally {
        await c.end();
      }
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
  };
}

async function flushRedis(redis: BenchRedis | null): Promise<void> {
  if (!redis?.pid) return; // never flush a Redis the bench does not own
  const r = new Redis(redis.url, { maxRetriesPerRequest: 3 });
  await r.flushall();
  r.disconnect();
}

async function main(cleanup: Cleanup): Promise<void> {
  const loadAtStart = os.loadavg();
  const mainJs = buildServiceSnapshot(cleanup, log);
  const given = process.env.BENCH_2PC_DATABASE_URL;
  // Prepared transactions are server-wide: every client may hold one per service at once.
  const server: Server = given
    ? await givenServer(given, cleanup)
    : await startPostgres(cleanup, ['-c', `max_prepared_transactions=${MAX_N * CLIENTS + 10}`]);
  const wantRedis = (process.env.BENCH_2PC_QUEUE ?? 'redis') === 'redis';
  const redis = wantRedis ? await startRedis(cleanup) : null;
  const queue = redis ? 'BullMQ on Redis' : 'BullMQ on PostgreSQL';
  const machine = await machineInfo(server.adminUrl, [redis ? 'redis' : 'postgres']);
  log(machineLine(machine));

  const services = await createServiceDatabases(server.adminUrl, MAX_N);
  const logUrl = await server.createDatabase('twopc_coordinator');
  const logDb = new Client({ connectionString: logUrl });
  await logDb.connect();
  await logDb.query(COORDINATOR_LOG_SQL);
  await logDb.end();
  const participants = await startParticipants(
    services.map((s) => s.url),
    cleanup,
  );

  const runs: RunFigures[] = [];
  for (let run = 0; run < RUNS; run++) {
    const figures: RunFigures = {};
    const databaseUrl = await server.createDatabase(`twopc_saga_${run}`);
    await flushRedis(redis);
    const apiKey = `bench-${randomBytes(16).toString('hex')}`;
    const service = await startService(
      mainJs,
      {
        DATABASE_URL: databaseUrl,
        ...(redis ? { REDIS_URL: redis.url } : {}),
        SAGA_API_KEYS: apiKey,
        NODE_ENV: 'production',
        SAGA_ROLE: 'all',
        SAGA_RATE_LIMIT_PER_MINUTE: '10000000',
        DATA_DIR: path.join(os.tmpdir(), `sagachart-bench-2pc-${process.pid}`),
      },
      cleanup,
    );
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    const watcher = new FinalWatcher(db);
    try {
      for (const n of NS) {
        await registerDefinition(service.baseUrl!, apiKey, n, participants.ports);
        const pools = servicePools(services.slice(0, n), CLIENTS);
        const logPool = new Pool({ connectionString: logUrl, max: CLIENTS });
        const twoPc = async () => {
          await runTwoPhaseLoop({
            services: pools,
            log: logPool,
            clients: CLIENTS,
            firstRow: 1,
            maxMs: WARM_MS,
            tag: `w${run}n${n}`,
          });
          const r = await runTwoPhaseLoop({
            services: pools,
            log: logPool,
            clients: CLIENTS,
            firstRow: 1,
            maxMs: PHASE_MS,
            tag: `r${run}n${n}`,
          });
          figures[key('2pc', n)] = twoPcFigures(r, n);
          log(
            `run ${run + 1} N=${n} 2PC: ${r.perSecond.toFixed(1)} tx/s, ${r.errors.length} errors`,
          );
        };
        const saga = async () => {
          const common = {
            baseUrl: service.baseUrl!,
            apiKey,
            db,
            watcher,
            participants,
            n,
            clients: CLIENTS,
            redisUrl: redis?.url ?? null,
            firstRow: 1,
          };
          await runPhase({
            baseUrl: service.baseUrl!,
            apiKey,
            db,
            watcher,
            table: 'saga.saga_instance',
            concurrency: CLIENTS,
            total: 1_000_000,
            maxMs: WARM_MS,
            input: (c) => ({ row: 1 + c }),
            expect: 'COMPLETED',
            timeoutMs: 120_000,
            definition: `tpc-saga-${n}`,
          });
          const s = await runSagaPhase({ ...common, maxMs: PHASE_MS });
          figures[key('saga', n)] = sagaFigures(s, n);
          log(
            `run ${run + 1} N=${n} saga: ${s.phase.sagasPerSecond.toFixed(1)} sagas/s, ${s.phase.errors.length} errors`,
          );
        };
        try {
          // Alternate which side goes first, so neither always meets a cold cache.
          if ((run + n) % 2 === 0) {
            await twoPc();
            await saga();
          } else {
            await saga();
            await twoPc();
          }
        } finally {
          await Promise.all([...pools, logPool].map((p) => p.end()));
        }
      }
    } finally {
      watcher.stop();
      await db.end().catch(() => undefined);
      await service.stop();
    }
    runs.push(figures);
  }

  log(`crash: the 2PC coordinator (N=${FAILURE_N}), recovery after ${RECOVER_AFTER_MS} ms`);
  const failureServices = services.slice(0, FAILURE_N).map((s) => s.url);
  const c = await coordinatorKill({
    serviceUrls: failureServices,
    logUrl,
    recoverAfterMs: RECOVER_AFTER_MS,
    cleanup,
  });
  log(`crash: a saga worker (N=${FAILURE_N}), stall interval ${STALLED_INTERVAL_MS} ms`);
  await flushRedis(redis);
  const w = await workerKill({
    mainJs,
    databaseUrl: await server.createDatabase('twopc_saga_crash'),
    redisUrl: redis?.url ?? null,
    serviceUrls: failureServices,
    participants,
    stalledIntervalMs: STALLED_INTERVAL_MS,
    cleanup,
  });

  const loadAtEnd = os.loadavg();
  const { markdown, medians, ratios } = renderReport({
    ns: NS,
    runs,
    clients: CLIENTS,
    seconds: PHASE_MS / 1000,
    queue,
    machineLine: `${machineLine(machine)} Load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}, at end ${loadAtEnd.map((l) => l.toFixed(2)).join(' ')}.`,
    coordinatorKill: c,
    workerKill: w,
  });
  process.stdout.write(`${markdown}\n`);
  const file = writeResult('2pc', {
    machine,
    loadAverage: { start: loadAtStart, end: loadAtEnd },
    settings: {
      runs: RUNS,
      scale: SCALE,
      ns: NS,
      clients: CLIENTS,
      phaseMs: PHASE_MS,
      warmMs: WARM_MS,
      recoverAfterMs: RECOVER_AFTER_MS,
      stalledIntervalMs: STALLED_INTERVAL_MS,
      failureN: FAILURE_N,
      queue,
    },
    medians,
    sagaTo2pcThroughput: ratios,
    runs,
    coordinatorKill: c,
    workerKill: w,
  });
  log(`wrote ${path.relative(REPO_ROOT, file)}`);
}

void runBench(TIMEOUT_MS, log, main);
