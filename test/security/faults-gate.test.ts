// Fault injection exists only with SAGA_FAULTS=enabled: otherwise its routes answer 404 and a
// `faults` field in POST /sagas is an unknown field (400), with nothing written.
import { rowCounts } from '../fuzz/fuzz-support';
import { orderInput, startTestApp, type TestApp } from '../support/test-app';

const FAULT = { participant: 'payment', action: 'charge', mode: 'fail', times: 1 };

describe.each([
  ['unset', {}],
  ['disabled', { SAGA_FAULTS: 'disabled' }],
])('SAGA_FAULTS %s', (_label, env: Record<string, string>) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('every fault route answers 404 with the error shape to a valid key, 401 to a wrong one', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/v1/faults'],
      ['POST', '/api/v1/faults', FAULT],
      ['DELETE', '/api/v1/faults'],
      ['DELETE', '/api/v1/faults/00000000-0000-0000-0000-000000000000'],
    ];
    for (const [method, path, json] of routes) {
      // t.api adds the valid key.
      const res = await t.api(path, { method, json });
      expect([method, path, res.status]).toEqual([method, path, 404]);
      expect(await res.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
      // Without a valid key every /api/v1 route answers 401, so a stranger cannot tell that
      // fault injection is off (nor that the route exists).
      const anonymous = await t.api(path, {
        method,
        json,
        headers: { authorization: 'Bearer nope' },
      });
      expect([method, path, anonymous.status]).toEqual([method, path, 401]);
    }
  });

  it('`faults` in POST /sagas: 400 unknown field, no saga and no fault written', async () => {
    const before = await rowCounts(t.databaseUrl);
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'order', input: orderInput(), faults: [FAULT] },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { details: { path: string; message: string }[] };
    expect(body.details).toEqual([
      expect.objectContaining({ message: expect.stringContaining('faults') }),
    ]);
    expect(await rowCounts(t.databaseUrl)).toEqual(before);
  });
});

describe('SAGA_FAULTS=enabled', () => {
  it('the same routes work', async () => {
    const t = await startTestApp({ env: { SAGA_FAULTS: 'enabled' } });
    try {
      expect((await t.api('/api/v1/faults', { method: 'POST', json: FAULT })).status).toBe(201);
      expect((await t.api('/api/v1/faults')).status).toBe(200);
      expect((await t.api('/api/v1/faults', { method: 'DELETE' })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
