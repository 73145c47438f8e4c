// What both crash scenarios of bench:2pc share (coordinator-kill.ts, worker-kill.ts): the row
// they crash on, timing a statement, and reading what is prepared and what a row holds.
import type { Pool } from 'pg';
import { GID_PREFIX } from './coordinator';

/** Whoever owns the bench's processes (the bench's Cleanup; a test's own list). */
export interface CleanupRegistry {
  add(name: string, run: () => Promise<void> | void): void;
}

/** The row both scenarios crash on; the background load uses rows 1…BACKGROUND_CLIENTS. */
export const CRASH_ROW = 100;
export const BACKGROUND_CLIENTS = 4;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function timed<T>(
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

export async function preparedCounts(pools: Pool[]): Promise<number[]> {
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
export async function crashRowAmounts(pools: Pool[]): Promise<number[]> {
  return Promise.all(
    pools.map(async (p) =>
      Number(
        (await p.query('SELECT amount FROM svc.resource WHERE id = $1', [CRASH_ROW])).rows[0]
          .amount,
      ),
    ),
  );
}
