import {
  demoParticipantNames,
  demoParticipantOperations,
  participantSchemas,
  UnknownParticipantError,
} from '@app/participants';
import { orderInput, ParticipantsDatabase } from './participants-harness';

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('participant schemas and read-only views (real PostgreSQL)', () => {
  let db: ParticipantsDatabase;
  beforeAll(async () => {
    db = await ParticipantsDatabase.open();
  });
  afterAll(() => db.close());

  it('migrations: each participant owns one schema, and no table lies outside them', async () => {
    const rows: { schema: string; table: string }[] = await db.dataSource.query(
      `SELECT table_schema AS schema, table_name AS table FROM information_schema.tables
       WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
         AND table_name <> 'migrations' ORDER BY 1, 2`,
    );
    expect(rows).toEqual([
      { schema: 'inventory', table: 'operation' },
      { schema: 'inventory', table: 'release' },
      { schema: 'inventory', table: 'reservation' },
      { schema: 'inventory', table: 'stock_item' },
      { schema: 'notification', table: 'message' },
      { schema: 'notification', table: 'operation' },
      { schema: 'order_svc', table: 'customer_order' },
      { schema: 'order_svc', table: 'operation' },
      { schema: 'order_svc', table: 'order_cancellation' },
      { schema: 'order_svc', table: 'product' },
      { schema: 'payment', table: 'charge' },
      { schema: 'payment', table: 'operation' },
      { schema: 'payment', table: 'refund' },
      { schema: 'shipping', table: 'operation' },
      { schema: 'shipping', table: 'shipment' },
      { schema: 'shipping', table: 'shipment_cancellation' },
    ]);
    expect(Object.values(participantSchemas).sort()).toEqual([
      'inventory',
      'notification',
      'order_svc',
      'payment',
      'shipping',
    ]);
  });

  it('entities and migrations agree: TypeORM finds no schema change to make', async () => {
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('the catalog is seeded with the prices of API.md', async () => {
    expect(
      await db.dataSource.query(
        `SELECT sku, price_cents::int AS "priceCents" FROM order_svc.product ORDER BY sku`,
      ),
    ).toEqual([
      { sku: 'AIRPODS', priceCents: 2490000 },
      { sku: 'IPHONE-15', priceCents: 7990000 },
      { sku: 'SOLD-OUT', priceCents: 100000 },
    ]);
  });

  it('migrations reverted: every participant schema is gone, and they run again cleanly', async () => {
    const fresh = await ParticipantsDatabase.open();
    try {
      for (let i = 0; i < demoParticipantNames.length; i++) {
        await fresh.dataSource.undoLastMigration();
      }
      const [{ count }] = await fresh.dataSource.query(
        `SELECT count(*)::int AS count FROM information_schema.schemata
         WHERE schema_name = ANY($1::text[])`,
        [Object.values(participantSchemas)],
      );
      expect(count).toBe(0);
      await fresh.dataSource.runMigrations();
      expect(await fresh.views.stock('IPHONE-15')).toMatchObject({ available: 1000000 });
    } finally {
      await fresh.close();
    }
  });

  it('demoParticipantOperations: names every operation each participant really has', () => {
    const participants = db.withOptions();
    expect(Object.keys(demoParticipantOperations)).toEqual([...demoParticipantNames]);
    for (const name of demoParticipantNames) {
      expect(Object.keys(participants[name].operations).sort()).toEqual(
        [...demoParticipantOperations[name]].sort(),
      );
    }
  });

  it('stock view: { sku, available, reserved } with numbers, null for an unknown SKU', async () => {
    const saga = db.saga(orderInput({ items: [{ sku: 'AIRPODS', quantity: 7 }] }));
    const before = await db.views.stock('AIRPODS');
    await saga.execute('inventory');
    const after = await db.views.stock('AIRPODS');
    expect(after).toEqual({
      sku: 'AIRPODS',
      available: before!.available - 7,
      reserved: before!.reserved + 7,
    });
    expect(await db.views.stock('NOKIA-3310')).toBeNull();
  });

  it('records view of a compensated saga: every participant lists its records oldest first, in the API shape', async () => {
    const saga = db.saga();
    for (const name of demoParticipantNames) await saga.execute(name);
    for (const name of [...demoParticipantNames].reverse()) await saga.compensate(name);

    const kinds: Record<string, [string, string][]> = {};
    for (const name of demoParticipantNames) {
      const records = await db.views.records(name, saga.sagaId);
      for (const record of records) {
        expect(Object.keys(record).sort()).toEqual([
          'at',
          'data',
          'idempotencyKey',
          'kind',
          'status',
        ]);
        expect(record.at).toMatch(ISO_UTC);
        expect(record.idempotencyKey).toMatch(
          new RegExp(`^${saga.sagaId}:\\w+:(execute|compensate)$`),
        );
      }
      const ats = records.map((r) => r.at);
      expect([...ats].sort()).toEqual(ats);
      kinds[name] = records.map((r) => [r.kind, r.status]);
    }
    expect(kinds).toEqual({
      order: [
        ['order', 'cancelled'],
        ['cancellation', 'cancelled'],
      ],
      inventory: [
        ['reservation', 'released'],
        ['release', 'released'],
      ],
      payment: [
        ['charge', 'refunded'],
        ['refund', 'refunded'],
      ],
      shipping: [
        ['shipment', 'cancelled'],
        ['cancellation', 'cancelled'],
      ],
      notification: [
        ['message', 'sent'],
        ['message', 'sent'],
      ],
    });
    const [reservation] = await db.views.records('inventory', saga.sagaId);
    expect(reservation.data).toEqual({
      reservationId: expect.any(String),
      lines: [{ sku: 'IPHONE-15', quantity: 1 }],
      releasedAt: expect.stringMatching(ISO_UTC),
    });
  });

  it('records view of a saga the participant never saw: an empty list', async () => {
    expect(await db.views.records('payment', 'no-such-saga')).toEqual([]);
  });

  it('records view of an unknown participant: UnknownParticipantError naming the known ones', async () => {
    const failure = db.views.records('billing', 'any');
    await expect(failure).rejects.toBeInstanceOf(UnknownParticipantError);
    await expect(failure).rejects.toMatchObject({
      code: 'UNKNOWN_PARTICIPANT',
      participant: 'billing',
      message: expect.stringContaining('order, inventory, payment, shipping, notification'),
    });
  });

  it('ledger view: zeros for a saga never charged, exact cents after charge and refund', async () => {
    const saga = db.saga();
    expect(await db.views.ledger(saga.sagaId)).toEqual({
      chargedCents: 0,
      refundedCents: 0,
      feeCents: 0,
    });
    await saga.execute('order');
    await saga.execute('payment');
    expect(await db.views.ledger(saga.sagaId)).toEqual({
      chargedCents: 7990000,
      refundedCents: 0,
      feeCents: 0,
    });
    await saga.compensate('payment');
    const ledger = await db.views.ledger(saga.sagaId);
    expect(ledger.refundedCents + ledger.feeCents).toBe(ledger.chargedCents);
    expect(ledger.feeCents).toBe(231740);
  });
});
