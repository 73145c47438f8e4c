import { orderInput, startTestApp, waitForSaga, type TestApp } from '../support/test-app';

describe.each(['postgres', 'redis'] as const)('Bull Board at /queues (BullMQ on %s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ backend });
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'order', input: orderInput() },
    });
    await waitForSaga(t, (await res.json()).id);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('without the API key: 401 asking for Basic credentials; a wrong key: 401', async () => {
    const res = await fetch(`${t.baseUrl}/queues`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="sagachart queues"/);
    expect(
      (await t.api('/queues', { headers: { authorization: 'Bearer wrong-key-wrong-key' } })).status,
    ).toBe(401);
  });

  it('with the key as Bearer or as the Basic password: the page', async () => {
    const bearer = await t.api('/queues');
    expect(bearer.status).toBe(200);
    expect(await bearer.text()).toContain('<script');
    const basic = await fetch(`${t.baseUrl}/queues`, {
      headers: { authorization: `Basic ${Buffer.from(`ops:${t.apiKey}`).toString('base64')}` },
    });
    expect(basic.status).toBe(200);
  });

  it('its API lists the step queue with the saga’s jobs, read-only', async () => {
    const res = await t.api('/queues/api/queues?activeQueue=saga-steps&status=completed&page=1');
    expect(res.status).toBe(200);
    const body = await res.json();
    const queue = body.queues.find((q: { name: string }) => q.name === 'saga-steps');
    expect(queue).toBeDefined();
    expect(queue.readOnlyMode).toBe(true);
    // 5 steps plus the scheduled deadline job.
    expect(queue.counts.completed).toBe(5);
    expect(queue.counts.delayed).toBe(1);
    expect(queue.jobs.map((j: { name: string }) => j.name)).toEqual(Array(5).fill('step'));
  });

  it('actions are refused: jobs are the runtime’s to add, retry and remove', async () => {
    const res = await t.api('/queues/api/queues/saga-steps/clean/completed', { method: 'PUT' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    const after = await (
      await t.api('/queues/api/queues?activeQueue=saga-steps&status=completed&page=1')
    ).json();
    expect(
      after.queues.find((q: { name: string }) => q.name === 'saga-steps').counts.completed,
    ).toBe(5);
  });
});
