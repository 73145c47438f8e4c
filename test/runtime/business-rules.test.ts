// API.md's business rules of the demo `order` saga, end to end over HTTP, with the
// participants' own state checked after each saga.
import { orderInput, startTestApp, waitForSaga, type TestApp } from '../support/test-app';

type Json = Record<string, any>;

describe('order saga business rules (API.md)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  const run = async (input: unknown) => {
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'order', input },
    });
    expect(res.status).toBe(201);
    return waitForSaga(t, (await res.json()).id);
  };
  const stock = async (sku: string) =>
    (await t.api(`/api/v1/participants/inventory/stock/${sku}`)).json();
  const records = async (participant: string, id: string): Promise<Json[]> =>
    (await t.api(`/api/v1/participants/${participant}/records?sagaId=${id}`)).json();
  const statuses = (saga: Json) => saga.steps.map((s: Json) => s.status);

  it('UNKNOWN_SKU: the first step fails, nothing to compensate, COMPENSATED with no compensation run', async () => {
    const saga = await run(orderInput({ items: [{ sku: 'NOPE', quantity: 1 }] }));
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error).toMatchObject({ step: 'validate_order', code: 'UNKNOWN_SKU' });
    expect(statuses(saga)).toEqual(['failed', 'pending', 'pending', 'pending', 'pending']);
    expect(saga.steps[0].attempts).toBe(1); // not retried
    expect(saga.steps.every((s: Json) => s.compensation === null)).toBe(true);
    expect(saga.steps.slice(1).every((s: Json) => s.attempts === 0)).toBe(true);
  });

  it('OUT_OF_STOCK: reserves nothing, not even the other items; the order is invalidated', async () => {
    const before = await stock('AIRPODS');
    const saga = await run(
      orderInput({
        items: [
          { sku: 'AIRPODS', quantity: 2 },
          { sku: 'SOLD-OUT', quantity: 1 },
        ],
      }),
    );
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error).toMatchObject({ step: 'reserve_inventory', code: 'OUT_OF_STOCK' });
    expect(statuses(saga)).toEqual(['compensated', 'failed', 'pending', 'pending', 'pending']);
    expect(await stock('AIRPODS')).toEqual(before);
    expect(await records('inventory', saga.id)).toEqual([]);
  });

  it('CARD_DECLINED: not retried; the reservation is released exactly, stock restored', async () => {
    const before = await stock('IPHONE-15');
    const saga = await run(
      orderInput({ token: 'tok_declined', items: [{ sku: 'IPHONE-15', quantity: 3 }] }),
    );
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error).toMatchObject({ step: 'process_payment', code: 'CARD_DECLINED' });
    expect(saga.steps[2].attempts).toBe(1);
    expect(statuses(saga)).toEqual(['compensated', 'compensated', 'failed', 'pending', 'pending']);
    expect(await stock('IPHONE-15')).toEqual(before);
    const ledger = await (
      await t.api(`/api/v1/participants/payment/ledger?sagaId=${saga.id}`)
    ).json();
    expect(ledger).toEqual({ chargedCents: 0, refundedCents: 0, feeCents: 0 });
  });

  it('ADDRESS_NOT_SERVICEABLE: compensations in reverse order, refund + fee = charge, stock restored', async () => {
    const before = await stock('IPHONE-15');
    const saga = await run(
      orderInput({
        postalCode: '000000',
        items: [
          { sku: 'IPHONE-15', quantity: 1 },
          { sku: 'AIRPODS', quantity: 2 },
        ],
      }),
    );
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error).toMatchObject({ step: 'arrange_shipping', code: 'ADDRESS_NOT_SERVICEABLE' });
    expect(statuses(saga)).toEqual([
      'compensated',
      'compensated',
      'compensated',
      'failed',
      'pending',
    ]);
    const events: Json[] = await (await t.api(`/api/v1/sagas/${saga.id}/events`)).json();
    expect(events.filter((e) => e.type === 'COMPENSATION_SUCCEEDED').map((e) => e.step)).toEqual([
      'process_payment',
      'reserve_inventory',
      'validate_order',
    ]);
    const refund = saga.steps[2].compensation.output;
    expect(refund.chargedCents).toBe(7990000 + 2 * 2490000);
    expect(refund.refundedCents + refund.feeCents).toBe(refund.chargedCents);
    expect(refund.feeCents).toBeGreaterThan(0);
    const ledger = await (
      await t.api(`/api/v1/participants/payment/ledger?sagaId=${saga.id}`)
    ).json();
    expect(ledger).toEqual({
      chargedCents: refund.chargedCents,
      refundedCents: refund.refundedCents,
      feeCents: refund.feeCents,
    });
    expect(await stock('IPHONE-15')).toEqual(before);
  });

  it('a completed order: total charged, stock reserved, a confirmation recorded', async () => {
    const before = await stock('AIRPODS');
    const saga = await run(orderInput({ items: [{ sku: 'AIRPODS', quantity: 2 }] }));
    expect(saga.status).toBe('COMPLETED');
    expect(saga.output.validate_order.totalCents).toBe(2 * 2490000);
    expect(await stock('AIRPODS')).toEqual({
      sku: 'AIRPODS',
      available: before.available - 2,
      reserved: before.reserved + 2,
    });
    const ledger = await (
      await t.api(`/api/v1/participants/payment/ledger?sagaId=${saga.id}`)
    ).json();
    expect(ledger).toEqual({ chargedCents: 4980000, refundedCents: 0, feeCents: 0 });
    const messages = await records('notification', saga.id);
    expect(messages).toHaveLength(1);
    expect(messages[0].kind).toBe('message');
  });

  it('unknown SKU in the stock view: 404', async () => {
    expect((await t.api('/api/v1/participants/inventory/stock/NOPE')).status).toBe(404);
    expect(
      (
        await t.api(
          '/api/v1/participants/nobody/records?sagaId=00000000-0000-4000-8000-000000000000',
        )
      ).status,
    ).toBe(404);
  });
});
