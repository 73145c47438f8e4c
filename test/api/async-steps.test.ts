// Async steps (API.md, "Async steps and callbacks"): the participant's 2xx only accepts the
// work; the outcome arrives at the callback URL, whose token is the credential. Run on both
// queue backends: the waiting job sits in BullMQ's delayed state until the attempt's deadline.
import { startTestApp, waitForSaga, type TestApp } from '../support/test-app';
import {
  startScriptedParticipant,
  type ScriptedParticipant,
} from '../support/scripted-participant';

type Json = Record<string, any>;

const backends: ('postgres' | 'redis')[] = process.env.TEST_REDIS_URL
  ? ['postgres', 'redis']
  : ['postgres'];

function asyncDefinition(name: string, url: string, timeoutMs: number, maxAttempts = 1) {
  return {
    name,
    participants: { hotel: { url } },
    steps: [
      { name: 'hold', participant: 'hotel', action: 'hold', compensation: 'unhold' },
      {
        name: 'book_hotel',
        participant: 'hotel',
        action: 'book',
        compensation: 'cancel',
        async: true,
        timeoutMs,
        retry: { maxAttempts, backoffMs: 10, maxBackoffMs: 20 },
      },
    ],
  };
}

const ACCEPT = { book_hotel: { execute: [{ status: 202, body: { accepted: true } }] } };

describe.each(backends)('async steps and callbacks (%s backend)', (backend) => {
  let t: TestApp;
  let hotel: ScriptedParticipant;

  beforeAll(async () => {
    hotel = await startScriptedParticipant();
    t = await startTestApp({ backend });
    for (const [name, timeout, attempts] of [
      ['async-long', 20_000, 1],
      ['async-short', 600, 1],
      ['async-retry', 20_000, 3],
    ] as const) {
      const res = await t.api('/api/v1/definitions', {
        method: 'POST',
        json: asyncDefinition(name, hotel.url, timeout, attempts),
      });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await t?.close();
    await hotel?.close();
  });

  /** Starts a saga and waits until the async participant has been asked (and accepted). */
  async function startAndAccept(definition: string): Promise<{ id: string; callbackUrl: string }> {
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition, input: { script: ACCEPT } },
    });
    expect(res.status).toBe(201);
    const { id } = await res.json();
    await waitForSaga(t, id, () => hotel.callsFor(id, 'book_hotel').length > 0);
    const [call] = hotel.callsFor(id, 'book_hotel');
    expect(call.body.callbackUrl).toMatch(
      new RegExp(`^${t.baseUrl}/api/v1/callbacks/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$`),
    );
    // Accepted is not done: the step keeps running until the callback.
    const events = async () => (await (await t.api(`/api/v1/sagas/${id}/events`)).json()) as Json[];
    for (let i = 0; i < 100 && !(await events()).some((e) => e.type === 'STEP_ACCEPTED'); i++)
      await new Promise((r) => setTimeout(r, 30));
    const saga = await (await t.api(`/api/v1/sagas/${id}`)).json();
    expect(saga.state).toBe('EXECUTING.book_hotel');
    expect(saga.steps[1]).toMatchObject({ status: 'running' });
    return { id, callbackUrl: call.body.callbackUrl };
  }

  const callback = (url: string, body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('success: 202, the step succeeds with the callback output; the same callback again: 200, no second event', async () => {
    const { id, callbackUrl } = await startAndAccept('async-long');
    const first = await callback(callbackUrl, { status: 'succeeded', output: { room: '12B' } });
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ accepted: true, sagaId: id, step: 'book_hotel' });
    const saga = await waitForSaga(t, id);
    expect(saga.status).toBe('COMPLETED');
    expect(saga.steps[1]).toMatchObject({
      status: 'succeeded',
      output: { room: '12B' },
      attempts: 1,
    });
    const again = await callback(callbackUrl, { status: 'succeeded', output: { room: '12B' } });
    expect(again.status).toBe(200);
    const events = (await (await t.api(`/api/v1/sagas/${id}/events`)).json()) as Json[];
    expect(
      events.filter((e) => e.type === 'STEP_SUCCEEDED' && e.step === 'book_hotel'),
    ).toHaveLength(1);
    expect(events.find((e) => e.type === 'STEP_ACCEPTED')).toMatchObject({
      step: 'book_hotel',
      attempt: 1,
    });
    // The participant was asked once: accepted means no further attempt.
    expect(hotel.callsFor(id, 'book_hotel')).toHaveLength(1);
  });

  it('failure: the step fails with the reported code and the earlier step is compensated', async () => {
    const { id, callbackUrl } = await startAndAccept('async-long');
    const res = await callback(callbackUrl, {
      status: 'failed',
      error: { code: 'HOTEL_FULL', message: 'No rooms in Goa.' },
      retryable: false,
    });
    expect(res.status).toBe(202);
    const saga = await waitForSaga(t, id);
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error).toEqual({
      step: 'book_hotel',
      code: 'HOTEL_FULL',
      message: 'No rooms in Goa.',
    });
    expect(saga.steps[0].status).toBe('compensated');
  });

  it('a retryable failure: the next attempt is made with the same idempotency key, and its callback completes the step', async () => {
    const { id, callbackUrl } = await startAndAccept('async-retry');
    expect(
      (await callback(callbackUrl, { status: 'failed', error: { code: 'BUSY' }, retryable: true }))
        .status,
    ).toBe(202);
    await waitForSaga(t, id, () => hotel.callsFor(id, 'book_hotel').length >= 2, 10_000);
    const calls = hotel.callsFor(id, 'book_hotel');
    expect(calls.map((c) => c.body.attempt)).toEqual([1, 2]);
    expect(calls[1].headers['idempotency-key']).toBe(calls[0].headers['idempotency-key']);
    // The same round: the same token.
    expect(calls[1].body.callbackUrl).toBe(callbackUrl);
    expect((await callback(callbackUrl, { status: 'succeeded', output: { ok: 1 } })).status).toBe(
      202,
    );
    const saga = await waitForSaga(t, id);
    expect(saga.status).toBe('COMPLETED');
    expect(saga.steps[1]).toMatchObject({ attempts: 2, output: { ok: 1 } });
  });

  it('no callback within timeoutMs: the attempt times out; a callback after that: 409', async () => {
    const { id, callbackUrl } = await startAndAccept('async-short');
    const saga = await waitForSaga(t, id, undefined, 15_000);
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error).toMatchObject({ step: 'book_hotel', code: 'TIMEOUT' });
    const late = await callback(callbackUrl, { status: 'succeeded', output: {} });
    expect(late.status).toBe(409);
    expect((await late.json()).statusCode).toBe(409);
  });

  it('a forged or altered token: 404, and the saga is untouched', async () => {
    const { id, callbackUrl } = await startAndAccept('async-long');
    const [payload, mac] = callbackUrl.split('/').pop()!.split('.');
    const base = `${t.baseUrl}/api/v1/callbacks/`;
    const forged = [
      'not-a-token',
      `${payload}.${Buffer.alloc(32).toString('base64url')}`,
      `${Buffer.from(`${id}.hold.execute.-.0`).toString('base64url')}.${mac}`,
    ];
    for (const token of forged) {
      const res = await callback(base + token, { status: 'succeeded', output: {} });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
    }
    const saga = await (await t.api(`/api/v1/sagas/${id}`)).json();
    expect(saga.state).toBe('EXECUTING.book_hotel');
    // A malformed body on a real token: 400 with details, nothing applied.
    const bad = await callback(callbackUrl, { status: 'done' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).details.length).toBeGreaterThan(0);
    expect((await callback(callbackUrl, { status: 'succeeded', output: {} })).status).toBe(202);
    expect((await waitForSaga(t, id)).status).toBe('COMPLETED');
  });

  it('a cancel while waiting: the late callback is still applied to the step in flight, then everything is undone', async () => {
    const { id, callbackUrl } = await startAndAccept('async-long');
    expect((await t.api(`/api/v1/sagas/${id}/cancel`, { method: 'POST' })).status).toBe(202);
    expect(
      (await callback(callbackUrl, { status: 'succeeded', output: { room: '7' } })).status,
    ).toBe(202);
    const saga = await waitForSaga(t, id);
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.steps.map((s: Json) => s.status)).toEqual(['compensated', 'compensated']);
    expect(hotel.callsFor(id, 'book_hotel', 'compensate')).toHaveLength(1);
  });
});
