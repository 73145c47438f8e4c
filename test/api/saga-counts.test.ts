// GET /api/v1/sagas/counts: sagas per status by one GROUP BY, against the real service.
import { orderInput, startTestApp, waitForSaga, type TestApp } from '../support/test-app';

const ZERO = {
  STARTED: 0,
  EXECUTING: 0,
  COMPENSATING: 0,
  COMPLETED: 0,
  FAILED: 0,
  COMPENSATED: 0,
};

describe('GET /api/v1/sagas/counts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SAGA_FAULTS: 'enabled' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const counts = async (qs = '') => {
    const res = await t.api(`/api/v1/sagas/counts${qs}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, number>;
  };

  const startOrder = async (postalCode?: string) => {
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'order', input: orderInput({ postalCode }) },
    });
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { id: string }).id;
    return (await waitForSaga(t, id)).status as string;
  };

  it('with no sagas: all six statuses, each 0', async () => {
    expect(await counts()).toEqual(ZERO);
  });

  it('exact counts per status after sagas finish, overall and per definition', async () => {
    expect(await startOrder()).toBe('COMPLETED');
    expect(await startOrder()).toBe('COMPLETED');
    expect(await startOrder('000000')).toBe('COMPENSATED');
    const fault = await t.api('/api/v1/faults', {
      method: 'POST',
      json: { participant: 'payment', action: 'refund', mode: 'fail', times: 1 },
    });
    expect(fault.status).toBe(201);
    expect(await startOrder('000000')).toBe('FAILED');

    const expected = { ...ZERO, COMPLETED: 2, COMPENSATED: 1, FAILED: 1 };
    expect(await counts()).toEqual(expected);
    expect(await counts('?definition=order')).toEqual(expected);
    expect(await counts('?definition=no-such-definition')).toEqual(ZERO);
    // The same figures as the list.
    const list = (await (await t.api('/api/v1/sagas?status=COMPLETED&limit=200')).json()) as {
      items: unknown[];
    };
    expect(list.items).toHaveLength(2);
  });

  it('"counts" is a route, not a saga id (no 400 for a malformed UUID)', async () => {
    const res = await t.api('/api/v1/sagas/counts');
    expect(res.status).toBe(200);
    expect(Object.keys(await res.json()).sort()).toEqual(Object.keys(ZERO).sort());
  });

  it('an unknown query parameter: 400 with details naming it', async () => {
    const res = await t.api('/api/v1/sagas/counts?status=FAILED');
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      statusCode: number;
      error: string;
      details: { path: string; message: string }[];
    };
    expect(body.statusCode).toBe(400);
    expect(body.error).toBe('Bad Request');
    expect(body.details.length).toBeGreaterThan(0);
    expect(JSON.stringify(body.details)).toContain('status');
  });

  it('an empty definition: 400 with details', async () => {
    const res = await t.api('/api/v1/sagas/counts?definition=');
    expect(res.status).toBe(400);
    expect(
      ((await res.json()) as { details: { path: string }[] }).details.map((d) => d.path),
    ).toContain('query.definition');
  });

  it('needs the API key', async () => {
    const res = await fetch(`${t.baseUrl}/api/v1/sagas/counts`);
    expect(res.status).toBe(401);
  });
});
