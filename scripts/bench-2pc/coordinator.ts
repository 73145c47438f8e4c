// A two-phase-commit coordinator over N PostgreSQL databases, as an application would write
// one with PostgreSQL's own 2PC (PREPARE TRANSACTION / COMMIT PREPARED):
//   phase 1, on every service at once: BEGIN; the work; PREPARE TRANSACTION 'gid'
//   the decision: one durable INSERT into the coordinator's log (the commit point)
//   phase 2, on every service at once: COMMIT PREPARED 'gid'; then the log record is deleted.
// A "no" vote (an error in the work or at PREPARE) rolls every service back. recover() is what
// a restarted coordinator runs: prepared transactions with a logged decision are committed,
// the others rolled back (presumed abort). Every statement sent is counted: the round trips.
import type { Pool, PoolClient } from 'pg';
import { WORK_SQL } from './service-databases';

/** Global transaction ids this coordinator makes (and the only ones recover() touches). */
export const GID_PREFIX = 'sagachart2pc_';
const GID = /^sagachart2pc_[a-z0-9_-]{1,100}$/;

export const COORDINATOR_LOG_SQL = `
  CREATE SCHEMA IF NOT EXISTS coordinator;
  CREATE TABLE IF NOT EXISTS coordinator.decision (
    gid text PRIMARY KEY,
    services integer[] NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
  );`;

export interface WorkItem {
  /** The resource row this service's work takes from. */
  resourceId: number;
  amount: number;
}

export interface TransactionFigures {
  /** BEGIN to the last COMMIT PREPARED (and the log's cleanup). */
  totalMs: number;
  /** Per service: from sending its work statement (the row lock) to its COMMIT PREPARED done. */
  lockMs: number[];
  /** Statements sent: to the services and to the coordinator's log. */
  roundTrips: number;
}

export interface CoordinatorHooks {
  /** Runs after every service voted yes and the decision is logged, before phase 2. */
  afterDecision?: (gid: string) => Promise<void>;
}

/** PREPARE TRANSACTION and friends take no parameters: the gid is checked, then quoted. */
function gidLiteral(gid: string): string {
  if (!GID.test(gid)) throw new Error(`not a coordinator gid: ${gid}`);
  return `'${gid}'`;
}

/**
 * The gid of service i's part. A gid is unique per PostgreSQL *server*, not per database, and
 * the bench's services may share one server: each part gets its own suffix.
 */
export function partGid(gid: string, i: number): string {
  return `${gid}_p${i + 1}`;
}

/** The distributed transaction a part gid belongs to (what the decision log holds). */
function transactionOf(part: string): string {
  return part.replace(/_p\d+$/, '');
}

const indexes = (n: number) => Array.from({ length: n }, (_, i) => i);

export class TwoPhaseCoordinator {
  constructor(
    private readonly services: Pool[],
    private readonly log: Pool,
    private readonly hooks: CoordinatorHooks = {},
  ) {}

  get size(): number {
    return this.services.length;
  }

  /** One distributed transaction: `work[i]` on service i, all committed or none. */
  async run(gid: string, work: WorkItem[]): Promise<TransactionFigures> {
    if (work.length !== this.services.length) throw new Error('one work item per service');
    if (!GID.test(gid)) throw new Error(`not a coordinator gid: ${gid}`);
    const lit = indexes(this.services.length).map((i) => gidLiteral(partGid(gid, i)));
    let roundTrips = 0;
    const send = async (c: PoolClient, sql: string, params?: unknown[]) => {
      roundTrips++;
      return c.query(sql, params);
    };
    const t0 = performance.now();
    // Every connection or none: one that failed must not leave the others checked out.
    const connected = await Promise.allSettled(this.services.map((p) => p.connect()));
    const refused = connected.find((c): c is PromiseRejectedResult => c.status === 'rejected');
    if (refused) {
      for (const c of connected) if (c.status === 'fulfilled') c.value.release();
      throw refused.reason;
    }
    const clients = connected.map((c) => (c as PromiseFulfilledResult<PoolClient>).value);
    const lockFrom: number[] = new Array<number>(clients.length).fill(0);
    const lockMs: number[] = new Array<number>(clients.length).fill(0);
    // Set once a service's PREPARE succeeded: its rollback is then ROLLBACK PREPARED.
    const prepared: boolean[] = new Array<boolean>(clients.length).fill(false);
    let failed = false;
    try {
      const votes = await Promise.allSettled(
        clients.map(async (c, i) => {
          await send(c, 'BEGIN');
          lockFrom[i] = performance.now();
          const r = await send(c, WORK_SQL, [`${gid}:${i}`, work[i].resourceId, work[i].amount]);
          if (r.rowCount !== 1) throw new Error(`service ${i + 1}: the work changed no row`);
          await send(c, `PREPARE TRANSACTION ${lit[i]}`);
          prepared[i] = true;
        }),
      );
      const no = votes.find((v): v is PromiseRejectedResult => v.status === 'rejected');
      if (no) {
        await Promise.all(
          clients.map((c, i) => send(c, prepared[i] ? `ROLLBACK PREPARED ${lit[i]}` : 'ROLLBACK')),
        );
        throw no.reason;
      }
      // The commit point: once this row is durable, recover() commits every prepared part.
      roundTrips++;
      await this.log.query('INSERT INTO coordinator.decision (gid, services) VALUES ($1, $2)', [
        gid,
        clients.map((_, i) => i),
      ]);
      await this.hooks.afterDecision?.(gid);
      await Promise.all(
        clients.map(async (c, i) => {
          await send(c, `COMMIT PREPARED ${lit[i]}`);
          lockMs[i] = performance.now() - lockFrom[i];
        }),
      );
      roundTrips++;
      await this.log.query('DELETE FROM coordinator.decision WHERE gid = $1', [gid]);
      return { totalMs: performance.now() - t0, lockMs, roundTrips };
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      // After an error a session's state is not known for sure: it is closed, not reused.
      // (What is left prepared is recover()'s work, as after a crash.)
      for (const c of clients) c.release(failed || undefined);
    }
  }
}

export interface RecoveryResult {
  committed: string[];
  rolledBack: string[];
}

/**
 * What a restarted coordinator does: every prepared transaction it made (gid starting with
 * `prefix`, the dead coordinator's own prefix) on every service is committed when its decision
 * is in the log, else rolled back (presumed abort). Only the dead coordinator's transactions:
 * a live coordinator's, between its PREPARE and its decision, are not recovery's to touch.
 */
export async function recover(
  services: Pool[],
  log: Pool,
  prefix: string = GID_PREFIX,
): Promise<RecoveryResult> {
  if (!prefix.startsWith(GID_PREFIX)) throw new Error(`not a coordinator prefix: ${prefix}`);
  const committed: string[] = [];
  const rolledBack: string[] = [];
  const decided = new Set(
    (
      await log.query<{ gid: string }>(
        'SELECT gid FROM coordinator.decision WHERE starts_with(gid, $1)',
        [prefix],
      )
    ).rows.map((r) => r.gid),
  );
  for (const pool of services) {
    for (const gid of await preparedGids(pool, prefix)) {
      const commit = decided.has(transactionOf(gid));
      await pool.query(`${commit ? 'COMMIT' : 'ROLLBACK'} PREPARED ${gidLiteral(gid)}`);
      (commit ? committed : rolledBack).push(gid);
    }
  }
  // Every decided transaction of the dead coordinator is now resolved on every service (its
  // parts either committed here or had been committed before the crash).
  if (decided.size > 0)
    await log.query('DELETE FROM coordinator.decision WHERE gid = ANY($1)', [[...decided]]);
  return { committed, rolledBack };
}

/** The prepared transactions on a service's database whose gid starts with `prefix`. */
async function preparedGids(pool: Pool, prefix: string): Promise<string[]> {
  const { rows } = await pool.query<{ gid: string }>(
    `SELECT gid FROM pg_prepared_xacts
      WHERE database = current_database() AND starts_with(gid, $1)`,
    [prefix],
  );
  return rows.map((r) => r.gid);
}

/** Rolls back every prepared transaction of this coordinator, whatever the log says. */
export async function rollbackAllPrepared(services: Pool[]): Promise<number> {
  let n = 0;
  for (const pool of services) {
    for (const gid of await preparedGids(pool, GID_PREFIX)) {
      await pool.query(`ROLLBACK PREPARED ${gidLiteral(gid)}`);
      n++;
    }
  }
  return n;
}
