// What the bench owns besides the service: an embedded PostgreSQL (fsync on, as in
// production), an optional redis-server, and a registry that kills all of it on every exit.
import { type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { redisServerOnPath, startRedisServer } from '../support/redis-server';
import { startThrowawayPostgres, tempDirForPostgres } from '../support/throwaway-postgres';

export { freePort } from '../support/ports';

/** Everything to stop, newest first; run once on normal end, error, SIGINT or SIGTERM. */
export class Cleanup {
  private readonly tasks: { name: string; run: () => Promise<void> | void }[] = [];
  private done: Promise<void> | null = null;

  add(name: string, run: () => Promise<void> | void): void {
    this.tasks.unshift({ name, run });
  }

  runAll(): Promise<void> {
    this.done ??= (async () => {
      for (const t of this.tasks) {
        try {
          await t.run();
        } catch (err) {
          console.error(`cleanup of ${t.name} failed: ${String(err)}`);
        }
      }
    })();
    return this.done;
  }
}

/**
 * Runs a bench's body once: its cleanup runs on the body's end, its failure, SIGINT or SIGTERM
 * and past `timeoutMs`, then the process exits (0, 1 on failure or time limit, 130 on a signal).
 */
export async function runBench(
  timeoutMs: number,
  log: (line: string) => void,
  body: (cleanup: Cleanup) => Promise<void>,
): Promise<void> {
  const cleanup = new Cleanup();
  const stop = async (code: number) => {
    clearTimeout(timer);
    await cleanup.runAll();
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(130));
  const timer = setTimeout(() => {
    log(`time limit of ${timeoutMs} ms reached: stopping`);
    void stop(1);
  }, timeoutMs);
  try {
    await body(cleanup);
    await stop(0);
  } catch (err) {
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    await stop(1);
  }
}

/** Kills a child and waits for it: SIGTERM, then SIGKILL after graceMs. */
export async function killChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export interface BenchPostgres {
  /** postgres://…/postgres, for admin work. */
  adminUrl: string;
  /** The postmaster's pid (its backends are its children). */
  postmasterPid(): number;
  /** A fresh database; returns its URL. */
  createDatabase(name: string): Promise<string>;
}

/** `extraFlags`: more server settings (bench:2pc adds max_prepared_transactions). */
export async function startPostgres(
  cleanup: Cleanup,
  extraFlags: string[] = [],
): Promise<BenchPostgres> {
  const root = tempDirForPostgres('sagachart-bench-');
  cleanup.add('temp dir', () => fs.rmSync(root, { recursive: true, force: true }));
  const pg = await startThrowawayPostgres({
    databaseDir: path.join(root, 'pg'),
    // fsync on: the figures are for PostgreSQL's durable defaults, as the service runs.
    fsync: true,
    maxConnections: 300,
    persistent: false,
    // Commit times of every transaction: the step dispatch latency is measured from the
    // commit of the transition that dispatched a step (dispatch-latency.ts). And statement
    // counts and times per phase (pg-counters.ts). Both cost a little, on the floor too.
    extraFlags: [
      '-c',
      'track_commit_timestamp=on',
      '-c',
      'shared_preload_libraries=pg_stat_statements',
      ...extraFlags,
    ],
  });
  cleanup.add('postgres', () => pg.stop());
  const adminUrl = pg.adminUrl;
  return {
    adminUrl,
    postmasterPid: () =>
      Number(fs.readFileSync(path.join(root, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]),
    async createDatabase(name) {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      const db = new Client({ connectionString: pg.urlFor(name) });
      await db.connect();
      try {
        await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      } finally {
        await db.end();
      }
      return pg.urlFor(name);
    },
  };
}

export interface BenchRedis {
  url: string;
  /** null for an external Redis (BENCH_REDIS_URL): its CPU and memory are not measured. */
  pid: number | null;
}

/** A private redis-server when one is on PATH (or BENCH_REDIS_URL when given); null otherwise. */
export async function startRedis(cleanup: Cleanup): Promise<BenchRedis | null> {
  if (process.env.BENCH_REDIS_URL) return { url: process.env.BENCH_REDIS_URL, pid: null };
  if (!redisServerOnPath()) return null;
  const redis = await startRedisServer({
    stdio: 'ignore',
    onSpawn: (proc) => cleanup.add('redis-server', () => killChild(proc, 3000)),
  });
  return { url: redis.url, pid: redis.proc.pid ?? null };
}
