import { orderInput, startTestApp, waitForSaga, type TestApp } from '../support/test-app';
import { eventually, metric, scrape } from './ops-support';

async function start(t: TestApp, input: unknown): Promise<string> {
  const res = await t.api('/api/v1/sagas', {
    method: 'POST',
    json: { definition: 'order', input },
  });
  expect(res.status).toBe(201);
  return (await res.json()).id;
}

type Stats = Record<string, any>;

async function stats(t: TestApp, window = '1h'): Promise<Stats> {
  const res = await t.api(`/api/v1/stats?window=${window}`);
  expect(res.status).toBe(200);
  return res.json();
}

/** PostgreSQL's percentile_cont: linear interpolation between the closest ranks. */
function percentileCont(values: number[], p: number): number {
  const v = [...values].sort((a, b) => a - b);
  const rank = p * (v.length - 1);
  const lo = Math.floor(rank);
  return v[lo] + (v[Math.min(lo + 1, v.length - 1)] - v[lo]) * (rank - lo);
}

async function fault(t: TestApp, body: Record<string, unknown>): Promise<void> {
  const res = await t.api('/api/v1/faults', { method: 'POST', json: body });
  expect(res.status).toBe(201);
}

describe('GET /api/v1/stats', () => {
  describe('the request', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(async () => {
      await t?.close();
    });

    it('without an API key: 401', async () => {
      expect((await fetch(`${t.baseUrl}/api/v1/stats`)).status).toBe(401);
    });

    it('no window: 1h, every figure zero and no alert on an empty database', async () => {
      const res = await t.api('/api/v1/stats');
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        window: '1h',
        started: 0,
        completed: 0,
        compensated: 0,
        failed: 0,
        active: 0,
        successRate: 0,
        compensationRate: 0,
        failureRate: 0,
        averageDurationMs: null,
        p95DurationMs: null,
        stepFailures: {},
        stuck: 0,
        alerts: [],
      });
    });

    it.each(['5m', '15m', '1h', '6h', '24h', '7d', '1m', '30d', '90m'])(
      'window=%s: 200',
      async (w) => {
        expect((await stats(t, w)).window).toBe(w);
      },
    );

    it.each([
      ['forever', 'window=forever'],
      ['0m', 'window=0m'],
      ['31d', 'window=31d'],
      ['1w', 'window=1w'],
      ['1h ', 'window=1h%20'],
      ['two windows', 'window=1h&window=6h'],
      ['an unknown parameter', 'window=1h&since=yesterday'],
    ])('%s: 400 with details', async (_what, query) => {
      const res = await t.api(`/api/v1/stats?${query}`);
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(body.details.length).toBeGreaterThan(0);
      expect(body.details[0].path).toMatch(/^query/);
    });
  });

  it('figures: counts, rates over finished sagas, average and p95 as PostgreSQL computes them, step failures', async () => {
    const t = await startTestApp();
    try {
      const ids = await Promise.all([
        start(t, orderInput()),
        start(t, orderInput()),
        start(t, orderInput()),
        start(t, orderInput({ postalCode: '000000' })),
        start(t, orderInput({ token: 'tok_declined' })),
      ]);
      const sagas = await Promise.all(ids.map((id) => waitForSaga(t, id)));
      const s = await stats(t, '15m');
      expect(s).toMatchObject({
        started: 5,
        completed: 3,
        compensated: 2,
        failed: 0,
        active: 0,
        successRate: 0.6,
        compensationRate: 0.4,
        failureRate: 0,
        stepFailures: { arrange_shipping: 1, process_payment: 1 },
        stuck: 0,
      });
      const ms = sagas.map((x) => Date.parse(x.finishedAt) - Date.parse(x.createdAt));
      expect(
        Math.abs(s.averageDurationMs - ms.reduce((a, b) => a + b, 0) / ms.length),
      ).toBeLessThanOrEqual(1);
      expect(Math.abs(s.p95DurationMs - percentileCont(ms, 0.95))).toBeLessThanOrEqual(1);
    } finally {
      await t.close();
    }
  });

  describe('alerts fire under faults and clear after', () => {
    it('SagaCompensationStorm (warning): 1 of 2 compensated; clears once enough sagas complete', async () => {
      const t = await startTestApp({ env: { SAGA_ALERT_COMPENSATION_RATE: '0.2' } });
      try {
        await Promise.all(
          [start(t, orderInput()), start(t, orderInput({ postalCode: '000000' }))].map(async (p) =>
            waitForSaga(t, await p),
          ),
        );
        const firing = await stats(t);
        expect(firing.alerts).toEqual([
          expect.objectContaining({
            name: 'SagaCompensationStorm',
            severity: 'warning',
            value: 0.5,
            threshold: 0.2,
          }),
        ]);
        expect(firing.alerts[0].message).toMatch(/50\.0% of the 2 sagas/);
        // 1 compensated of 6 finished: 16.7%, under 20%.
        await Promise.all(
          [0, 1, 2, 3].map(async () => waitForSaga(t, await start(t, orderInput()))),
        );
        const cleared = await stats(t);
        expect(cleared.compensationRate).toBeCloseTo(1 / 6, 4);
        expect(cleared.alerts).toEqual([]);
      } finally {
        await t.close();
      }
    });

    it('SagaHighFailureRate (critical): a refund that fails makes the saga FAILED; clears after POST /retry compensates it', async () => {
      const t = await startTestApp({
        env: { SAGA_FAULTS: 'enabled', SAGA_ALERT_COMPENSATION_RATE: '1' },
      });
      try {
        await fault(t, { participant: 'payment', action: 'refund', mode: 'fail', times: 1 });
        const id = await start(t, orderInput({ postalCode: '000000' }));
        expect((await waitForSaga(t, id)).status).toBe('FAILED');
        const firing = await stats(t);
        expect(firing).toMatchObject({ failed: 1, failureRate: 1 });
        expect(firing.alerts).toEqual([
          expect.objectContaining({
            name: 'SagaHighFailureRate',
            severity: 'critical',
            value: 1,
            threshold: 0.05,
          }),
        ]);
        expect((await t.api(`/api/v1/sagas/${id}/retry`, { method: 'POST' })).status).toBe(202);
        expect((await waitForSaga(t, id)).status).toBe('COMPENSATED');
        const cleared = await stats(t);
        expect(cleared).toMatchObject({ failed: 0, compensated: 1, failureRate: 0, alerts: [] });
      } finally {
        await t.close();
      }
    });

    it('SagaStuckInProgress (critical): a step hanging past SAGA_ALERT_STUCK_AFTER_MS; clears when the saga finishes', async () => {
      const t = await startTestApp({
        env: { SAGA_FAULTS: 'enabled', SAGA_ALERT_STUCK_AFTER_MS: '1000' },
      });
      try {
        await fault(t, { participant: 'payment', action: 'charge', mode: 'timeout', times: 1 });
        const id = await start(t, orderInput());
        const firing = await eventually(
          async () => {
            const s = await stats(t);
            return s.stuck === 1 ? s : null;
          },
          4000,
          'stuck = 1',
        );
        expect(firing.active).toBe(1);
        expect(firing.alerts).toEqual([
          expect.objectContaining({
            name: 'SagaStuckInProgress',
            severity: 'critical',
            value: 1,
            threshold: 0,
          }),
        ]);
        expect(firing.alerts[0].message).toMatch(/more than 1000 ms/);
        // The Prometheus side of the same alert: the oldest active saga's age.
        expect(
          metric(await scrape(t), 'sagachart_saga_oldest_active_age_seconds', {
            definition: 'order',
          }),
        ).toBeGreaterThan(1);
        expect((await waitForSaga(t, id)).status).toBe('COMPLETED');
        const cleared = await stats(t);
        expect(cleared).toMatchObject({ stuck: 0, active: 0, completed: 1, alerts: [] });
        expect(
          metric(await scrape(t), 'sagachart_saga_oldest_active_age_seconds', {
            definition: 'order',
          }),
        ).toBe(0);
      } finally {
        await t.close();
      }
    });
  });
});
