import { TerminalStepError, type Participant } from '@app/participants';
import { orderInput, ParticipantsDatabase } from './participants-harness';

const MINUTE = 60_000;

describe('shipping participant (real PostgreSQL)', () => {
  let db: ParticipantsDatabase;
  let now: Date;
  let shipping: Participant;
  beforeAll(async () => {
    db = await ParticipantsDatabase.open();
  });
  beforeEach(() => {
    now = new Date('2026-11-26T12:00:00.000Z');
    shipping = db.withOptions({ now: () => now }).shipping;
  });
  afterAll(() => db.close());

  it('arrange: records a shipment whose dispatch cut-off is 10 minutes later', async () => {
    const saga = db.saga();
    const output = await shipping.operations.arrange(saga.executeContext('shipping'));
    expect(output).toEqual({
      shipmentId: expect.any(String),
      arrangedAt: '2026-11-26T12:00:00.000Z',
      dispatchCutoffAt: '2026-11-26T12:10:00.000Z',
    });
    const [record] = await db.views.records('shipping', saga.sagaId);
    expect(record).toMatchObject({
      kind: 'shipment',
      status: 'arranged',
      data: {
        arrangedAt: '2026-11-26T12:00:00.000Z',
        dispatchCutoffAt: '2026-11-26T12:10:00.000Z',
        address: { line1: '1 Marine Drive', city: 'Mumbai', postalCode: '400001' },
      },
    });
  });

  it('arrange to postal code 000000: ADDRESS_NOT_SERVICEABLE, terminal, nothing recorded', async () => {
    const saga = db.saga(
      orderInput({ shippingAddress: { line1: 'Nowhere', city: 'Void', postalCode: '000000' } }),
    );
    const failure = shipping.operations.arrange(saga.executeContext('shipping'));
    await expect(failure).rejects.toBeInstanceOf(TerminalStepError);
    await expect(failure).rejects.toMatchObject({ code: 'ADDRESS_NOT_SERVICEABLE' });
    expect(await db.views.records('shipping', saga.sagaId)).toEqual([]);
  });

  it.each([
    ['one minute after arranging', 1 * MINUTE, { feeCents: 0, afterCutoff: false }],
    ['a millisecond before the cut-off', 10 * MINUTE - 1, { feeCents: 0, afterCutoff: false }],
    ['exactly at the cut-off', 10 * MINUTE, { feeCents: 500, afterCutoff: true }],
    ['an hour after arranging', 60 * MINUTE, { feeCents: 500, afterCutoff: true }],
  ])('cancel %s: %j', async (_when, elapsedMs, expected) => {
    const saga = db.saga();
    const { shipmentId } = (await shipping.operations.arrange(saga.executeContext('shipping'))) as {
      shipmentId: string;
    };
    now = new Date(now.getTime() + elapsedMs);
    const cancel = await shipping.operations.cancel(saga.compensateContext('shipping'));
    expect(cancel).toEqual({ shipmentId, cancelled: true, ...expected });
    const records = await db.views.records('shipping', saga.sagaId);
    expect(records.map((r) => [r.kind, r.status, r.data.feeCents])).toEqual([
      ['shipment', 'cancelled', undefined],
      ['cancellation', 'cancelled', expected.feeCents],
    ]);
  });

  it('cancel repeated after the cut-off passed: still the first, free, result', async () => {
    const saga = db.saga();
    await shipping.operations.arrange(saga.executeContext('shipping'));
    const first = await shipping.operations.cancel(saga.compensateContext('shipping'));
    now = new Date(now.getTime() + 60 * MINUTE);
    expect(await shipping.operations.cancel(saga.compensateContext('shipping'))).toEqual(first);
    expect(first).toMatchObject({ feeCents: 0, afterCutoff: false });
  });

  it('cut-off and fee options: a 1-minute cut-off and a 1200-cent fee apply', async () => {
    const custom = db.withOptions({
      now: () => now,
      dispatchCutoffMs: MINUTE,
      shipmentCancellationFeeCents: 1200,
    }).shipping;
    const saga = db.saga();
    const arranged = await custom.operations.arrange(saga.executeContext('shipping'));
    expect(arranged).toMatchObject({ dispatchCutoffAt: '2026-11-26T12:01:00.000Z' });
    now = new Date(now.getTime() + 2 * MINUTE);
    expect(await custom.operations.cancel(saga.compensateContext('shipping'))).toMatchObject({
      feeCents: 1200,
      afterCutoff: true,
    });
  });

  it('without an injected clock: the database clock dates the shipment', async () => {
    const saga = db.saga();
    const before = Date.now();
    const output = (await db.call('shipping', 'arrange', saga.executeContext('shipping'))) as {
      arrangedAt: string;
      dispatchCutoffAt: string;
    };
    const arrangedAt = Date.parse(output.arrangedAt);
    expect(Math.abs(arrangedAt - before)).toBeLessThan(5_000);
    expect(Date.parse(output.dispatchCutoffAt) - arrangedAt).toBe(10 * MINUTE);
    expect(await db.call('shipping', 'cancel', saga.compensateContext('shipping'))).toMatchObject({
      cancelled: true,
      feeCents: 0,
    });
  });

  it('cancel with no shipment: a recorded no-op, no fee', async () => {
    const saga = db.saga();
    expect(await shipping.operations.cancel(saga.compensateContext('shipping'))).toEqual({
      shipmentId: null,
      cancelled: false,
      feeCents: 0,
      afterCutoff: false,
    });
    const records = await db.views.records('shipping', saga.sagaId);
    expect(records.map((r) => [r.kind, r.status])).toEqual([['cancellation', 'noop']]);
  });

  it('arrange delivered five times at once: one shipment', async () => {
    const saga = db.saga();
    const ctx = saga.executeContext('shipping');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => shipping.operations.arrange(ctx)),
    );
    for (const result of results) expect(result).toEqual(results[0]);
    expect(await db.views.records('shipping', saga.sagaId)).toHaveLength(1);
  });
});
