import { orderInput, startTestApp, waitForSaga, type TestApp } from '../support/test-app';
import { metric, scrape } from './ops-support';

type Saga = Record<string, any>;

async function runSaga(t: TestApp, input: unknown): Promise<Saga> {
  const res = await t.api('/api/v1/sagas', {
    method: 'POST',
    json: { definition: 'order', input },
  });
  expect(res.status).toBe(201);
  return waitForSaga(t, (await res.json()).id);
}

describe('GET /metrics (Prometheus)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SAGA_FAULTS: 'enabled' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('needs no API key and answers the text format with every sagachart family and process metrics', async () => {
    const res = await fetch(`${t.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const family of [
      'sagachart_sagas_started_total counter',
      'sagachart_sagas_finished_total counter',
      'sagachart_step_attempts_total counter',
      'sagachart_compensations_total counter',
      'sagachart_step_duration_seconds histogram',
      'sagachart_saga_duration_seconds histogram',
      'sagachart_sagas_active gauge',
      'sagachart_saga_oldest_active_age_seconds gauge',
      'sagachart_queue_jobs gauge',
      'process_cpu_user_seconds_total counter',
      'nodejs_heap_size_used_bytes gauge',
    ]) {
      expect(text).toContain(`# TYPE ${family}`);
    }
    const samples = await scrape(t);
    for (const state of ['waiting', 'active', 'delayed', 'failed']) {
      expect(
        samples.some((s) => s.name === 'sagachart_queue_jobs' && s.labels.state === state),
      ).toBe(true);
    }
    expect(metric(samples, 'sagachart_sagas_active', { definition: 'order' })).toBe(0);
  });

  it('completed, compensated and failed sagas: counters and histograms move by exactly what ran', async () => {
    const before = await scrape(t);
    const completed = await runSaga(t, orderInput());
    const compensated = await runSaga(t, orderInput({ postalCode: '000000' }));
    const fault = await t.api('/api/v1/faults', {
      method: 'POST',
      json: { participant: 'payment', action: 'refund', mode: 'fail', times: 1 },
    });
    expect(fault.status).toBe(201);
    const failed = await runSaga(t, orderInput({ postalCode: '000000' }));
    expect([completed.status, compensated.status, failed.status]).toEqual([
      'COMPLETED',
      'COMPENSATED',
      'FAILED',
    ]);
    const after = await scrape(t);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      metric(after, name, labels) - metric(before, name, labels);
    const order = { definition: 'order' };

    expect(delta('sagachart_sagas_started_total', order)).toBe(3);
    expect(delta('sagachart_sagas_finished_total', { ...order, status: 'COMPLETED' })).toBe(1);
    expect(delta('sagachart_sagas_finished_total', { ...order, status: 'COMPENSATED' })).toBe(1);
    expect(delta('sagachart_sagas_finished_total', { ...order, status: 'FAILED' })).toBe(1);
    // Each saga ran validate_order once; arrange_shipping failed (not retried) twice.
    expect(
      delta('sagachart_step_attempts_total', {
        ...order,
        step: 'validate_order',
        kind: 'execute',
        outcome: 'succeeded',
      }),
    ).toBe(3);
    expect(
      delta('sagachart_step_attempts_total', {
        ...order,
        step: 'arrange_shipping',
        kind: 'execute',
        outcome: 'failed',
      }),
    ).toBe(2);
    expect(
      delta('sagachart_step_attempts_total', {
        ...order,
        step: 'send_notification',
        kind: 'execute',
        outcome: 'succeeded',
      }),
    ).toBe(1);
    // The refund: succeeded once (compensated saga), failed once (the fault).
    expect(
      delta('sagachart_compensations_total', {
        ...order,
        step: 'process_payment',
        outcome: 'succeeded',
      }),
    ).toBe(1);
    expect(
      delta('sagachart_compensations_total', {
        ...order,
        step: 'process_payment',
        outcome: 'failed',
      }),
    ).toBe(1);
    expect(
      delta('sagachart_step_attempts_total', {
        ...order,
        step: 'process_payment',
        kind: 'compensate',
        outcome: 'failed',
      }),
    ).toBe(1);
    // Step durations: one observation per attempt, in the +Inf bucket and the count alike.
    const attempts = delta('sagachart_step_attempts_total', order);
    expect(attempts).toBeGreaterThanOrEqual(5 + 3 + 3 + 3 + 2);
    expect(delta('sagachart_step_duration_seconds_count', order)).toBe(attempts);
    expect(
      delta('sagachart_step_duration_seconds_bucket', {
        ...order,
        step: 'validate_order',
        kind: 'execute',
        le: '+Inf',
      }),
    ).toBe(3);
    expect(delta('sagachart_step_duration_seconds_sum', order)).toBeGreaterThan(0);
    // Saga durations: createdAt -> finishedAt of the views, per final status.
    const seconds = (s: Saga) => (Date.parse(s.finishedAt) - Date.parse(s.createdAt)) / 1000;
    expect(delta('sagachart_saga_duration_seconds_count', { ...order, status: 'COMPLETED' })).toBe(
      1,
    );
    expect(
      delta('sagachart_saga_duration_seconds_sum', { ...order, status: 'COMPLETED' }),
    ).toBeCloseTo(seconds(completed), 3);
    expect(
      delta('sagachart_saga_duration_seconds_sum', { ...order, status: 'FAILED' }),
    ).toBeCloseTo(seconds(failed), 3);
  });

  it('a saga hanging in a step: sagas_active and the oldest age count it at scrape time, then drop to 0', async () => {
    const fault = await t.api('/api/v1/faults', {
      method: 'POST',
      json: { participant: 'inventory', action: 'reserve', mode: 'timeout', times: 1 },
    });
    expect(fault.status).toBe(201);
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'order', input: orderInput() },
    });
    const { id } = await res.json();
    await new Promise((r) => setTimeout(r, 1200));
    const during = await scrape(t);
    expect(metric(during, 'sagachart_sagas_active', { definition: 'order' })).toBe(1);
    expect(
      metric(during, 'sagachart_saga_oldest_active_age_seconds', { definition: 'order' }),
    ).toBeGreaterThanOrEqual(1);
    // The hanging attempt holds a job active in the queue.
    expect(metric(during, 'sagachart_queue_jobs', { state: 'active' })).toBeGreaterThanOrEqual(1);
    expect((await waitForSaga(t, id)).status).toBe('COMPLETED');
    const after = await scrape(t);
    expect(metric(after, 'sagachart_sagas_active', { definition: 'order' })).toBe(0);
    expect(metric(after, 'sagachart_saga_oldest_active_age_seconds', { definition: 'order' })).toBe(
      0,
    );
    expect(
      metric(after, 'sagachart_step_attempts_total', {
        step: 'reserve_inventory',
        kind: 'execute',
        outcome: 'retrying',
      }),
    ).toBe(1);
  });

  it('two apps in one process: each has its own registry and counts only its own sagas', async () => {
    const other = await startTestApp();
    try {
      const res = await other.api('/api/v1/sagas', {
        method: 'POST',
        json: { definition: 'order', input: orderInput() },
      });
      await waitForSaga(other, (await res.json()).id);
      const mine = metric(await scrape(t), 'sagachart_sagas_started_total');
      expect(metric(await scrape(other), 'sagachart_sagas_started_total')).toBe(1);
      expect(metric(await scrape(t), 'sagachart_sagas_started_total')).toBe(mine);
    } finally {
      await other.close();
    }
  });
});
