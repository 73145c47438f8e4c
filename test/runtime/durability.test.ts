// The durable runtime against real PostgreSQL and BullMQ: racing appliers, late events,
// the deadline job, recovery of a lost job, and a worker process killed mid-step.
import { Client } from 'pg';
import { SagaRuntime } from '../../apps/api/src/runtime/saga-runtime.service';
import { RecoveryService } from '../../apps/api/src/runtime/recovery.service';
import { StepQueue } from '../../apps/api/src/runtime/step-queue';
import { startServiceProcess } from '../support/service-process';
import { createTestDatabase } from '../support/test-database';
import { orderInput, startTestApp, waitForSaga, type TestApp } from '../support/test-app';

type Json = Record<string, any>;

const create = async (t: TestApp, faults: Json[] = [], input: unknown = orderInput()) => {
  const res = await t.api('/api/v1/sagas', {
    method: 'POST',
    json: { definition: 'order', input, ...(faults.length ? { faults } : {}) },
  });
  expect(res.status).toBe(201);
  return (await res.json()).id as string;
};
const history = async (t: TestApp, id: string): Promise<Json[]> =>
  (await t.api(`/api/v1/sagas/${id}/events`)).json();

describe('durable runtime', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SAGA_FAULTS: 'enabled' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('ten appliers racing with the same outcome: exactly one advances the saga, nothing applied twice', async () => {
    // Hold the real call so that our appliers deliver validate_order's outcome first.
    const id = await create(t, [
      { participant: 'order', action: 'validate', mode: 'delay', delayMs: 1500, times: 1 },
    ]);
    const runtime = t.app.get(SagaRuntime);
    // Let the real worker start its call first (it has taken the fault), so that its outcome surely arrives late.
    const taken = async () =>
      ((await (await t.api('/api/v1/faults')).json()) as Json[]).some(
        (f) => f.sagaId === id && f.remaining === 0,
      );
    for (let i = 0; i < 200 && !(await taken()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await taken()).toBe(true);
    const event = {
      type: 'STEP_SUCCEEDED',
      step: 'validate_order',
      attempt: 1,
      output: { orderId: 'x', totalCents: 7990000, lines: [] },
      at: new Date().toISOString(),
    } as const;
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => runtime.apply(id, event, 'worker')),
    );
    expect(outcomes.filter((o) => o.applied)).toHaveLength(1);
    const saga = await waitForSaga(t, id);
    expect(saga.status).toBe('COMPLETED');
    // The nine losers and the real worker's late outcome (after its 1.5 s hold) are recorded and ignored.
    let events = await history(t, id);
    for (let i = 0; i < 100 && events.filter((e) => e.type === 'EVENT_IGNORED').length < 10; i++) {
      await new Promise((r) => setTimeout(r, 50));
      events = await history(t, id);
    }
    expect(events.filter((e) => e.type === 'EVENT_IGNORED')).toHaveLength(10);
    expect(
      events.filter((e) => e.type === 'STEP_SUCCEEDED' && e.step === 'validate_order'),
    ).toHaveLength(1);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    // The step ran once at each participant: one charge, one shipment.
    expect(
      await (await t.api(`/api/v1/participants/payment/records?sagaId=${id}`)).json(),
    ).toHaveLength(1);
  });

  it('a duplicate delivery of a finished step job is a no-op (deterministic job id)', async () => {
    const id = await create(t);
    const saga = await waitForSaga(t, id);
    const queue = t.app.get(StepQueue);
    const definition = await t.app
      .get(SagaRuntime)
      .definitionOf(await t.app.get(SagaRuntime).load(id));
    const step = definition.steps[2];
    await queue.dispatch([
      {
        kind: 'execute',
        sagaId: id,
        step: step.name,
        stepIndex: 2,
        participant: step.participant,
        operation: step.action,
        idempotencyKey: `${id}:${step.name}:execute`,
        dispatchId: `${id}.${step.name}.execute.0`,
        timeoutMs: step.timeoutMs,
        async: false,
        retry: step.retry,
      },
    ]);
    await new Promise((r) => setTimeout(r, 500));
    expect((await history(t, id)).length).toBe((await history(t, saga.id)).length);
    expect(await (await t.api(`/api/v1/participants/payment/ledger?sagaId=${id}`)).json()).toEqual({
      chargedCents: 7990000,
      refundedCents: 0,
      feeCents: 0,
    });
  });

  it('the deadline job cancels a saga that is not final: DEADLINE_EXCEEDED, compensated', async () => {
    const id = await create(t, [
      { participant: 'payment', action: 'charge', mode: 'delay', delayMs: 1500, times: 1 },
    ]);
    await waitForSaga(t, id, (s) => s.state === 'EXECUTING.process_payment');
    const job = await t.app.get(StepQueue).queue.getJob(`${id}.deadline`);
    expect(await job!.getState()).toBe('delayed');
    await job!.promote(); // as if deadlineMs had passed
    const saga = await waitForSaga(t, id);
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    const events = await history(t, id);
    expect(events.map((e) => e.type)).toContain('DEADLINE_EXCEEDED');
    expect(saga.steps.map((s: Json) => s.status)).toEqual([
      'compensated',
      'compensated',
      'compensated',
      'pending',
      'pending',
    ]);
  });

  it('a deadline that fires after the saga finished changes nothing and writes nothing', async () => {
    const id = await create(t);
    await waitForSaga(t, id);
    const before = await history(t, id);
    const job = await t.app.get(StepQueue).queue.getJob(`${id}.deadline`);
    await job!.promote();
    await new Promise((r) => setTimeout(r, 500));
    expect(await history(t, id)).toEqual(before);
  });
});

describe('recovery and crashes (separate processes on one database)', () => {
  it('a job lost from the queue is enqueued again by the recovery sweep; the saga completes', async () => {
    const api = await startTestApp({ env: { SAGA_ROLE: 'api' } });
    try {
      const id = await create(api);
      const queue = api.app.get(StepQueue);
      const lost = `${id}.validate_order.execute.0`;
      expect(await queue.queue.getJob(lost)).toBeDefined();
      await queue.queue.remove(lost);
      expect(await queue.queue.getJob(lost)).toBeUndefined();
      const worker = await startTestApp({
        databaseUrl: api.databaseUrl,
        env: { SAGA_ROLE: 'worker', SAGA_RECOVERY_GRACE_MS: '3600000' },
      });
      try {
        // The periodic sweep waits an hour here; this one looks at every saga at once.
        const report = await worker.app.get(RecoveryService).sweep(0);
        expect(report.added).toBe(1);
        const saga = await waitForSaga(api, id);
        expect(saga.status).toBe('COMPLETED');
      } finally {
        await worker.close();
      }
    } finally {
      await api.close();
    }
  });

  it('a worker SIGKILLed mid-step: the stalled job runs again on a new worker, each effect once', async () => {
    const databaseUrl = await createTestDatabase('kill');
    const api = await startTestApp({
      databaseUrl,
      env: { SAGA_ROLE: 'api', SAGA_FAULTS: 'enabled' },
    });
    const env = {
      DATABASE_URL: databaseUrl,
      SAGA_ROLE: 'worker',
      SAGA_API_KEYS: api.apiKey,
      SAGA_FAULTS: 'enabled',
      SAGA_STALLED_INTERVAL_MS: '1000',
      SAGA_RECOVERY_INTERVAL_MS: '1000',
    };
    let worker = await startServiceProcess(env);
    try {
      // The charge is held for 3 s inside the participant call: we kill the worker then.
      const id = await create(api, [
        { participant: 'payment', action: 'charge', mode: 'delay', delayMs: 3000, times: 1 },
      ]);
      await waitForSaga(api, id, (s) => s.state === 'EXECUTING.process_payment');
      // The transition commits before its job is enqueued, so the job may not exist yet.
      const queue = api.app.get(StepQueue).queue;
      const jobId = `${id}.process_payment.execute.0`;
      let jobState = 'missing';
      for (let i = 0; i < 250 && jobState !== 'active'; i++) {
        jobState = (await (await queue.getJob(jobId))?.getState()) ?? 'missing';
        if (jobState !== 'active') await new Promise((r) => setTimeout(r, 20));
      }
      expect(jobState).toBe('active');
      expect(await worker.kill('SIGKILL')).toBe(null);
      worker = await startServiceProcess(env);
      const saga = await waitForSaga(api, id, undefined, 60_000);
      expect(saga.status).toBe('COMPLETED');
      for (const p of ['order', 'inventory', 'payment', 'shipping', 'notification']) {
        const recs: Json[] = await (
          await api.api(`/api/v1/participants/${p}/records?sagaId=${id}`)
        ).json();
        expect({ p, n: recs.length }).toEqual({ p, n: 1 });
      }
      const db = new Client({ connectionString: databaseUrl });
      await db.connect();
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM payment.operation WHERE saga_id = $1`,
        [id],
      );
      await db.end();
      expect(rows[0].n).toBe(1);
    } finally {
      await worker.kill('SIGTERM');
      await api.close();
    }
  });
});
