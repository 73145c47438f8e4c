// A PostgreSQL outage must never crash a service process. The chaos soak once lost its API
// process (exit code 1) when PostgreSQL was stopped: a backend that had just finished a new
// connection's startup was told to terminate, and node-postgres read ReadyForQuery and
// FATAL 57P01 in one chunk. It then handed the connection out and emitted the error in the
// same tick, before TypeORM (or BullMQ's LISTEN client) had attached its 'error' listener:
// an 'error' event nobody listens for is an uncaught exception. The proxy below produces
// that chunk on every new connection, so the race happens each time instead of now and then.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client as Pg } from 'pg';
import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { errorBody } from '../../apps/api/src/http/http-exception.filter';
import { STEP_QUEUE_NAME } from '../../apps/api/src/runtime/step-queue';
import { orderInput } from '../support/test-app';
import { startServiceProcess, type ServiceProcess } from '../support/service-process';
import { createTestDatabase, testServerUrl } from '../support/test-database';
import {
  startTerminatingProxy,
  type TerminatingProxy,
} from '../support/terminating-postgres-proxy';
import { client, FINAL, until } from './lifecycle-support';

jest.setTimeout(180_000);

const KEY = 'connection-loss-key-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** application_name of each connection to `databaseUrl`'s database. */
async function applicationNames(databaseUrl: string): Promise<string[]> {
  const admin = new Pg({ connectionString: testServerUrl() });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      `SELECT application_name AS name FROM pg_stat_activity WHERE datname = $1`,
      [new URL(databaseUrl).pathname.slice(1)],
    );
    return rows.map((r: { name: string }) => r.name);
  } finally {
    await admin.end();
  }
}

/** Terminates every connection to `databaseUrl`'s database (the service's pools and LISTEN). */
async function terminateBackends(databaseUrl: string): Promise<number> {
  const admin = new Pg({ connectionString: testServerUrl() });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      `SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity
        WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [new URL(databaseUrl).pathname.slice(1)],
    );
    return rows.length;
  } finally {
    await admin.end();
  }
}

/** Starts an order saga through `api` and waits for its final status. */
async function finalStatusOfAnOrder(api: ReturnType<typeof client>): Promise<string> {
  const created = await api('/api/v1/sagas', {
    method: 'POST',
    json: { definition: 'order', input: orderInput() },
  });
  expect(created.status).toBe(201);
  const saga = await until('saga final', async () => {
    const { body } = await api(`/api/v1/sagas/${created.body.id}`);
    return FINAL.has(body.status) ? body : null;
  });
  return saga.status;
}

/** 'worker error' lines the process logs over the next `ms`. */
async function workerErrorsWithin(worker: ServiceProcess, ms: number): Promise<number> {
  const errorLines = () => worker.output().match(/worker error/g)?.length ?? 0;
  const before = errorLines();
  await sleep(ms);
  return errorLines() - before;
}

const alive = (s: ServiceProcess) => s.proc.exitCode === null && s.proc.signalCode === null;

describe('PostgreSQL terminates a connection right after its startup', () => {
  const started: ServiceProcess[] = [];
  const proxies: TerminatingProxy[] = [];
  const start = async (env: Record<string, string>) => {
    const s = await startServiceProcess({ SAGA_API_KEYS: KEY, ...env });
    started.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of started) await s.kill('SIGKILL');
    for (const p of proxies) await p.close();
  });

  it('the API process stays up, answers 503 meanwhile, and 200 once connections last again', async () => {
    const databaseUrl = await createTestDatabase('connloss');
    const proxy = await startTerminatingProxy(databaseUrl);
    proxies.push(proxy);
    const svc = await start({ DATABASE_URL: proxy.url, SAGA_ROLE: 'api' });
    const api = client(svc, KEY);
    // Ready, the queue's start-up (its migrations) included.
    await until('ready', async () => (await api('/health')).status === 200);
    expect((await api('/api/v1/sagas/counts')).status).toBe(200);

    proxy.terminateNewConnections = true;
    // The pool's connections are gone: every request needs a new one, and each new one dies.
    expect(await terminateBackends(databaseUrl)).toBeGreaterThan(0);
    await sleep(300);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        api('/api/v1/sagas/counts').then(
          (r) => r.status,
          () => 'no answer',
        ),
      ),
    );
    expect(proxy.terminated).toBeGreaterThan(0);
    expect(alive(svc)).toBe(true);
    expect(new Set(answers)).toEqual(new Set([503]));

    proxy.terminateNewConnections = false;
    await until('200 again', async () => (await api('/api/v1/sagas/counts')).status === 200);
    expect(alive(svc)).toBe(true);
    // Handled where it happened, not by the process's last-resort handler.
    expect(svc.output()).not.toMatch(/uncaught|Unhandled 'error' event/i);
  });

  it('a worker stays up when its connections (its LISTEN one too) die that way, and runs steps after', async () => {
    const databaseUrl = await createTestDatabase('connloss');
    const proxy = await startTerminatingProxy(databaseUrl);
    proxies.push(proxy);
    const apiProcess = await start({ DATABASE_URL: databaseUrl, SAGA_ROLE: 'api' });
    const worker = await start({
      DATABASE_URL: proxy.url,
      SAGA_ROLE: 'worker',
      SAGA_STALLED_INTERVAL_MS: '1000',
      SAGA_RECOVERY_INTERVAL_MS: '1000',
    });

    // Its queue started (migrations checked) and its LISTEN connection (named after the queue)
    // established: what is lost below is a running worker's, not a starting one's.
    await until('worker listening', async () =>
      (await applicationNames(databaseUrl)).includes(STEP_QUEUE_NAME),
    );
    proxy.terminateNewConnections = true;
    await terminateBackends(databaseUrl);
    // The worker reconnects its pools and its LISTEN connection; each new one dies at once.
    await until('connections terminated after startup', async () => proxy.terminated >= 3);
    await sleep(2000);
    expect(alive(worker)).toBe(true);

    proxy.terminateNewConnections = false;
    const api = client(apiProcess, KEY);
    expect(await finalStatusOfAnOrder(api)).toBe('COMPLETED');
    expect(alive(worker)).toBe(true);
    // And it settles: no worker left spinning on a connection that died unheard (BullMQ's
    // LISTEN client failing every wait at once, thousands of 'worker error' lines a second).
    expect(await workerErrorsWithin(worker, 2000)).toBe(0);
  });
});

describe('a worker started while PostgreSQL refuses the queue its connections', () => {
  const started: ServiceProcess[] = [];
  const proxies: TerminatingProxy[] = [];
  afterAll(async () => {
    for (const s of started) await s.kill('SIGKILL');
    for (const p of proxies) await p.close();
  });

  // The soak's case: a worker restarted while PostgreSQL was shutting down. BullMQ's check of
  // its schema failed then, and a failed check is kept: every later fetch of that worker
  // failed at once with the same error, and no step ran there until the process was killed.
  it('starts once they are accepted, runs steps, and does not spin', async () => {
    const databaseUrl = await createTestDatabase('connrefused');
    const proxy = await startTerminatingProxy(databaseUrl);
    proxies.push(proxy);
    const apiProcess = await startServiceProcess({
      SAGA_API_KEYS: KEY,
      DATABASE_URL: databaseUrl,
      SAGA_ROLE: 'api',
    });
    started.push(apiProcess);
    // BullMQ's pool connections carry `-c search_path="bullmq"`; TypeORM's pass.
    proxy.refuseStartup = /search_path/;
    const worker = await startServiceProcess({
      SAGA_API_KEYS: KEY,
      DATABASE_URL: proxy.url,
      SAGA_ROLE: 'worker',
    });
    started.push(worker);
    await until('queue connections refused', async () => proxy.refused >= 2);
    proxy.refuseStartup = null;

    const api = client(apiProcess, KEY);
    expect(await finalStatusOfAnOrder(api)).toBe('COMPLETED');
    expect(worker.output()).toMatch(/step worker could not start/);
    expect(await workerErrorsWithin(worker, 2000)).toBe(0);
  });
});

describe('last resort: an error nobody handled', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sagachart-crash-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Starts the API process with a preloaded script that runs `code` on SIGUSR2, started. */
  async function withPreload(name: string, code: string): Promise<ServiceProcess> {
    const file = path.join(dir, `${name}.js`);
    fs.writeFileSync(file, `process.on('SIGUSR2', () => setImmediate(() => { ${code} }));\n`);
    const svc = await startServiceProcess({
      DATABASE_URL: await createTestDatabase('crash'),
      SAGA_ROLE: 'api',
      SAGA_API_KEYS: KEY,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${file}`.trim(),
    });
    svc.proc.kill('SIGUSR2');
    return svc;
  }

  const exitOf = (s: ServiceProcess) =>
    new Promise<number | null>((resolve) => {
      if (!alive(s)) return resolve(s.proc.exitCode);
      s.proc.once('exit', (code) => resolve(code));
    });

  it.each([
    ['an uncaught exception', 'throw new Error("crash-marker-exception");', 'exception'],
    ['an unhandled rejection', 'Promise.reject(new Error("crash-marker-rejection"));', 'rejection'],
  ])('%s: exit code 1, with the error and its stack in the log', async (_what, code, marker) => {
    const svc = await withPreload(marker, code);
    expect(await exitOf(svc)).toBe(1);
    const out = svc.output();
    expect(out).toContain(`crash-marker-${marker}`);
    // The stack, not only the message: the frame that threw is named.
    expect(out).toMatch(new RegExp(`crash-marker-${marker}[\\s\\S]*\\n\\s+at .*${marker}\\.js`));
    await svc.kill('SIGKILL');
  });

  it('a connection error nobody listened for is logged, and the process stays up', async () => {
    const svc = await withPreload(
      'connection-error',
      `const e = new Error('terminating connection due to administrator command');
       e.code = '57P01';
       throw e;`,
    );
    try {
      await sleep(2500);
      expect(alive(svc)).toBe(true);
      expect(svc.output()).toMatch(
        /"level":50.*terminating connection due to administrator command/,
      );
      const res = await fetch(`${svc.baseUrl}/health/live`);
      expect(res.status).toBe(200);
    } finally {
      await svc.kill('SIGKILL');
    }
  });
});

describe('a connection lost in the middle of a transaction', () => {
  it("answers 503, also when TypeORM reports it as 'query runner already released'", () => {
    // TypeORM releases a transaction's connection on its 'error' event; the next statement or
    // the COMMIT then fails with these (seen in the soak's API log as 500s).
    for (const err of [
      new QueryRunnerAlreadyReleasedError(),
      new QueryRunnerProviderAlreadyReleasedError(),
    ]) {
      expect(errorBody(err).statusCode).toBe(503);
    }
    expect(errorBody(new Error('a bug of ours')).statusCode).toBe(500);
  });
});
