// The failure scenario, both ways:
//  - 2PC: the coordinator (a process of its own) is SIGKILLed after every service prepared and
//    the decision was logged, before any COMMIT PREPARED. What is left in pg_prepared_xacts,
//    what a writer on the same row sees (with a lock_timeout, and without one until recovery
//    resolves the transactions), and whether transactions on other rows carry on.
//  - saga: the sagachart worker (SAGA_ROLE=worker) whose step is in flight is SIGKILLed while
//    other sagas run on a second worker. Whether anything stays locked, whether the other
//    sagas complete, and when the killed saga resumes and completes.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { Cleanup } from '../bench/bench-infra';
import { FinalWatcher, runPhase } from '../bench/bench-load';
import { REPO_ROOT, startService } from '../bench/bench-service';
import { percentile } from '../bench/bench-stats';
import { GID_PREFIX, recover, rollbackAllPrepared } from './coordinator';
import { definitionName, registerDefinition, type Participants } from './saga-side';
import { OTHER_WRITER_SQL } from './service-databases';
import { ownerOfLocalPort } from './socket-owner';
import { runTwoPhaseLoop } from './twopc-side';

/** The row both scenarios crash on; the background load uses rows 1…BACKGROUND_CLIENTS. */
const CRASH_ROW = 100;
const BACKGROUND_CLIENTS = 4;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function timed<T>(
  f: () => Promise<T>,
): Promise<{ ms: number; value: T | null; error: string | null }> {
  const t0 = performance.now();
  try {
    const value = await f();
    return { ms: performance.now() - t0, value, error: null };
  } catch (err) {
    const e = err as { code?: string; message: string };
    return {
      ms: performance.now() - t0,
      value: null,
      error: `${e.code ?? ''} ${e.message}`.trim(),
    };
  }
}

async function preparedCounts(pools: Pool[]): Promise<number[]> {
  return Promise.all(
    pools.map(async (p) =>
      Number(
        (
          await p.query<{ n: string }>(
            `SELECT count(*)::text AS n FROM pg_prepared_xacts
              WHERE database = current_database() AND gid LIKE $1`,
            [`${GID_PREFIX}%`],
          )
        ).rows[0].n,
      ),
    ),
  );
}

/** The crash row's amount on every service. */
async function crashRowAmounts(pools: Pool[]): Promise<number[]> {
  return Promise.all(
    pools.map(async (p) =>
      Number(
        (await p.query('SELECT amount FROM svc.resource WHERE id = $1', [CRASH_ROW])).rows[0]
          .amount,
      ),
    ),
  );
}

export interface CoordinatorKillResult {
  services: number;
  /** Prepared transactions left per service database right after the kill. */
  preparedAfterKill: number[];
  /** Locks held by no session (those of prepared transactions), server-wide. */
  orphanLocks: number;
  /** A writer on the same row with lock_timeout: its error and how long it waited. */
  timeoutWriter: { lockTimeoutMs: number; ms: number; error: string | null };
  /** A writer on another row of the same table. */
  otherRowWriterMs: number;
  /** A writer on the same row without a timeout: blocked until recovery, this long. */
  blockedWriterMs: number;
  recoverAfterMs: number;
  recovery: { committed: number; rolledBack: number };
  /** 2PC transactions on other rows while the writer was blocked. */
  background: { transactions: number; errors: number; p50Ms: number; perSecond: number };
  preparedAfterRecovery: number;
}

export async function coordinatorKill(o: {
  serviceUrls: string[];
  logUrl: string;
  recoverAfterMs: number;
  cleanup: Cleanup;
}): Promise<CoordinatorKillResult> {
  const pools = o.serviceUrls.map((url) => new Pool({ connectionString: url, max: 6 }));
  const log = new Pool({ connectionString: o.logUrl, max: 4 });
  // Whatever happens below, nothing is left prepared (and so locked) after the bench.
  o.cleanup.add('prepared transactions', async () => {
    const p = o.serviceUrls.map((url) => new Pool({ connectionString: url, max: 1 }));
    try {
      await rollbackAllPrepared(p);
    } finally {
      await Promise.all(p.map((x) => x.end()));
    }
  });
  try {
    // The dead coordinator's own prefix: recovery resolves its transactions only, never those
    // of the live coordinator that keeps running on other rows meanwhile.
    const deadPrefix = `${GID_PREFIX}dead_`;
    const gid = `${deadPrefix}${Date.now()}`;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'coordinator-process.ts')],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          TWOPC_SERVICE_URLS: o.serviceUrls.join(','),
          TWOPC_LOG_URL: o.logUrl,
          TWOPC_GID: gid,
          TWOPC_RESOURCE_ID: String(CRASH_ROW),
          TWOPC_PAUSE_AFTER_DECISION: '1',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('DECIDED')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`coordinator exited with ${code}: ${out}`)));
    });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;

    const preparedAfterKill = await preparedCounts(pools);
    const orphanLocks = Number(
      (
        await pools[0].query<{ n: string }>(
          'SELECT count(*)::text AS n FROM pg_locks WHERE pid IS NULL',
        )
      ).rows[0].n,
    );

    const lockTimeoutMs = 1000;
    const impatient = new Client({ connectionString: o.serviceUrls[0] });
    await impatient.connect();
    let timeoutWriter: CoordinatorKillResult['timeoutWriter'];
    let otherRowWriterMs: number;
    try {
      await impatient.query(`SET lock_timeout = ${lockTimeoutMs}`);
      const t = await timed(() => impatient.query(OTHER_WRITER_SQL, [CRASH_ROW]));
      timeoutWriter = { lockTimeoutMs, ms: t.ms, error: t.error };
      otherRowWriterMs = (await timed(() => impatient.query(OTHER_WRITER_SQL, [CRASH_ROW + 1]))).ms;
    } finally {
      await impatient.end();
    }

    // Transactions on other rows keep going while the writer waits.
    let stopBackground = false;
    const background = runTwoPhaseLoop({
      services: pools,
      log,
      clients: BACKGROUND_CLIENTS,
      firstRow: 1,
      maxMs: 10 * 60_000,
      tag: 'live',
      stop: () => stopBackground,
    });
    const writer = new Client({ connectionString: o.serviceUrls[0] });
    await writer.connect();
    let blockedWriterMs: number;
    let rec: { committed: string[]; rolledBack: string[] };
    try {
      const blocked = timed(() => writer.query(OTHER_WRITER_SQL, [CRASH_ROW]));
      // The coordinator comes back (a restart, a person) after recoverAfterMs.
      await sleep(o.recoverAfterMs);
      rec = await recover(pools, log, deadPrefix);
      const b = await blocked;
      if (b.error) throw new Error(`the blocked writer failed: ${b.error}`);
      blockedWriterMs = b.ms;
    } finally {
      await writer.end();
    }
    stopBackground = true;
    const bg = await background;
    return {
      services: o.serviceUrls.length,
      preparedAfterKill,
      orphanLocks,
      timeoutWriter,
      otherRowWriterMs,
      blockedWriterMs,
      recoverAfterMs: o.recoverAfterMs,
      recovery: { committed: rec.committed.length, rolledBack: rec.rolledBack.length },
      background: {
        transactions: bg.transactions,
        errors: bg.errors.length,
        p50Ms: percentile(bg.totalMs, 50),
        perSecond: bg.perSecond,
      },
      preparedAfterRecovery: (await preparedCounts(pools)).reduce((a, b) => a + b, 0),
    };
  } finally {
    await Promise.all([...pools, log].map((p) => p.end()));
  }
}

export interface WorkerKillResult {
  services: number;
  stalledIntervalMs: number;
  /** The step whose participant call was in flight when its worker died. */
  step: number;
  preparedAfterKill: number;
  /** A writer on the row that step had just changed (its local transaction was committed). */
  sameRowWriterMs: number;
  /** SIGKILL → the killed saga COMPLETED (it resumed on the other worker). */
  resumedAfterMs: number;
  killedSagaStatus: string;
  /** Attempts of that step: the re-run after the stall is not counted as an attempt. */
  killedStepAttempts: number;
  /** Other sagas that completed between the kill and the killed saga's completion. */
  othersCompletedMeanwhile: number;
  /** Of those, how many were themselves delayed ≥ the stall interval (in flight on the killed worker too). */
  othersAlsoStalled: number;
  othersP50Ms: number;
  /** Sagas completed in a window as long, just before the kill: the undisturbed baseline. */
  beforeCompleted: number;
  beforeP50Ms: number;
  /** The killed saga's `do` calls per service: applied (took the amount) and replays of a key. */
  effects: { applied: number[]; replayed: number[] } | null;
  /** The crash row's amount taken on each service (the same-row writer's 1 subtracted). */
  takenOnCrashRow: number[];
  background: { sagas: number; completed: number; errors: number };
}

export async function workerKill(o: {
  mainJs: string;
  databaseUrl: string;
  redisUrl: string | null;
  serviceUrls: string[];
  participants: Participants;
  stalledIntervalMs: number;
  cleanup: Cleanup;
}): Promise<WorkerKillResult> {
  const n = o.serviceUrls.length;
  const apiKey = `bench-${randomBytes(16).toString('hex')}`;
  const env = {
    DATABASE_URL: o.databaseUrl,
    ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : {}),
    SAGA_QUEUE_PREFIX: `tpcfail${process.pid}`,
    SAGA_API_KEYS: apiKey,
    NODE_ENV: 'production',
    SAGA_STALLED_INTERVAL_MS: String(o.stalledIntervalMs),
    DATA_DIR: path.join(os.tmpdir(), `sagachart-bench-2pc-${process.pid}`),
  };
  const api = await startService(o.mainJs, { ...env, SAGA_ROLE: 'api' }, o.cleanup);
  const workers = [
    await startService(o.mainJs, { ...env, SAGA_ROLE: 'worker' }, o.cleanup),
    await startService(o.mainJs, { ...env, SAGA_ROLE: 'worker' }, o.cleanup),
  ];
  const baseUrl = api.baseUrl!;
  await registerDefinition(baseUrl, apiKey, n, o.participants.ports);
  const db = new Client({ connectionString: o.databaseUrl });
  await db.connect();
  const watcher = new FinalWatcher(db);
  const pools = o.serviceUrls.map((url) => new Pool({ connectionString: url, max: 2 }));
  try {
    const common = {
      baseUrl,
      apiKey,
      db,
      watcher,
      table: 'saga.saga_instance' as const,
      expect: 'COMPLETED' as const,
      timeoutMs: 120_000,
      definition: definitionName(n),
    };
    // Both workers up and warm: a few sagas, more than one worker's first jobs.
    const warm = await runPhase({
      ...common,
      concurrency: BACKGROUND_CLIENTS,
      total: 16,
      maxMs: 30_000,
      input: (c) => ({ row: 20 + c }),
    });
    if (warm.ok === 0) throw new Error(`warm-up failed: ${warm.errors.slice(0, 3).join('; ')}`);
    await sleep(1000);

    // Long enough to cover the kill, the stall interval and the resume.
    const background = runPhase({
      ...common,
      concurrency: BACKGROUND_CLIENTS,
      total: 1_000_000,
      maxMs: 3 * o.stalledIntervalMs + 8000,
      input: (c) => ({ row: 1 + c }),
    });
    await sleep(1000);
    const step = Math.min(3, n);
    const amountsBefore = await crashRowAmounts(pools);
    await o.participants.armHang();
    const res = await fetch(`${baseUrl}/api/v1/sagas`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        definition: definitionName(n),
        input: { row: CRASH_ROW, hangAt: step },
      }),
    });
    const killed = (await res.json()) as { id: string };
    let hung: Awaited<ReturnType<Participants['hung']>> = null;
    for (let i = 0; i < 1500 && !hung; i++) {
      hung = await o.participants.hung();
      if (!hung) await sleep(20);
    }
    if (!hung) throw new Error('the saga to kill never reached its hanging step');
    const owner = ownerOfLocalPort(
      hung.remotePort,
      workers.map((w) => w.pid),
    );
    if (owner === null) throw new Error(`no worker holds client port ${hung.remotePort}`);
    process.kill(owner, 'SIGKILL');
    const killAt = Date.now();
    const finalOfKilled = Promise.race([
      watcher.wait(killed.id),
      sleep(120_000).then(() => 'NOT FINAL AFTER 120 s'),
    ]);

    const preparedAfterKill = (await preparedCounts(pools)).reduce((a, b) => a + b, 0);
    const sameRowWriterMs = (
      await timed(() => pools[step - 1].query(OTHER_WRITER_SQL, [CRASH_ROW]))
    ).ms;
    const killedSagaStatus = await finalOfKilled;
    const doneAt = Date.now();
    const bg = await background;

    const saga = (await (
      await fetch(`${baseUrl}/api/v1/sagas/${killed.id}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      })
    ).json()) as { steps: { name: string; attempts: number }[] };
    const { rows } = await db.query<{ ms: number }>(
      `SELECT extract(epoch FROM finished_at - created_at) * 1000 AS ms FROM saga.saga_instance
        WHERE status = 'COMPLETED' AND id <> $1
          AND finished_at BETWEEN to_timestamp($2 / 1000.0) AND to_timestamp($3 / 1000.0)`,
      [killed.id, killAt, doneAt],
    );
    const others = rows.map((r) => Number(r.ms));
    const window = doneAt - killAt;
    const before = (
      await db.query<{ ms: number }>(
        `SELECT extract(epoch FROM finished_at - created_at) * 1000 AS ms FROM saga.saga_instance
          WHERE status = 'COMPLETED' AND id <> $1
            AND finished_at BETWEEN to_timestamp($2 / 1000.0) AND to_timestamp($3 / 1000.0)`,
        [killed.id, killAt - window, killAt],
      )
    ).rows.map((r) => Number(r.ms));
    const amountsAfter = await crashRowAmounts(pools);
    return {
      services: n,
      stalledIntervalMs: o.stalledIntervalMs,
      step,
      preparedAfterKill,
      sameRowWriterMs,
      resumedAfterMs: doneAt - killAt,
      killedSagaStatus,
      killedStepAttempts: saga.steps[step - 1]?.attempts ?? NaN,
      othersCompletedMeanwhile: others.length,
      othersAlsoStalled: others.filter((ms) => ms >= o.stalledIntervalMs).length,
      othersP50Ms: percentile(others, 50),
      beforeCompleted: before.length,
      beforeP50Ms: percentile(before, 50),
      effects: await o.participants.effects(killed.id),
      // Read before the saga started; the same-row writer took 1 on the hanging step's row.
      takenOnCrashRow: amountsBefore.map((a, i) => a - amountsAfter[i] - (i === step - 1 ? 1 : 0)),
      background: { sagas: bg.total, completed: bg.ok, errors: bg.errors.length },
    };
  } finally {
    watcher.stop();
    await db.end().catch(() => undefined);
    await Promise.all(pools.map((p) => p.end()));
    for (const p of [...workers, api]) await p.stop();
  }
}
