// The processes a soak owns: its embedded PostgreSQL (so it can restart it), an optional
// redis-server (ditto), one SAGA_ROLE=api and several SAGA_ROLE=worker service processes.
// Everything started here is registered for cleanup, also on SIGINT and on exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../support/ports';
import { startRedisServer } from '../support/redis-server';
import {
  startThrowawayPostgres,
  tempDirForPostgres,
  type ThrowawayPostgres,
} from '../support/throwaway-postgres';
import { snapshotDist } from './service-build';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running service process (dist main.js) and how to stop it. */
export interface ServiceHandle {
  role: 'api' | 'worker';
  name: string;
  proc: ChildProcess;
  baseUrl: string | null;
  exited: Promise<number | null>;
}

export interface ClusterOptions {
  backend: 'postgres' | 'redis';
  workers: number;
  /** Working directory of the service processes (the repository: the visualizer's files). */
  cwd: string;
  /** Where each process's output is appended (one file per process name). */
  logDir: string;
  /** Extra service environment (stall and recovery intervals, ...). */
  env: Record<string, string>;
}

export class SoakCluster {
  readonly apiKey = `soak-${randomBytes(16).toString('hex')}`;
  readonly root: string;
  databaseUrl = '';
  redisUrl: string | undefined;
  api: ServiceHandle | null = null;
  readonly workers: (ServiceHandle | null)[] = [];
  private pg: ThrowawayPostgres | null = null;
  private redis: ChildProcess | null = null;
  private redisPort = 0;
  private readonly children = new Set<ChildProcess>();
  private generation = 0;
  /** A private copy of the built service (see service-build.ts). */
  private readonly serviceMain: string;

  constructor(private readonly opts: ClusterOptions) {
    // initdb and postgres run as the `postgres` user: it must traverse the parent (NOTES.md §2).
    this.root = tempDirForPostgres('sagachart-soak-');
    fs.mkdirSync(opts.logDir, { recursive: true });
    fs.mkdirSync(path.join(this.root, 'svc'));
    this.serviceMain = snapshotDist(path.join(this.root, 'svc'));
  }

  async startDatabase(): Promise<void> {
    this.pg = await startThrowawayPostgres({
      databaseDir: path.join(this.root, 'pg'),
      // fsync stays on: the soak checks what survives a restart, as in production.
      fsync: true,
      maxConnections: 300,
      // Kept across stop/start, for restartDatabase.
      persistent: true,
      onLog: (chunk) => fs.appendFileSync(path.join(this.opts.logDir, 'postgres.log'), chunk),
    });
    this.databaseUrl = this.pg.adminUrl;
  }

  /** Fast shutdown of PostgreSQL, `downMs` with no server, then a start on the same dir and port. */
  async restartDatabase(downMs: number): Promise<void> {
    if (!this.pg) throw new Error('no database to restart');
    await this.pg.restart(downMs);
  }

  async startRedis(): Promise<void> {
    const redis = await startRedisServer({
      // Same port on a restart: the running services keep their REDIS_URL.
      ...(this.redisPort ? { port: this.redisPort } : {}),
      stdio: 'pipe',
      onSpawn: (proc) => {
        this.track(proc, 'redis');
        this.redis = proc;
      },
    });
    this.redisPort = redis.port;
    this.redisUrl = redis.url;
  }

  /** Stops redis-server (losing every job: no persistence) and starts it again on the same port. */
  async restartRedis(downMs: number): Promise<void> {
    const old = this.redis;
    if (!old) throw new Error('no Redis to restart');
    const gone = new Promise((r) => old.once('exit', r));
    old.kill('SIGKILL');
    await gone;
    await sleep(downMs);
    await this.startRedis();
  }

  private serviceEnv(role: 'api' | 'worker', port: number): NodeJS.ProcessEnv {
    return {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: this.databaseUrl,
      ...(this.opts.backend === 'redis' ? { REDIS_URL: this.redisUrl } : { REDIS_URL: '' }),
      DATA_DIR: path.join(this.root, 'data'),
      SAGA_API_KEYS: this.apiKey,
      SAGA_FAULTS: 'enabled',
      SAGA_ROLE: role,
      SAGA_RATE_LIMIT_PER_MINUTE: '10000000',
      // A worker says it runs only at info; the API's info lines are one per request.
      LOG_LEVEL: role === 'worker' ? 'info' : 'warn',
      ...this.opts.env,
    };
  }

  /** Starts one service process and waits until it answers /health (api) or says it runs (worker). */
  async startService(
    role: 'api' | 'worker',
    name: string,
    timeoutMs = 60_000,
  ): Promise<ServiceHandle> {
    const port = role === 'api' ? await freePort() : 0;
    const env = this.serviceEnv(role, port);
    // An empty REDIS_URL fails the service's URL validation: leave it out entirely.
    if (!env.REDIS_URL) delete env.REDIS_URL;
    const proc = spawn(process.execPath, [this.serviceMain], {
      cwd: this.opts.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.track(proc, name);
    const exited = new Promise<number | null>((resolve) =>
      proc.once('exit', (code) => resolve(code)),
    );
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.length > 200_000) out = out.slice(-100_000);
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    const baseUrl = await new Promise<string | null>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${out.slice(-4000)}`)),
        timeoutMs,
      );
      let started = false;
      const check = () => {
        if (/worker running/.test(out)) finish(null);
      };
      const poll = async () => {
        while (!started && proc.exitCode === null) {
          const answered = await fetch(`http://127.0.0.1:${port}/health`, {
            signal: AbortSignal.timeout(2000),
          }).then(
            () => true,
            () => false,
          );
          if (answered) return finish(`http://127.0.0.1:${port}`);
          await sleep(100);
        }
      };
      const finish = (url: string | null) => {
        started = true;
        clearTimeout(timer);
        proc.stdout!.off('data', check);
        proc.stdout!.off('data', onData);
        proc.stderr!.off('data', onData);
        resolve(url);
      };
      if (role === 'api') void poll();
      else proc.stdout!.on('data', check);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before it started:\n${out.slice(-4000)}`));
      });
    });
    return { role, name, proc, baseUrl, exited };
  }

  async startApi(): Promise<void> {
    this.api = await this.startService('api', 'api');
  }

  /** Starts worker `i` (again), retrying while the database or Redis may be briefly away. */
  async startWorker(i: number): Promise<void> {
    let lastError: unknown;
    for (let tries = 0; tries < 10; tries++) {
      try {
        this.workers[i] = await this.startService('worker', `worker-${i}`);
        return;
      } catch (err) {
        lastError = err;
        await sleep(1000);
      }
    }
    throw lastError;
  }

  /** SIGKILLs worker `i` (no shutdown hooks run: its active jobs are left to stall). */
  async killWorker(i: number): Promise<void> {
    const w = this.workers[i];
    if (!w) return;
    this.workers[i] = null;
    w.proc.kill('SIGKILL');
    await w.exited;
  }

  /** A service process that died on its own (not killed by the soak). */
  unexpectedExits(): string[] {
    return [this.api, ...this.workers]
      .filter(
        (h): h is ServiceHandle =>
          h !== null && (h.proc.exitCode !== null || h.proc.signalCode !== null),
      )
      .map((h) => {
        const why = this.lastWords(h);
        return `${h.name} exited (${h.proc.exitCode ?? h.proc.signalCode})${why ? `: ${why}` : ''}`;
      });
  }

  /**
   * What a dead process said last about why (its fatal line, or what it wrote to stderr), from
   * its log: the summary carries the reason even when the logs themselves are not kept.
   */
  private lastWords(h: ServiceHandle): string {
    const file = path.join(this.opts.logDir, `${h.name}.log`);
    if (!fs.existsSync(file)) return '';
    const text = fs.readFileSync(file, 'utf8');
    const own = text.slice(Math.max(0, text.lastIndexOf(`--- ${h.name} pid ${h.proc.pid} start`)));
    const lines = own
      .split('\n')
      .filter((l) => l && !l.startsWith('---') && (!l.startsWith('{') || l.includes('"level":60')));
    return lines.slice(-12).join(' | ').slice(0, 3000);
  }

  private track(proc: ChildProcess, name: string): void {
    this.children.add(proc);
    const file = path.join(this.opts.logDir, `${name}.log`);
    const stamp = `--- ${name} pid ${proc.pid} start #${++this.generation} at ${new Date().toISOString()}\n`;
    fs.appendFileSync(file, stamp);
    const sink = fs.createWriteStream(file, { flags: 'a' });
    proc.stdout?.pipe(sink, { end: false });
    proc.stderr?.pipe(sink, { end: false });
    proc.once('exit', () => this.children.delete(proc));
    // 'close', not 'exit': at 'exit' the pipes may still hold the process's last lines (the
    // stack of a crash), and they would come after the sink was ended, and be lost.
    proc.once('close', (code, signal) => {
      sink.end(
        `--- ${name} pid ${proc.pid} exited (${code ?? signal}) at ${new Date().toISOString()}\n`,
      );
    });
  }

  /** Orderly stop of everything, then the temp dir. */
  async stop(): Promise<void> {
    for (const proc of [...this.children]) {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await Promise.race([gone, sleep(5000)]);
    }
    await this.pg?.stop().catch(() => undefined);
    this.pg = null;
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  /** Synchronous last resort (process 'exit'): kill what is left, postmaster included. */
  killAllNow(): void {
    for (const proc of this.children) proc.kill('SIGKILL');
    const pidFile = path.join(this.root, 'pg', 'postmaster.pid');
    if (fs.existsSync(pidFile)) {
      const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGQUIT');
        } catch {
          /* already gone */
        }
      }
    }
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
