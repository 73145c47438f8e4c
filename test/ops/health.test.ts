import { Client } from 'pg';
import { startTestApp, type TestApp } from '../support/test-app';
import { testServerUrl } from '../support/test-database';
import { eventually } from './ops-support';

/** Runs SQL as superuser on the shared test server (not on the app's database). */
async function admin(sql: string): Promise<void> {
  const c = new Client({ connectionString: testServerUrl() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

describe('GET /health when the database goes away', () => {
  let t: TestApp;
  let db: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { SAGA_ROLE: 'api' } });
    db = new URL(t.databaseUrl).pathname.slice(1);
  });
  afterAll(async () => {
    await admin(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS true`).catch(() => undefined);
    await t?.close();
  });

  it('up: 200 with database and queue up', async () => {
    const res = await fetch(`${t.baseUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', checks: { database: 'up', queue: 'up' } });
  });

  it('database refusing connections: 503 with checks.database down; back to 200 once it accepts them again', async () => {
    await admin(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db}'`);
    const down = await eventually(
      async () => {
        const res = await fetch(`${t.baseUrl}/health`);
        return res.status === 503 ? res.json() : null;
      },
      15_000,
      '/health 503',
    );
    expect(down).toMatchObject({ status: 'error', checks: { database: 'down' } });
    // API routes that need the database answer 503 with Retry-After, never a 500.
    for (const [method, path] of [
      ['GET', '/api/v1/sagas/00000000-0000-4000-8000-000000000000'],
      ['GET', '/api/v1/sagas'],
      ['POST', '/api/v1/sagas'],
    ] as const) {
      const res = await t.api(path, {
        method,
        json:
          method === 'POST'
            ? {
                definition: 'order',
                input: {
                  customerId: 'c',
                  items: [{ sku: 'AIRPODS', quantity: 1 }],
                  payment: { token: 'tok_ok' },
                  shippingAddress: { line1: 'l', city: 'c', postalCode: '1' },
                },
              }
            : undefined,
      });
      expect({ path, status: res.status, retryAfter: res.headers.get('retry-after') }).toEqual({
        path,
        status: 503,
        retryAfter: '2',
      });
      expect(await res.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    }
    // /metrics still answers: the database gauges drop out instead of failing the scrape.
    const metrics = await fetch(`${t.baseUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).not.toMatch(/^sagachart_sagas_active\{/m);

    await admin(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS true`);
    const up = await eventually(
      async () => {
        const res = await fetch(`${t.baseUrl}/health`);
        return res.status === 200 ? res.json() : null;
      },
      20_000,
      '/health 200 again',
    );
    expect(up).toEqual({ status: 'ok', checks: { database: 'up', queue: 'up' } });
  });
});
