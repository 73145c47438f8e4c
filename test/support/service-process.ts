// Runs the built service (dist/, as `npm start` does) as a real child process, so that tests
// can SIGKILL and restart it. jest/global-setup.ts builds dist/ once per test run.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const SERVICE_MAIN = path.resolve(__dirname, '../../dist/apps/api/apps/api/src/main.js');

export interface ServiceProcess {
  proc: ChildProcess;
  /** http://127.0.0.1:port for api/all roles; null for workers. */
  baseUrl: string | null;
  /** Everything the process printed so far. */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `node dist/.../main.js` with `env` and waits until it reports it is listening
 * (or, for SAGA_ROLE=worker, running).
 */
export async function startServiceProcess(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ServiceProcess> {
  const proc = spawn(process.execPath, [SERVICE_MAIN], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => resolve(code)),
  );
  const baseUrl = await new Promise<string | null>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`service did not start in ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const check = () => {
      const listening = /sagachart listening on (http:\/\/[\d.:]+)/.exec(out);
      if (listening) return done(listening[1]);
      if (/worker running/.test(out)) return done(null);
    };
    const done = (url: string | null) => {
      clearTimeout(timer);
      proc.stdout!.off('data', check);
      resolve(url);
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before it started:\n${out}`));
    });
  });
  return {
    proc,
    baseUrl,
    output: () => out,
    kill: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}
