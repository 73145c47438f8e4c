// A private redis-server child for the tests, the bench and the soak.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort, waitForPort } from './ports';

export function redisServerOnPath(): boolean {
  return spawnSync('sh', ['-c', 'command -v redis-server']).status === 0;
}

export interface RedisServerOptions {
  /** Default: a free one. The soak passes its old port to restart Redis where clients expect it. */
  port?: number;
  /** 'pipe' when the caller logs the output (it must then read it). */
  stdio: 'ignore' | 'pipe';
  /**
   * Called with the child before waiting for its port, so the caller can register it for
   * cleanup: a server that never opens its port is still killed.
   */
  onSpawn?: (proc: ChildProcess) => void;
}

export interface RedisServer {
  proc: ChildProcess;
  port: number;
  url: string;
}

/** Starts redis-server on 127.0.0.1 and waits (up to 10 s) until it accepts connections. */
export async function startRedisServer(opts: RedisServerOptions): Promise<RedisServer> {
  const port = opts.port ?? (await freePort());
  // No persistence: nothing outlives the run, and the soak's Redis restart is meant to lose
  // every job.
  const proc = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
    { stdio: opts.stdio === 'pipe' ? ['ignore', 'pipe', 'pipe'] : 'ignore' },
  );
  opts.onSpawn?.(proc);
  await waitForPort(port, 10_000);
  return { proc, port, url: `redis://127.0.0.1:${port}` };
}
