// Starts the real service in-process (Nest app, real PostgreSQL database of its own, real
// BullMQ on the PostgreSQL backend or on Redis) on a free loopback port.
import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomBytes } from 'node:crypto';
import { createApp } from '../../apps/api/src/app.factory';
import { loadConfig, type AppConfig } from '../../apps/api/src/config/app-config';
import { createTestDatabase } from './test-database';

export interface TestApp {
  app: NestExpressApplication;
  baseUrl: string;
  apiKey: string;
  databaseUrl: string;
  config: AppConfig;
  /** fetch() against the app with the API key and JSON headers. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** 'redis' runs BullMQ on the Redis of the test run (throws if none). */
  backend?: 'postgres' | 'redis';
  /** Extra environment (SAGA_FAULTS, SAGA_ROLE, ...). */
  env?: Record<string, string>;
  /** Reuse an existing database (e.g. to restart on the same data). */
  databaseUrl?: string;
}

/** fetch() bound to a service: adds the API key (unless given) and encodes `json` bodies. */
export function apiClient(baseUrl: string, apiKey: string): TestApp['api'] {
  return (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has('authorization')) headers.set('authorization', `Bearer ${apiKey}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    return fetch(baseUrl + path, { ...init, headers, body });
  };
}

export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const databaseUrl = opts.databaseUrl ?? (await createTestDatabase('app'));
  const apiKey = `test-key-${randomBytes(12).toString('hex')}`;
  const redisUrl = opts.backend === 'redis' ? process.env.TEST_REDIS_URL : undefined;
  if (opts.backend === 'redis' && !redisUrl)
    throw new Error('no Redis available for this test run');
  const config = loadConfig({
    PORT: '0',
    SAGA_API_KEYS: apiKey,
    DATABASE_URL: databaseUrl,
    // Suites share one Redis: each database gets its own queue keys.
    ...(redisUrl
      ? { REDIS_URL: redisUrl, SAGA_QUEUE_PREFIX: new URL(databaseUrl).pathname.slice(1) }
      : {}),
    SAGA_RECOVERY_INTERVAL_MS: '1000',
    SAGA_STALLED_INTERVAL_MS: '2000',
    LOG_LEVEL: 'warn',
    // No SAGA_RATE_LIMIT_PER_MINUTE: no limit (tests poll hard); the rate-limit suite sets one.
    ...opts.env,
  });
  const app = await createApp({ config, databaseUrl, logger: ['error', 'fatal'] });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${port}`;
  const api = apiClient(baseUrl, apiKey);
  return { app, baseUrl, apiKey, databaseUrl, config, api, close: () => app.close() };
}

/** The `order` saga input of API.md, with overrides. */
export function orderInput(
  over: Partial<Record<'token' | 'postalCode', string>> & {
    items?: { sku: string; quantity: number }[];
  } = {},
) {
  return {
    customerId: 'c-42',
    items: over.items ?? [{ sku: 'IPHONE-15', quantity: 1 }],
    payment: { token: over.token ?? 'tok_ok' },
    shippingAddress: {
      line1: '1 Marine Drive',
      city: 'Mumbai',
      postalCode: over.postalCode ?? '400001',
    },
  };
}

const FINAL = new Set(['COMPLETED', 'COMPENSATED', 'FAILED']);

/** Polls the saga until `until` holds (default: final) or the timeout passes. */
export async function waitForSaga(
  t: Pick<TestApp, 'api'>,
  id: string,
  until: (saga: { status: string; state: string }) => boolean = (s) => FINAL.has(s.status),
  timeoutMs = 30_000,
): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.api(`/api/v1/sagas/${id}`);
    const saga = (await res.json()) as Record<string, any>;
    if (until(saga as never)) return saga;
    if (Date.now() > deadline)
      throw new Error(`saga ${id} stuck in ${saga.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
