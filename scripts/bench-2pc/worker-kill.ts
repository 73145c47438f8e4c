// The saga crash: the sagachart worker (SAGA_ROLE=worker) whose step is in flight is SIGKILLed
// while other sagas run on a second worker. Whether anything stays locked, whether the other
// sagas complete undisturbed, when the killed saga resumes and completes, and that each of its
// effects happened once.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Client, Pool } from 'pg';
import type { Cleanup } from '../bench/bench-infra';
import { FinalWatcher, runPhase } from '../bench/bench-load';
import { startService } from '../bench/bench-service';
import { percentile } from '../bench/bench-stats';
import {
  BACKGROUND_CLIENTS,
  CRASH_ROW,
  crashRowAmounts,
  preparedCounts,
  sleep,
  timed,
} from './crash-common';
import { definitionName, registerDefinition, type Participants } from './saga-side';
import { OTHER_WRITER_SQL } from './service-databases';
import { ownerOfLocalPort } from './socket-owner';

/** The baseline window before the kill (the background's first second is its ramp-up). */
const BASELINE_MS = 5000;

/** The participants serve every service database; the saga used the first n. */
async function effectsOf(p: Participants, sagaId: string, n: number) {
  const e = await p.effects(sagaId);
  return e && { applied: e.applied.slice(0, n), replayed: e.replayed.slice(0, n) };
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
  /** Other sagas completed per second between the kill and the killed saga's completion. */
  othersPerSecondMeanwhile: number;
  /** The undisturbed baseline: the same, over the BASELINE_MS before the kill. */
  beforePerSecond: number;
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
      maxMs: 3 * o.stalledIntervalMs + BASELINE_MS + 8000,
      input: (c) => ({ row: 1 + c }),
    });
    // The background runs undisturbed first: the baseline the outage is compared with.
    await sleep(BASELINE_MS + 1000);
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
    const before = (
      await db.query<{ ms: number }>(
        `SELECT extract(epoch FROM finished_at - created_at) * 1000 AS ms FROM saga.saga_instance
          WHERE status = 'COMPLETED' AND id <> $1
            AND finished_at BETWEEN to_timestamp($2 / 1000.0) AND to_timestamp($3 / 1000.0)`,
        [killed.id, killAt - BASELINE_MS, killAt],
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
      othersPerSecondMeanwhile: (others.length / (doneAt - killAt)) * 1000,
      beforePerSecond: (before.length / BASELINE_MS) * 1000,
      beforeP50Ms: percentile(before, 50),
      effects: await effectsOf(o.participants, killed.id, n),
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
