import { TerminalStepError } from '@app/participants';
import { orderInput, ParticipantsDatabase } from './participants-harness';

describe('order participant (real PostgreSQL)', () => {
  let db: ParticipantsDatabase;
  beforeAll(async () => {
    db = await ParticipantsDatabase.open();
  });
  afterAll(() => db.close());

  it('validate of a catalog order: prices every line and totals price × quantity', async () => {
    const saga = db.saga(
      orderInput({
        items: [
          { sku: 'IPHONE-15', quantity: 2 },
          { sku: 'AIRPODS', quantity: 3 },
        ],
      }),
    );
    const output = await saga.execute('order');
    expect(output).toEqual({
      orderId: expect.any(String),
      totalCents: 2 * 7990000 + 3 * 2490000,
      lines: [
        { sku: 'IPHONE-15', quantity: 2, priceCents: 7990000 },
        { sku: 'AIRPODS', quantity: 3, priceCents: 2490000 },
      ],
    });
    const records = await db.views.records('order', saga.sagaId);
    expect(records).toEqual([
      expect.objectContaining({
        kind: 'order',
        status: 'validated',
        data: expect.objectContaining({ orderId: output.orderId, totalCents: 23450000 }),
      }),
    ]);
  });

  it('validate with a SKU not in the catalog: UNKNOWN_SKU, terminal, nothing recorded', async () => {
    const saga = db.saga(
      orderInput({
        items: [
          { sku: 'IPHONE-15', quantity: 1 },
          { sku: 'NOKIA-3310', quantity: 1 },
        ],
      }),
    );
    const failure = saga.execute('order');
    await expect(failure).rejects.toBeInstanceOf(TerminalStepError);
    await expect(failure).rejects.toMatchObject({ code: 'UNKNOWN_SKU', name: 'TerminalStepError' });
    await expect(failure).rejects.toThrow(/NOKIA-3310/);
    expect(await db.views.records('order', saga.sagaId)).toEqual([]);
    const [{ count }] = await db.dataSource.query(
      `SELECT count(*)::int AS count FROM order_svc.operation WHERE saga_id = $1`,
      [saga.sagaId],
    );
    expect(count).toBe(0);
  });

  it('invalidate after validate: the order is marked cancelled, a cancellation is recorded', async () => {
    const saga = db.saga();
    const { orderId } = await saga.execute('order');
    expect(await saga.compensate('order')).toEqual({ orderId, cancelled: true });
    const records = await db.views.records('order', saga.sagaId);
    expect(records.map((r) => [r.kind, r.status])).toEqual([
      ['order', 'cancelled'],
      ['cancellation', 'cancelled'],
    ]);
    expect(records[0].data.cancelledAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('invalidate with no order: a recorded no-op', async () => {
    const saga = db.saga();
    expect(await saga.compensate('order')).toEqual({ orderId: null, cancelled: false });
    const records = await db.views.records('order', saga.sagaId);
    expect(records.map((r) => [r.kind, r.status])).toEqual([['cancellation', 'noop']]);
  });

  it('validate repeated, sequentially and concurrently: one order, the first result every time', async () => {
    const saga = db.saga();
    const ctx = saga.executeContext('order');
    const [a, b, c] = await Promise.all([
      db.call('order', 'validate', ctx),
      db.call('order', 'validate', ctx),
      db.call('order', 'validate', ctx),
    ]);
    const later = await db.call('order', 'validate', { ...ctx, attempt: 2 });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(later).toEqual(a);
    expect(await db.views.records('order', saga.sagaId)).toHaveLength(1);
  });

  it('validate repeated after the catalog price changed: still the first result', async () => {
    const saga = db.saga(orderInput({ items: [{ sku: 'AIRPODS', quantity: 1 }] }));
    const first = await saga.execute('order');
    await db.dataSource.query(
      `UPDATE order_svc.product SET price_cents = price_cents + 1 WHERE sku = 'AIRPODS'`,
    );
    try {
      expect(await db.call('order', 'validate', saga.executeContext('order'))).toEqual(first);
    } finally {
      await db.dataSource.query(
        `UPDATE order_svc.product SET price_cents = 2490000 WHERE sku = 'AIRPODS'`,
      );
    }
  });

  it('an idempotency key reused for another operation: IDEMPOTENCY_KEY_REUSED, nothing changed', async () => {
    const saga = db.saga();
    const ctx = saga.executeContext('order');
    await db.call('order', 'validate', ctx);
    await expect(db.call('order', 'invalidate', ctx)).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    const records = await db.views.records('order', saga.sagaId);
    expect(records.map((r) => r.status)).toEqual(['validated']);
  });
});
