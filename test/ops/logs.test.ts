import { orderInput, waitForSaga } from '../support/test-app';
import { startLoggedApp, type LoggedApp } from './ops-support';

describe('structured JSON logs (pino)', () => {
  let t: LoggedApp;
  beforeAll(async () => {
    t = await startLoggedApp('info', { SAGA_FAULTS: 'enabled' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a compensated saga: every line about it carries sagaId, definition, step and attempt', async () => {
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'order', input: orderInput({ postalCode: '000000' }) },
    });
    const { id } = await res.json();
    expect((await waitForSaga(t, id)).status).toBe('COMPENSATED');
    const lines = t.lines.filter((l) => l.sagaId === id);
    // START + 4 steps + 3 compensations (transitions) and 4 + 3 attempts.
    expect(lines.length).toBeGreaterThanOrEqual(15);
    for (const l of lines) {
      expect(l).toEqual(
        expect.objectContaining({
          sagaId: id,
          definition: 'order',
          level: expect.any(Number),
          time: expect.any(String),
          msg: expect.any(String),
        }),
      );
      expect(l).toHaveProperty('step');
      expect(l).toHaveProperty('attempt');
    }
    const failedAttempt = lines.find((l) => l.msg === 'step attempt failed');
    expect(failedAttempt).toMatchObject({
      step: 'arrange_shipping',
      attempt: 1,
      kind: 'execute',
      outcome: 'failed',
      errorCode: 'ADDRESS_NOT_SERVICEABLE',
      level: 40,
    });
    expect(failedAttempt!.durationMs).toEqual(expect.any(Number));
    expect(
      lines.find((l) => l.msg === 'compensation attempt succeeded' && l.step === 'process_payment'),
    ).toMatchObject({ attempt: 1, kind: 'compensate', level: 30 });
    expect(lines.find((l) => l.event === 'STEP_FAILED')).toMatchObject({
      step: 'arrange_shipping',
      attempt: 1,
      level: 40,
      status: 'COMPENSATING',
    });
    expect(lines.find((l) => l.msg === 'saga COMPENSATED')).toMatchObject({
      status: 'COMPENSATED',
      level: 30,
    });
  });

  it('HTTP lines: the caller’s X-Request-Id is used and echoed; otherwise a fresh one; never the Authorization header', async () => {
    const given = await t.api('/api/v1/definitions', {
      headers: { 'x-request-id': 'trace-abc.123' },
    });
    expect(given.headers.get('x-request-id')).toBe('trace-abc.123');
    const fresh = await t.api('/api/v1/definitions', {
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    const freshId = fresh.headers.get('x-request-id');
    expect(freshId).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 50));
    const http = t.lines.filter((l) => l.component === 'http');
    expect(http.find((l) => (l.req as { id?: string })?.id === 'trace-abc.123')).toMatchObject({
      req: { id: 'trace-abc.123', method: 'GET', url: '/api/v1/definitions' },
      res: { statusCode: 200 },
      level: 30,
    });
    expect(http.find((l) => (l.req as { id?: string })?.id === freshId)).toBeDefined();
    const unauthorized = await fetch(`${t.baseUrl}/api/v1/definitions`, {
      headers: { authorization: 'Bearer not-a-real-key-but-secret' },
    });
    expect(unauthorized.status).toBe(401);
    await new Promise((r) => setTimeout(r, 50));
    expect(http.length).toBeGreaterThan(0);
    expect(t.raw()).not.toContain(t.apiKey);
    expect(t.raw()).not.toContain('not-a-real-key-but-secret');
    expect(t.raw()).not.toMatch(/authorization/i);
  });

  it('LOG_LEVEL=warn: info lines are not written, warnings are', async () => {
    const quiet = await startLoggedApp('warn');
    try {
      const res = await quiet.api('/api/v1/sagas', {
        method: 'POST',
        json: { definition: 'order', input: orderInput({ token: 'tok_declined' }) },
      });
      const { id } = await res.json();
      await waitForSaga(quiet, id);
      const lines = quiet.lines;
      expect(lines.filter((l) => (l.level as number) < 40)).toEqual([]);
      expect(
        lines.find(
          (l) => l.sagaId === id && l.step === 'process_payment' && l.msg === 'step attempt failed',
        ),
      ).toBeDefined();
    } finally {
      await quiet.close();
    }
  });
});
