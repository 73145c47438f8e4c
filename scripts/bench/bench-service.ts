// The processes under test: the BUILT service (tsx has no decorator metadata, so Nest cannot
// run under it), copied to a private directory so that a parallel `nest build` (which empties
// dist/) cannot pull it away mid-run; the naive floor and the no-op participant (TypeScript
// run by `node --import tsx`, so that the pid measured is the process doing the work).
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
  /** http://127.0.0.1:port; null for a process without HTTP. */
  baseUrl: string | null;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Arguments after `node`: [main.js] or ['--import', 'tsx', file.ts]. */
  args: string[];
  env: Record<string, string>;
  /** Wait for GET /health = 200 on PORT (a free port is given). */
  http: boolean;
  /** Writes a V8 CPU profile into this directory when the process exits cleanly. */
  cpuProfileDir?: string;
}

/**
 * Starts one process and waits until it answers /health (HTTP roles). A worker is considered
 * up once spawned: the bench's warm-up sagas only finish when it runs.
 */
export async function startProcess(o: StartOptions, cleanup: Cleanup): Promise<ServiceProcess> {
  const port = o.http ? await freePort() : 0;
  const prof = o.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfileDir}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...prof, ...o.args], {
    cwd: REPO_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...o.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  // A profile is only written on a clean exit: give the process time to close down.
  const stop = () => killChild(child, o.cpuProfileDir ? 60_000 : 10_000);
  cleanup.add(`process ${child.pid}`, stop);
  const baseUrl = o.http ? `http://127.0.0.1:${port}` : null;
  if (baseUrl) {
    const until = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`${o.args.join(' ')} exited with ${child.exitCode}:\n${stderr}`);
      const ok = await fetch(`${baseUrl}/health`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) break;
      if (Date.now() > until) throw new Error(`not healthy within 60 s:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { pid: child.pid!, baseUrl, stop };
}

/** The service (SAGA_ROLE in env) from the built main.js. */
export function startService(
  main: string,
  env: Record<string, string>,
  cleanup: Cleanup,
  cpuProfileDir?: string,
): Promise<ServiceProcess> {
  return startProcess(
    { args: [main], env, http: env.SAGA_ROLE !== 'worker', cpuProfileDir },
    cleanup,
  );
}

/** A TypeScript file of scripts/bench as a process of its own. */
export function startScript(
  file: string,
  env: Record<string, string>,
  http: boolean,
  cleanup: Cleanup,
): Promise<ServiceProcess> {
  return startProcess(
    { args: ['--import', 'tsx', path.join(__dirname, file)], env, http },
    cleanup,
  );
}

/** The no-op HTTP participant; returns its process and base URL. */
export async function startNoopParticipant(cleanup: Cleanup): Promise<ServiceProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'noop-participant.ts')],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const stop = () => killChild(child, 3000);
  cleanup.add(`participant ${child.pid}`, stop);
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`participant exited with ${code}`)));
  });
  return { pid: child.pid!, baseUrl: `http://127.0.0.1:${port}`, stop };
}
