// The REST contract of API.md for sagas, against the real service (PostgreSQL + BullMQ).
import { orderInput, startTestApp, waitForSaga, type TestApp } from '../support/test-app';

type Json = Record<string, any>;

describe('sagas REST API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SAGA_FAULTS: 'enabled' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = async (input: unknown = orderInput(), headers: Record<string, string> = {}) =>
    t.api('/api/v1/sagas', { method: 'POST', json: { definition: 'order', input }, headers });

  describe('authentication', () => {
    it('no Authorization header: 401 in the error shape', async () => {
      const res = await fetch(`${t.baseUrl}/api/v1/sagas`);
      expect(res.status).toBe(401);
      const body = await res.json();
      expect(body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      expect(typeof body.message).toBe('string');
    });
    it('a wrong key: 401', async () => {
      const res = await t.api('/api/v1/definitions', {
        headers: { authorization: 'Bearer nope-nope-nope-nope' },
      });
      expect(res.status).toBe(401);
    });
    it('/health needs no key', async () => {
      const res = await fetch(`${t.baseUrl}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', checks: { database: 'up', queue: 'up' } });
    });
  });

  describe('POST /api/v1/sagas validation', () => {
    it('a quantity of 0: 400 with details naming input.items.0.quantity, and no saga is created', async () => {
      const before = (await (await t.api('/api/v1/sagas?limit=200')).json()).items.length;
      const res = await create(orderInput({ items: [{ sku: 'IPHONE-15', quantity: 0 }] }));
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.statusCode).toBe(400);
      expect(body.error).toBe('Bad Request');
      expect(body.details.map((d: Json) => d.path)).toContain('input.items.0.quantity');
      const after = (await (await t.api('/api/v1/sagas?limit=200')).json()).items.length;
      expect(after).toBe(before);
    });
    it('an unknown field in the body: 400 with details', async () => {
      const res = await t.api('/api/v1/sagas', {
        method: 'POST',
        json: { definition: 'order', input: orderInput(), extra: 1 },
      });
      expect(res.status).toBe(400);
      expect((await res.json()).details.length).toBeGreaterThan(0);
    });
    it('an unknown field inside input: 400 naming it', async () => {
      const res = await create({ ...orderInput(), coupon: 'FREE' });
      expect(res.status).toBe(400);
      expect(JSON.stringify((await res.json()).details)).toContain('coupon');
    });
    it('malformed JSON: 400 with details', async () => {
      const res = await t.api('/api/v1/sagas', {
        method: 'POST',
        body: '{"definition": ',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.message).toMatch(/JSON/);
      expect(body.details).toEqual([
        { path: '', message: expect.stringMatching(/at position 15 \(line 1, column 16\)/) },
      ]);
    });
    it('a body over 1 MiB: 413', async () => {
      const big = JSON.stringify({
        definition: 'order',
        input: { pad: 'x'.repeat(1024 * 1024 + 10) },
      });
      const res = await t.api('/api/v1/sagas', {
        method: 'POST',
        body: big,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(413);
      expect((await res.json()).statusCode).toBe(413);
    });
    it('an unknown definition: 404', async () => {
      const res = await t.api('/api/v1/sagas', {
        method: 'POST',
        json: { definition: 'nope', input: {} },
      });
      expect(res.status).toBe(404);
    });
    it('an unknown version of a known definition: 404', async () => {
      const res = await t.api('/api/v1/sagas', {
        method: 'POST',
        json: { definition: 'order', version: 99, input: orderInput() },
      });
      expect(res.status).toBe(404);
    });
    it('a wrong type (version as string): 400', async () => {
      const res = await t.api('/api/v1/sagas', {
        method: 'POST',
        json: { definition: 'order', version: '1', input: orderInput() },
      });
      expect(res.status).toBe(400);
    });
  });

  describe('GET /api/v1/sagas/:id', () => {
    it('a malformed id: 400; an unknown UUID: 404', async () => {
      expect((await t.api('/api/v1/sagas/not-a-uuid')).status).toBe(400);
      expect((await t.api('/api/v1/sagas/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect(
        (await t.api('/api/v1/sagas/00000000-0000-4000-8000-000000000000/events')).status,
      ).toBe(404);
    });
  });

  describe('Idempotency-Key', () => {
    it('the same key and body: 200 with the same saga; a different body: 409', async () => {
      const key = `k-${Date.now()}-${Math.random()}`;
      const first = await create(orderInput(), { 'idempotency-key': key });
      expect(first.status).toBe(201);
      const a = await first.json();
      const again = await create(orderInput(), { 'idempotency-key': key });
      expect(again.status).toBe(200);
      expect((await again.json()).id).toBe(a.id);
      const other = await create(orderInput({ token: 'tok_declined' }), { 'idempotency-key': key });
      expect(other.status).toBe(409);
    });
    it('ten concurrent requests with one key create exactly one saga', async () => {
      const key = `k-${Date.now()}-${Math.random()}`;
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => create(orderInput(), { 'idempotency-key': key })),
      );
      const ids = new Set<string>();
      for (const r of responses) ids.add((await r.json()).id);
      expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
      expect(responses.filter((r) => r.status === 200)).toHaveLength(9);
      expect(ids.size).toBe(1);
    });
  });

  describe('listing', () => {
    it('pages newest first with a stable cursor while new sagas arrive', async () => {
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push((await (await create()).json()).id);
      const page1 = await (await t.api('/api/v1/sagas?limit=2')).json();
      expect(page1.items.map((s: Json) => s.id)).toEqual([made[4], made[3]]);
      // Sagas created while paging must not shift or repeat items.
      await create();
      const page2 = await (await t.api(`/api/v1/sagas?limit=2&cursor=${page1.nextCursor}`)).json();
      expect(page2.items.map((s: Json) => s.id)).toEqual([made[2], made[1]]);
    });
    it('filters by status and definition', async () => {
      const id = (await (await create(orderInput({ token: 'tok_declined' }))).json()).id;
      await waitForSaga(t, id);
      const page = await (
        await t.api('/api/v1/sagas?status=COMPENSATED&definition=order&limit=200')
      ).json();
      expect(page.items.length).toBeGreaterThan(0);
      expect(
        page.items.every((s: Json) => s.status === 'COMPENSATED' && s.definition === 'order'),
      ).toBe(true);
      expect(page.items.map((s: Json) => s.id)).toContain(id);
    });
    it.each([
      ['limit=0'],
      ['limit=1.5'],
      ['limit=201'],
      ['limit=abc'],
      ['status=DONE'],
      ['cursor=forged'],
      [`cursor=${Buffer.from('{"c":"x","i":"y"}').toString('base64url')}`],
      ['color=blue'],
    ])('invalid query %s: 400 with details', async (q) => {
      const res = await t.api(`/api/v1/sagas?${q}`);
      expect(res.status).toBe(400);
      expect((await res.json()).details.length).toBeGreaterThan(0);
    });
  });

  describe('history', () => {
    it('a completed saga: oldest first, sequence 1..n, machine events and derived entries', async () => {
      const id = (await (await create()).json()).id;
      await waitForSaga(t, id);
      const events: Json[] = await (await t.api(`/api/v1/sagas/${id}/events`)).json();
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events[0].type).toBe('SAGA_STARTED');
      expect(events.at(-1)!.type).toBe('SAGA_COMPLETED');
      expect(events.filter((e) => e.type === 'STEP_SUCCEEDED').map((e) => e.step)).toEqual([
        'validate_order',
        'reserve_inventory',
        'process_payment',
        'arrange_shipping',
        'send_notification',
      ]);
    });
    it('tok_flaky: two failed attempts with data.retryable, then success on attempt 3', async () => {
      const id = (await (await create(orderInput({ token: 'tok_flaky' }))).json()).id;
      const saga = await waitForSaga(t, id);
      expect(saga.status).toBe('COMPLETED');
      const payment = saga.steps.find((s: Json) => s.name === 'process_payment');
      expect(payment.attempts).toBe(3);
      const events: Json[] = await (await t.api(`/api/v1/sagas/${id}/events`)).json();
      const failed = events.filter((e) => e.type === 'STEP_FAILED' && e.step === 'process_payment');
      expect(failed.map((e) => [e.attempt, e.data.retryable])).toEqual([
        [1, true],
        [2, true],
      ]);
    });
    it('an attempt that runs past its timeout is a retryable failed attempt (TIMEOUT), then retried', async () => {
      const res = await t.api('/api/v1/sagas', {
        method: 'POST',
        json: {
          definition: 'order',
          input: orderInput(),
          faults: [{ participant: 'payment', action: 'charge', mode: 'timeout', times: 1 }],
        },
      });
      const { id } = await res.json();
      const saga = await waitForSaga(t, id);
      expect(saga.status).toBe('COMPLETED');
      expect(saga.steps.find((s: Json) => s.name === 'process_payment').attempts).toBe(2);
      const events: Json[] = await (await t.api(`/api/v1/sagas/${id}/events`)).json();
      const failed = events.filter((e) => e.type === 'STEP_FAILED');
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({
        step: 'process_payment',
        attempt: 1,
        data: { code: 'TIMEOUT', retryable: true, final: false },
      });
      // One charge: the timed-out attempt never reached the participant.
      const ledger = await (await t.api(`/api/v1/participants/payment/ledger?sagaId=${id}`)).json();
      expect(ledger.chargedCents).toBe(7990000);
    });
    it('SSE: streams every entry with id = seq and ends when the saga is final', async () => {
      const id = (await (await create()).json()).id;
      const res = await t.api(`/api/v1/sagas/${id}/events`, {
        headers: { accept: 'text/event-stream' },
      });
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const text = await res.text(); // resolves only when the server ends the stream
      const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      expect(ids).toEqual(ids.map((_, i) => i + 1));
      expect(text).toContain('event: SAGA_COMPLETED');
    });
    it('SSE honours Last-Event-ID', async () => {
      const id = (await (await create()).json()).id;
      await waitForSaga(t, id);
      const res = await t.api(`/api/v1/sagas/${id}/events`, {
        headers: { accept: 'text/event-stream', 'last-event-id': '3' },
      });
      const ids = [...(await res.text()).matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      expect(ids[0]).toBe(4);
    });
  });

  describe('cancel', () => {
    it('a running saga: 202, compensates what completed, ends COMPENSATED; a second cancel: 409 and no event', async () => {
      const id = (await (await create()).json()).id;
      // Hold the payment call so that the saga is surely in process_payment when cancelled.
      await t.api('/api/v1/faults', {
        method: 'POST',
        json: {
          participant: 'payment',
          action: 'charge',
          mode: 'delay',
          delayMs: 800,
          times: 1,
          sagaId: id,
        },
      });
      await waitForSaga(t, id, (s) => s.state === 'EXECUTING.process_payment');
      const res = await t.api(`/api/v1/sagas/${id}/cancel`, { method: 'POST' });
      expect(res.status).toBe(202);
      const saga = await waitForSaga(t, id);
      expect(saga.status).toBe('COMPENSATED');
      // The in-flight charge finished after the cancel, so it too was refunded.
      expect(saga.steps.map((s: Json) => s.status)).toEqual([
        'compensated',
        'compensated',
        'compensated',
        'pending',
        'pending',
      ]);
      const ledger = await (await t.api(`/api/v1/participants/payment/ledger?sagaId=${id}`)).json();
      expect(ledger.chargedCents).toBe(7990000);
      expect(ledger.refundedCents + ledger.feeCents).toBe(ledger.chargedCents);
      const before = (await (await t.api(`/api/v1/sagas/${id}/events`)).json()).length;
      expect((await t.api(`/api/v1/sagas/${id}/cancel`, { method: 'POST' })).status).toBe(409);
      expect((await (await t.api(`/api/v1/sagas/${id}/events`)).json()).length).toBe(before);
      const events: Json[] = await (await t.api(`/api/v1/sagas/${id}/events`)).json();
      expect(events.map((e) => e.type)).toContain('CANCEL_REQUESTED');
    });
  });

  describe('retry', () => {
    it('a FAILED saga: 202, the failed compensation runs again, the saga ends COMPENSATED', async () => {
      const id = (await (await create(orderInput({ postalCode: '000000' }))).json()).id;
      await t.api('/api/v1/faults', {
        method: 'POST',
        json: { participant: 'payment', action: 'refund', mode: 'fail', times: 1, sagaId: id },
      });
      const failed = await waitForSaga(t, id);
      expect(failed.status).toBe('FAILED');
      expect(failed.requiresManualIntervention).toBe(true);
      expect(failed.error.step).toBe('process_payment');
      expect((await t.api(`/api/v1/sagas/${id}/retry`, { method: 'POST' })).status).toBe(202);
      const done = await waitForSaga(t, id);
      expect(done.status).toBe('COMPENSATED');
      expect(done.requiresManualIntervention).toBe(false);
      const stock = await (
        await t.api(`/api/v1/participants/inventory/records?sagaId=${id}`)
      ).json();
      expect(stock.map((r: Json) => r.kind)).toEqual(expect.arrayContaining(['reservation']));
      // retry of a non-FAILED saga: 409
      expect((await t.api(`/api/v1/sagas/${id}/retry`, { method: 'POST' })).status).toBe(409);
    });
  });
});
