// The 2PC crash: the coordinator (a process of its own) is SIGKILLed after every service
// prepared and the decision was logged, before any COMMIT PREPARED. What is left in
// pg_prepared_xacts, what a writer on the same row sees (with a lock_timeout, and without one
// until recovery resolves the transactions), and whether transactions on other rows carry on.
// Imports nothing of the service's bench (no embedded PostgreSQL): the tests run it too.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { percentile } from '../bench/bench-stats';
import { GID_PREFIX, recover, rollbackAllPrepared } from './coordinator';
import {
  BACKGROUND_CLIENTS,
  CRASH_ROW,
  preparedCounts,
  sleep,
  timed,
  type CleanupRegistry,
} from './crash-common';
import { OTHER_WRITER_SQL } from './service-databases';
import { runTwoPhaseLoop } from './twopc-side';

const REPO_ROOT = path.resolve(__dirname, '../..');

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
  cleanup: CleanupRegistry;
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
