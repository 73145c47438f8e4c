// HTTP participants (API.md, "HTTP participants"): every answer class a participant can give
// ends the attempt, the step and the saga as the contract says. The participant is a real
// HTTP server on loopback whose answers each saga's input scripts.
import { createHmac } from 'node:crypto';
import { startTestApp, waitForSaga, type TestApp } from '../support/test-app';
import {
  closedPort,
  startScriptedParticipant,
  type ScriptedAnswer,
  type ScriptedParticipant,
} from '../support/scripted-participant';

type Json = Record<string, any>;
const SECRET = 'test-signing-secret-0123456789';

function definition(name: string, url: string, over: Json = {}) {
  return {
    name,
    description: 'Two HTTP steps, scripted by the saga input.',
    participants: { svc: { url } },
    steps: [
      {
        name: 'reserve',
        participant: 'svc',
        action: 'reserve',
        compensation: 'release',
        timeoutMs: 1000,
        retry: { maxAttempts: 3, backoffMs: 20, maxBackoffMs: 50 },
      },
      {
        name: 'confirm',
        participant: 'svc',
        action: 'confirm',
        compensation: 'unconfirm',
        timeoutMs: 400,
        retry: { maxAttempts: 3, backoffMs: 20, maxBackoffMs: 50 },
      },
    ],
    ...over,
  };
}

describe('HTTP participants: every answer class', () => {
  let t: TestApp;
  let svc: ScriptedParticipant;

  beforeAll(async () => {
    svc = await startScriptedParticipant();
    t = await startTestApp({ env: { SAGA_SIGNING_SECRET: SECRET } });
    const res = await t.api('/api/v1/definitions', {
      method: 'POST',
      json: definition('scripted', svc.url),
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    await svc?.close();
  });

  async function run(confirm: ScriptedAnswer[], reserve?: ScriptedAnswer[]): Promise<Json> {
    const script = {
      confirm: { execute: confirm },
      ...(reserve ? { reserve: { execute: reserve } } : {}),
    };
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'scripted', input: { script } },
    });
    expect(res.status).toBe(201);
    return waitForSaga(t, (await res.json()).id);
  }

  const step = (saga: Json, name: string) => saga.steps.find((s: Json) => s.name === name);

  it('2xx with JSON: the step succeeds and its body is the output', async () => {
    const saga = await run([{ status: 201, body: { confirmation: 'C-1' } }]);
    expect(saga.status).toBe('COMPLETED');
    expect(step(saga, 'confirm').output).toEqual({ confirmation: 'C-1' });
    expect(saga.output.confirm).toEqual({ confirmation: 'C-1' });
  });

  it('2xx with an empty body: succeeds with output null', async () => {
    const saga = await run([{ status: 204 }]);
    expect(saga.status).toBe('COMPLETED');
    expect(step(saga, 'confirm').output).toBeNull();
  });

  it('4xx with { code, message }: failed, not retried; the earlier step is compensated with its own output', async () => {
    const saga = await run([
      { status: 422, body: { code: 'SOLD_OUT', message: 'No seats left.' } },
    ]);
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error).toEqual({ step: 'confirm', code: 'SOLD_OUT', message: 'No seats left.' });
    expect(step(saga, 'confirm')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(step(saga, 'reserve').status).toBe('compensated');
    expect(svc.callsFor(saga.id, 'confirm')).toHaveLength(1);
    const [release] = svc.callsFor(saga.id, 'reserve', 'compensate');
    expect(release.path).toBe('/release');
    expect(release.body.forwardOutput).toEqual(step(saga, 'reserve').output);
    expect(release.headers['idempotency-key']).toBe(`${saga.id}:reserve:compensate`);
  });

  it('4xx without a JSON body: the error code is HTTP_<status>', async () => {
    const saga = await run([{ status: 404, raw: 'not here' }]);
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error.code).toBe('HTTP_404');
  });

  it.each([500, 503, 408, 425, 429])(
    '%i: a failed attempt, retried; success on the next',
    async (status) => {
      const saga = await run([
        { status, body: { code: 'BUSY', message: 'try again' } },
        { status: 200, body: { ok: 2 } },
      ]);
      expect(saga.status).toBe('COMPLETED');
      expect(step(saga, 'confirm')).toMatchObject({
        status: 'succeeded',
        attempts: 2,
        output: { ok: 2 },
      });
      const calls = svc.callsFor(saga.id, 'confirm');
      expect(calls.map((c) => c.headers['x-saga-attempt'])).toEqual(['1', '2']);
      // The same key for every attempt: that is what makes the retry safe.
      expect(new Set(calls.map((c) => c.headers['idempotency-key']))).toEqual(
        new Set([`${saga.id}:confirm:execute`]),
      );
      const events = await (await t.api(`/api/v1/sagas/${saga.id}/events`)).json();
      expect(
        events.find((e: Json) => e.type === 'STEP_FAILED' && e.step === 'confirm'),
      ).toMatchObject({
        attempt: 1,
        data: { code: 'BUSY', retryable: true, final: false },
      });
    },
  );

  it('5xx on every attempt: the step fails after maxAttempts and the saga compensates', async () => {
    const saga = await run([{ status: 502 }]);
    expect(saga.status).toBe('COMPENSATED');
    expect(step(saga, 'confirm')).toMatchObject({ status: 'failed', attempts: 3 });
    expect(saga.error.code).toBe('HTTP_502');
    expect(svc.callsFor(saga.id, 'confirm')).toHaveLength(3);
  });

  it('Retry-After: the next attempt comes no sooner than the participant asked', async () => {
    const saga = await run([
      { status: 503, headers: { 'retry-after': '1' } },
      { status: 200, body: {} },
    ]);
    expect(saga.status).toBe('COMPLETED');
    const [first, second] = svc.callsFor(saga.id, 'confirm');
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
  });

  it('3xx: failed, not retried, redirect not followed (PARTICIPANT_REDIRECT)', async () => {
    const saga = await run([{ status: 307, headers: { location: `${svc.url}/elsewhere` } }]);
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error.code).toBe('PARTICIPANT_REDIRECT');
    expect(svc.callsFor(saga.id, 'confirm')).toHaveLength(1);
    expect(svc.requests.some((r) => r.path === '/elsewhere')).toBe(false);
  });

  it('a reply over 1 MiB: failed, not retried (PARTICIPANT_REPLY_TOO_LARGE)', async () => {
    const saga = await run([{ status: 200, bytes: 1024 * 1024 + 10 }]);
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error.code).toBe('PARTICIPANT_REPLY_TOO_LARGE');
    expect(svc.callsFor(saga.id, 'confirm')).toHaveLength(1);
  });

  it('a 2xx body that is not JSON: failed, not retried (PARTICIPANT_BAD_REPLY)', async () => {
    const saga = await run([{ status: 200, raw: '<html>ok</html>' }]);
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error.code).toBe('PARTICIPANT_BAD_REPLY');
    expect(svc.callsFor(saga.id, 'confirm')).toHaveLength(1);
  });

  it('a reset connection: a failed attempt, retried', async () => {
    const saga = await run([{ reset: true }, { status: 200, body: { after: 'reset' } }]);
    expect(saga.status).toBe('COMPLETED');
    expect(step(saga, 'confirm')).toMatchObject({ attempts: 2, output: { after: 'reset' } });
  });

  it('slower than timeoutMs: a TIMEOUT attempt, retried', async () => {
    const saga = await run([
      { delayMs: 700, body: { late: true } },
      { status: 200, body: { late: false } },
    ]);
    expect(saga.status).toBe('COMPLETED');
    expect(step(saga, 'confirm')).toMatchObject({ attempts: 2, output: { late: false } });
    const events = await (await t.api(`/api/v1/sagas/${saga.id}/events`)).json();
    expect(events.find((e: Json) => e.type === 'STEP_FAILED')).toMatchObject({
      step: 'confirm',
      data: { code: 'TIMEOUT', retryable: true },
    });
  });

  it('every request carries the contract headers, body and a valid signature', async () => {
    const saga = await run([{ status: 200, body: { ok: true } }]);
    const [call] = svc.callsFor(saga.id, 'confirm');
    expect(call.headers).toMatchObject({
      'content-type': 'application/json',
      'idempotency-key': `${saga.id}:confirm:execute`,
      'x-saga-id': saga.id,
      'x-saga-step': 'confirm',
      'x-saga-attempt': '1',
    });
    expect(call.body).toMatchObject({
      sagaId: saga.id,
      definition: 'scripted',
      definitionVersion: 1,
      step: 'confirm',
      kind: 'execute',
      operation: 'confirm',
      attempt: 1,
      idempotencyKey: `${saga.id}:confirm:execute`,
      outputs: { reserve: step(saga, 'reserve').output },
    });
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(call.headers['x-saga-signature']));
    expect(m).not.toBeNull();
    const expected = createHmac('sha256', SECRET).update(`${m![1]}.${call.raw}`).digest('hex');
    expect(m![2]).toBe(expected);
    expect(Math.abs(Date.now() / 1000 - Number(m![1]))).toBeLessThan(60);
  });

  it('a refused connection: retried, then failed with PARTICIPANT_UNREACHABLE', async () => {
    const port = await closedPort();
    const res = await t.api('/api/v1/definitions', {
      method: 'POST',
      json: definition('refused', `http://127.0.0.1:${port}`),
    });
    expect(res.status).toBe(201);
    const created = await (
      await t.api('/api/v1/sagas', { method: 'POST', json: { definition: 'refused', input: {} } })
    ).json();
    const saga = await waitForSaga(t, created.id);
    // The first step cannot run: nothing to compensate.
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error).toMatchObject({ step: 'reserve', code: 'PARTICIPANT_UNREACHABLE' });
    expect(step(saga, 'reserve').attempts).toBe(3);
  });
});

describe('HTTP participants: the host allow-list at call time', () => {
  it('a host allowed at registration but not any more: the call is refused (PARTICIPANT_HOST_NOT_ALLOWED)', async () => {
    const svc = await startScriptedParticipant();
    const first = await startTestApp();
    try {
      const reg = await first.api('/api/v1/definitions', {
        method: 'POST',
        json: definition('moved', svc.url),
      });
      expect(reg.status).toBe(201);
      await first.close();
      // The same database, now with an allow-list that leaves loopback out.
      const second = await startTestApp({
        databaseUrl: first.databaseUrl,
        env: { SAGA_PARTICIPANT_HOSTS: 'participants.example.internal' },
      });
      try {
        const created = await (
          await second.api('/api/v1/sagas', {
            method: 'POST',
            json: { definition: 'moved', input: {} },
          })
        ).json();
        const saga = await waitForSaga(second, created.id);
        expect(saga.status).toBe('COMPENSATED');
        expect(saga.error.code).toBe('PARTICIPANT_HOST_NOT_ALLOWED');
        expect(svc.requests).toHaveLength(0);
      } finally {
        await second.close();
      }
    } finally {
      await svc.close();
    }
  });
});
