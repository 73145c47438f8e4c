import { randomUUID } from 'node:crypto';
import { TerminalStepError } from '@app/participants';
import { orderInput, ParticipantsDatabase } from './participants-harness';

describe('inventory participant (real PostgreSQL)', () => {
  let db: ParticipantsDatabase;
  beforeAll(async () => {
    db = await ParticipantsDatabase.open();
  });
  afterAll(() => db.close());

  /** A SKU of this test only, with `available` in stock, so tests never share stock. */
  async function stockedSku(available: number, prefix = 'T'): Promise<string> {
    const sku = `${prefix}-${randomUUID().slice(0, 8)}`;
    await db.dataSource.query(`INSERT INTO inventory.stock_item (sku, available) VALUES ($1, $2)`, [
      sku,
      available,
    ]);
    return sku;
  }

  it('the catalog SKUs are seeded: IPHONE-15 and AIRPODS 1000000 each, SOLD-OUT none', async () => {
    const fresh = await ParticipantsDatabase.open();
    try {
      expect(await fresh.views.stock('IPHONE-15')).toEqual({
        sku: 'IPHONE-15',
        available: 1000000,
        reserved: 0,
      });
      expect(await fresh.views.stock('AIRPODS')).toEqual({
        sku: 'AIRPODS',
        available: 1000000,
        reserved: 0,
      });
      expect(await fresh.views.stock('SOLD-OUT')).toEqual({
        sku: 'SOLD-OUT',
        available: 0,
        reserved: 0,
      });
    } finally {
      await fresh.close();
    }
  });

  it('reserve within stock: moves each quantity from available to reserved', async () => {
    const a = await stockedSku(10);
    const b = await stockedSku(5);
    const saga = db.saga(
      orderInput({
        items: [
          { sku: a, quantity: 3 },
          { sku: b, quantity: 5 },
        ],
      }),
    );
    const output = await saga.execute('inventory');
    expect(output).toEqual({
      reservationId: expect.any(String),
      lines: [a, b].sort().map((sku) => ({ sku, quantity: sku === a ? 3 : 5 })),
    });
    expect(await db.views.stock(a)).toEqual({ sku: a, available: 7, reserved: 3 });
    expect(await db.views.stock(b)).toEqual({ sku: b, available: 0, reserved: 5 });
  });

  it('reserve with the same SKU on two lines: their sum is what must be in stock', async () => {
    const sku = await stockedSku(5);
    const saga = db.saga(
      orderInput({
        items: [
          { sku, quantity: 3 },
          { sku, quantity: 3 },
        ],
      }),
    );
    await expect(saga.execute('inventory')).rejects.toMatchObject({ code: 'OUT_OF_STOCK' });
    expect(await db.views.stock(sku)).toEqual({ sku, available: 5, reserved: 0 });
  });

  it('reserve with one line over stock: OUT_OF_STOCK, terminal, and nothing reserved, not even the other lines', async () => {
    const plenty = await stockedSku(100);
    // Lines are taken in SKU order: the scarce one sorts last, so IPHONE-15 and the
    // plentiful line are already taken when it fails, and must be given back.
    const scarce = await stockedSku(1, 'Z');
    const saga = db.saga(
      orderInput({
        items: [
          { sku: scarce, quantity: 2 },
          { sku: 'IPHONE-15', quantity: 1 },
          { sku: plenty, quantity: 4 },
        ],
      }),
    );
    const iphoneBefore = await db.views.stock('IPHONE-15');
    const failure = saga.execute('inventory');
    await expect(failure).rejects.toBeInstanceOf(TerminalStepError);
    await expect(failure).rejects.toMatchObject({ code: 'OUT_OF_STOCK' });
    expect(await db.views.stock(plenty)).toEqual({ sku: plenty, available: 100, reserved: 0 });
    expect(await db.views.stock(scarce)).toEqual({ sku: scarce, available: 1, reserved: 0 });
    expect(await db.views.stock('IPHONE-15')).toEqual(iphoneBefore);
    expect(await db.views.records('inventory', saga.sagaId)).toEqual([]);
  });

  it('reserve refused, then stock arrives: a fresh attempt with the same key reserves', async () => {
    const sku = await stockedSku(1);
    const saga = db.saga(orderInput({ items: [{ sku, quantity: 2 }] }));
    await expect(saga.execute('inventory')).rejects.toMatchObject({ code: 'OUT_OF_STOCK' });
    await db.dataSource.query(`UPDATE inventory.stock_item SET available = 2 WHERE sku = $1`, [
      sku,
    ]);
    await saga.execute('inventory', 2);
    expect(await db.views.stock(sku)).toEqual({ sku, available: 0, reserved: 2 });
  });

  it('reserve of SOLD-OUT: OUT_OF_STOCK, terminal', async () => {
    const saga = db.saga(orderInput({ items: [{ sku: 'SOLD-OUT', quantity: 1 }] }));
    await expect(saga.execute('inventory')).rejects.toMatchObject({
      code: 'OUT_OF_STOCK',
      name: 'TerminalStepError',
    });
    expect(await db.views.stock('SOLD-OUT')).toEqual({
      sku: 'SOLD-OUT',
      available: 0,
      reserved: 0,
    });
  });

  it('reserve of a SKU the inventory does not stock: UNKNOWN_SKU, terminal', async () => {
    const saga = db.saga(orderInput({ items: [{ sku: 'NOKIA-3310', quantity: 1 }] }));
    await expect(saga.execute('inventory')).rejects.toMatchObject({
      code: 'UNKNOWN_SKU',
      name: 'TerminalStepError',
    });
  });

  it('release after reserve: returns exactly what was reserved', async () => {
    const a = await stockedSku(10);
    const b = await stockedSku(10);
    const saga = db.saga(
      orderInput({
        items: [
          { sku: a, quantity: 4 },
          { sku: b, quantity: 1 },
        ],
      }),
    );
    const { reservationId, lines } = await saga.execute('inventory');
    expect(await saga.compensate('inventory')).toEqual({ reservationId, released: lines });
    expect(await db.views.stock(a)).toEqual({ sku: a, available: 10, reserved: 0 });
    expect(await db.views.stock(b)).toEqual({ sku: b, available: 10, reserved: 0 });
    const records = await db.views.records('inventory', saga.sagaId);
    expect(records.map((r) => [r.kind, r.status])).toEqual([
      ['reservation', 'released'],
      ['release', 'released'],
    ]);
  });

  it('release with nothing reserved: a recorded no-op that changes no stock', async () => {
    const sku = await stockedSku(3);
    const saga = db.saga(orderInput({ items: [{ sku, quantity: 1 }] }));
    expect(await saga.compensate('inventory')).toEqual({ reservationId: null, released: [] });
    expect(await db.views.stock(sku)).toEqual({ sku, available: 3, reserved: 0 });
    const records = await db.views.records('inventory', saga.sagaId);
    expect(records.map((r) => [r.kind, r.status])).toEqual([['release', 'noop']]);
  });

  it('reserve delivered five times at once: one reservation, one decrement, one result', async () => {
    const sku = await stockedSku(10);
    const saga = db.saga(orderInput({ items: [{ sku, quantity: 3 }] }));
    const ctx = saga.executeContext('inventory');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => db.call('inventory', 'reserve', ctx)),
    );
    for (const result of results) expect(result).toEqual(results[0]);
    expect(await db.views.stock(sku)).toEqual({ sku, available: 7, reserved: 3 });
    expect(await db.views.records('inventory', saga.sagaId)).toHaveLength(1);
  });

  it('release delivered five times at once: the stock comes back once', async () => {
    const sku = await stockedSku(10);
    const saga = db.saga(orderInput({ items: [{ sku, quantity: 3 }] }));
    await saga.execute('inventory');
    const ctx = saga.compensateContext('inventory');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => db.call('inventory', 'release', ctx)),
    );
    for (const result of results) expect(result).toEqual(results[0]);
    expect(await db.views.stock(sku)).toEqual({ sku, available: 10, reserved: 0 });
  });

  it('reserve repeated after the stock ran out: still the first result, stock untouched', async () => {
    const sku = await stockedSku(2);
    const saga = db.saga(orderInput({ items: [{ sku, quantity: 2 }] }));
    const first = await saga.execute('inventory');
    expect(await db.call('inventory', 'reserve', saga.executeContext('inventory', 2))).toEqual(
      first,
    );
    expect(await db.views.stock(sku)).toEqual({ sku, available: 0, reserved: 2 });
  });

  it('twenty sagas racing for five units: exactly five reserve, the rest OUT_OF_STOCK, never oversold', async () => {
    const sku = await stockedSku(5);
    const other = await stockedSku(100);
    // Lines in both orders: without a fixed lock order these sagas could deadlock.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        db
          .saga(
            orderInput({
              items:
                i % 2 === 0
                  ? [
                      { sku, quantity: 1 },
                      { sku: other, quantity: 1 },
                    ]
                  : [
                      { sku: other, quantity: 1 },
                      { sku, quantity: 1 },
                    ],
            }),
          )
          .execute('inventory'),
      ),
    );
    const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
    const refusals = outcomes.flatMap((o) =>
      o.status === 'rejected' ? [(o.reason as TerminalStepError).code] : [],
    );
    expect(fulfilled).toHaveLength(5);
    expect(refusals).toEqual(Array(15).fill('OUT_OF_STOCK'));
    expect(await db.views.stock(sku)).toEqual({ sku, available: 0, reserved: 5 });
    expect(await db.views.stock(other)).toEqual({ sku: other, available: 95, reserved: 5 });
  });
});
