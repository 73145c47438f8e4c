// The machine line of every result, and where results are written (bench/results/).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { median } from './bench-stats';

const REPO_ROOT = path.resolve(__dirname, '../..');

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  postgres: string;
  /** Median of 50 one-row autocommit INSERTs: what one durable commit (fsync) costs here. */
  pgCommitP50Ms: number;
  redis: string | null;
  backends: string[];
  fsync: 'on';
  commit: string;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT }).toString().trim();
  } catch {
    return 'unknown';
  }
}

/** The short commit, with `-dirty` when tracked files differ from it. */
export function commitId(): string {
  const short = git(['rev-parse', '--short', 'HEAD']);
  return git(['status', '--porcelain', '--untracked-files=no']) ? `${short}-dirty` : short;
}

export async function machineInfo(adminUrl: string, backends: string[]): Promise<MachineInfo> {
  const db = new Client({ connectionString: adminUrl });
  await db.connect();
  let postgres: string;
  let pgCommitP50Ms: number;
  try {
    postgres = (await db.query<{ server_version: string }>('SHOW server_version')).rows[0]
      .server_version;
    // A temp table is not WAL-logged: use a real one for the fsync figure.
    await db.query('CREATE TABLE IF NOT EXISTS public.bench_commit (id serial PRIMARY KEY)');
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await db.query('INSERT INTO public.bench_commit DEFAULT VALUES');
      times.push(performance.now() - t0);
    }
    await db.query('DROP TABLE public.bench_commit');
    pgCommitP50Ms = Number(median(times).toFixed(2));
  } finally {
    await db.end();
  }
  let redis: string | null = null;
  if (backends.includes('redis')) {
    try {
      redis = /v=(\S+)/.exec(execFileSync('redis-server', ['--version']).toString())?.[1] ?? null;
    } catch {
      redis = 'external';
    }
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    postgres,
    pgCommitP50Ms,
    redis,
    backends,
    fsync: 'on',
    commit: commitId(),
  };
}

export function machineLine(m: MachineInfo): string {
  return `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}, PostgreSQL ${m.postgres} (embedded, fsync on, one-row commit p50 ${m.pgCommitP50Ms} ms)${m.redis ? `, Redis ${m.redis} (no persistence)` : ''}; backends ${m.backends.join(', ')}; commit ${m.commit}.`;
}

/**
 * Writes bench/results/<kind>-<iso time>-<commit>.json and returns its path. The commit is
 * the one read at the start (MachineInfo.commit), not at the end of a long run.
 */
export function writeResult(
  kind: string,
  data: { machine: MachineInfo; [k: string]: unknown },
): string {
  const dir = path.join(REPO_ROOT, 'bench/results');
  fs.mkdirSync(dir, { recursive: true });
  const at = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(dir, `${kind}-${at}-${data.machine.commit}.json`);
  fs.writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
