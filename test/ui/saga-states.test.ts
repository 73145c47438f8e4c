// GET /api/v1/sagas/:id/states: the visualizer's time travel, replayed from stored events.
import { orderInput, startTestApp, waitForSaga, type TestApp } from '../support/test-app';

describe('GET /api/v1/sagas/:id/states (issue 4)', () => {
  let t: TestApp;
  let id: string;
  beforeAll(async () => {
    t = await startTestApp();
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'order', input: orderInput({ postalCode: '000000' }) },
    });
    id = ((await res.json()) as { id: string }).id;
    await waitForSaga(t, id);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('one state per history entry, replayed to the stored state', async () => {
    const [states, events] = await Promise.all([
      t.api(`/api/v1/sagas/${id}/states`).then((r) => r.json()),
      t.api(`/api/v1/sagas/${id}/events`).then((r) => r.json()),
    ]);
    expect(states.consistent).toBe(true);
    expect(states.replayedState).toBe('COMPENSATED');
    expect(states.states.map((s: { seq: number }) => s.seq)).toEqual(
      events.map((e: { seq: number }) => e.seq),
    );
    expect(states.states[0]).toMatchObject({
      seq: 1,
      type: 'SAGA_STARTED',
      eventType: 'START',
      state: 'EXECUTING.validate_order',
      status: 'EXECUTING',
    });
    const failed = states.states.find(
      (s: { type: string; eventType: string }) => s.eventType === 'STEP_FAILED',
    );
    expect(failed.state).toBe('COMPENSATING.process_payment');
    expect(failed.steps.find((s: { name: string }) => s.name === 'arrange_shipping').status).toBe(
      'failed',
    );
  });

  it('?at=seq: just that moment; out of range or malformed: 400 with details', async () => {
    const one = await t.api(`/api/v1/sagas/${id}/states?at=1`).then((r) => r.json());
    expect(one.states).toHaveLength(1);
    expect(one.states[0].state).toBe('EXECUTING.validate_order');
    for (const bad of ['0', '1.5', 'x', '9999']) {
      const res = await t.api(`/api/v1/sagas/${id}/states?at=${bad}`);
      expect(res.status).toBe(400);
      expect((await res.json()).details[0].path).toBe('query.at');
    }
  });

  it('needs the API key; unknown id 404, malformed id 400', async () => {
    expect((await fetch(`${t.baseUrl}/api/v1/sagas/${id}/states`)).status).toBe(401);
    expect((await t.api('/api/v1/sagas/00000000-0000-4000-8000-000000000000/states')).status).toBe(
      404,
    );
    expect((await t.api('/api/v1/sagas/nope/states')).status).toBe(400);
  });

  it('/ui serves the page, its modules and vendored elkjs without a key; nothing outside the UI folder', async () => {
    const page = await fetch(`${t.baseUrl}/ui/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('app.js');
    expect((await fetch(`${t.baseUrl}/ui/app.js`)).headers.get('content-type')).toContain(
      'javascript',
    );
    expect((await fetch(`${t.baseUrl}/ui/vendor/elk.bundled.js`)).status).toBe(200);
    expect((await fetch(`${t.baseUrl}/ui/vendor/other.js`)).status).toBe(404);
    expect((await fetch(`${t.baseUrl}/ui/..%2F..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${t.baseUrl}/ui/nothing.js`)).status).toBe(404);
  });
});
