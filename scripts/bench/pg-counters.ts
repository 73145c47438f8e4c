// What a phase asked of PostgreSQL and Redis, per completed saga: statements (from
// pg_stat_statements, the bench's own queries left out), WAL bytes, Redis commands, and the
// statements that took the most time. Counts, unlike times, do not depend on how busy the
// machine is, so they compare the service with the floor even on a shared machine.
import { Redis } from 'ioredis';
import type { Client } from 'pg';

export interface StatementFigure {
  query: string;
  callsPerSaga: number;
  totalMs: number;
  meanMs: number;
}

export interface Counters {
  statementsPerSaga: number;
  /** Explicit COMMITs per saga (autocommit statements are transactions too, not counted). */
  commitsPerSaga: number;
  walBytesPerSaga: number;
  /** null on the PostgreSQL queue backend. */
  redisCommandsPerSaga: number | null;
  topStatements: StatementFigure[];
}

// The driver's own queries (bench-load.ts, dispatch-latency.ts, this file), by their text:
// pg_stat_statements keeps no comments, so a tag would not survive.
const OWN = [
  '%AND status = ANY($2::text[])%',
  '%finished_at - created_at%',
  '%pg_xact_commit_timestamp%',
  '%added_at_ms AS added%',
  '%pg_stat_statements%',
  '%pg_stat_wal%',
]
  .map((pattern) => `query NOT LIKE '${pattern}'`)
  .join(' AND ');

async function redisCommands(url: string): Promise<number> {
  const r = new Redis(url, { maxRetriesPerRequest: 3 });
  try {
    const info = await r.info('stats');
    return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? NaN);
  } finally {
    r.disconnect();
  }
}

async function walBytes(db: Client): Promise<number> {
  const { rows } = await db.query<{ b: string }>('SELECT wal_bytes::text AS b FROM pg_stat_wal');
  return Number(rows[0].b);
}

/** Resets the statement statistics and notes the WAL and Redis counters. */
export async function startCounters(db: Client, redisUrl: string | null) {
  await db.query('SELECT pg_stat_statements_reset()');
  return {
    wal: await walBytes(db),
    redis: redisUrl ? await redisCommands(redisUrl) : null,
  };
}

export async function stopCounters(
  db: Client,
  redisUrl: string | null,
  start: { wal: number; redis: number | null },
  sagas: number,
): Promise<Counters> {
  const wal = await walBytes(db);
  const redis = redisUrl ? await redisCommands(redisUrl) : null;
  const where = `dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND ${OWN}`;
  const total = await db.query<{ calls: string; commits: string }>(
    `SELECT coalesce(sum(calls), 0)::text AS calls,
            coalesce(sum(calls) FILTER (WHERE upper(query) = 'COMMIT'), 0)::text AS commits
       FROM pg_stat_statements WHERE ${where}`,
  );
  const top = await db.query<{ query: string; calls: string; total: number; mean: number }>(
    `SELECT query, calls::text, total_exec_time AS total, mean_exec_time AS mean
       FROM pg_stat_statements WHERE ${where} ORDER BY total_exec_time DESC LIMIT 8`,
  );
  const per = (n: number) => (sagas > 0 ? Number((n / sagas).toFixed(2)) : NaN);
  return {
    statementsPerSaga: per(Number(total.rows[0].calls)),
    commitsPerSaga: per(Number(total.rows[0].commits)),
    walBytesPerSaga: Math.round(per(wal - start.wal)),
    redisCommandsPerSaga: redis === null || start.redis === null ? null : per(redis - start.redis),
    topStatements: top.rows.map((r) => ({
      query: r.query.replace(/\s+/g, ' ').slice(0, 120),
      callsPerSaga: per(Number(r.calls)),
      totalMs: Math.round(r.total),
      meanMs: Number(r.mean.toFixed(3)),
    })),
  };
}
