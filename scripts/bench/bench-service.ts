// The service under test: the BUILT dist (tsx has no decorator metadata, so Nest cannot run
// under it), copied to a private directory so that a parallel `nest build` (which empties
// dist/) cannot pull it away mid-run. Spawned as processes, driven over HTTP only.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Cleanup, freePort, killChild } from './bench-infra';

export const REPO_ROOT = path.resolve(__dirname, '../..');
const MAIN = 'apps/api/apps/api/src/main.js';

/** Builds the service (unless BENCH_SKIP_BUILD=1) and returns the main.js of a private copy. */
export function buildServiceSnapshot(cleanup: Cleanup, log: (line: string) => void): string {
  if (process.env.BENCH_SKIP_BUILD !== '1') {
    log('building the service (nest build api)…');
    execFileSync(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), 'build', 'api'],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  }
  const source = path.join(REPO_ROOT, 'dist');
  if (!fs.existsSync(path.join(source, MAIN)))
    throw new Error(`no build at ${path.join(source, MAIN)}`);
  // Inside the repository, so that node_modules still resolves from the copy.
  const copy = path.join(REPO_ROOT, 'artifacts/bench', `dist-${process.pid}`);
  fs.cpSync(source, copy, { recursive: true });
  cleanup.add('dist copy', () => fs.rmSync(copy, { recursive: true, force: true }));
  return path.join(copy, MAIN);
}

export interface ServiceProcess {
  pid: number;
  /** http://127.0.0.1:port; null for a worker. */
  baseUrl: string | null;
  rssBytes(): number | null;
  stop(): Promise<void>;
}

/** Resident set size of a live process, from /proc (Linux). */
function rssOf(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Starts one service process and waits until it answers /health (HTTP roles). A worker is
 * considered up once spawned: the bench's warm-up sagas only finish when it runs.
 */
export async function startService(
  main: string,
  env: Record<string, string>,
  cleanup: Cleanup,
): Promise<ServiceProcess> {
  const serveHttp = env.SAGA_ROLE !== 'worker';
  const port = serveHttp ? await freePort() : 0;
  const child: ChildProcess = spawn(process.execPath, [main], {
    cwd: REPO_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const stop = () => killChild(child);
  cleanup.add(`service ${child.pid}`, stop);
  const baseUrl = serveHttp ? `http://127.0.0.1:${port}` : null;
  if (baseUrl) {
    const until = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`service exited with ${child.exitCode}:\n${stderr}`);
      const ok = await fetch(`${baseUrl}/health`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) break;
      if (Date.now() > until) throw new Error(`service not healthy within 60 s:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { pid: child.pid!, baseUrl, rssBytes: () => rssOf(child.pid!), stop };
}
