import { orderInput, startTestApp, waitForSaga, type TestApp } from '../support/test-app';

describe('order saga over HTTP (smoke)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a valid order: 201 with Location, then COMPLETED with every step succeeded', async () => {
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'order', input: orderInput() },
    });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(res.headers.get('location')).toBe(`/api/v1/sagas/${created.id}`);
    const saga = await waitForSaga(t, created.id);
    expect(saga.status).toBe('COMPLETED');
    expect(saga.steps.map((s: { status: string }) => s.status)).toEqual(Array(5).fill('succeeded'));
  });
});
