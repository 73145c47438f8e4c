import { RetryableStepError, TerminalStepError } from '@app/participants';
import { randomUUID } from 'node:crypto';
import { callContext, orderInput, ParticipantsDatabase } from './participants-harness';

describe('payment participant (real PostgreSQL)', () => {
  let db: ParticipantsDatabase;
  beforeAll(async () => {
    db = await ParticipantsDatabase.open();
  });
  afterAll(() => db.close());

  /** A saga whose order has been validated, so its total is known to payment. */
  async function pricedSaga(input = orderInput()) {
    const saga = db.saga(input);
    await saga.execute('order');
    return saga;
  }

  it('charge: takes the validated order total', async () => {
    const saga = await pricedSaga(
      orderInput({
        items: [
          { sku: 'IPHONE-15', quantity: 1 },
          { sku: 'AIRPODS', quantity: 2 },
        ],
      }),
    );
    const output = await saga.execute('payment');
    expect(output).toEqual({ chargeId: expect.any(String), amountCents: 12970000 });
    expect(await db.views.ledger(saga.sagaId)).toEqual({
      chargedCents: 12970000,
      refundedCents: 0,
      feeCents: 0,
    });
  });

  it('charge with tok_declined: CARD_DECLINED, terminal, nothing charged', async () => {
    const saga = await pricedSaga(orderInput({ payment: { token: 'tok_declined' } }));
    const failure = saga.execute('payment');
    await expect(failure).rejects.toBeInstanceOf(TerminalStepError);
    await expect(failure).rejects.toMatchObject({ code: 'CARD_DECLINED' });
    expect(await db.views.ledger(saga.sagaId)).toEqual({
      chargedCents: 0,
      refundedCents: 0,
      feeCents: 0,
    });
    expect(await db.views.records('payment', saga.sagaId)).toEqual([]);
  });

  it('charge with tok_flaky: retryable failures on attempts 1 and 2, charged once on attempt 3', async () => {
    const saga = await pricedSaga(orderInput({ payment: { token: 'tok_flaky' } }));
    for (const attempt of [1, 2]) {
      const failure = saga.execute('payment', attempt);
      await expect(failure).rejects.toBeInstanceOf(RetryableStepError);
      await expect(failure).rejects.toMatchObject({ name: 'RetryableStepError' });
      expect((await db.views.ledger(saga.sagaId)).chargedCents).toBe(0);
    }
    const output = await saga.execute('payment', 3);
    expect(output).toEqual({ chargeId: expect.any(String), amountCents: 7990000 });
    expect(await saga.execute('payment', 4)).toEqual(output);
    expect((await db.views.ledger(saga.sagaId)).chargedCents).toBe(7990000);
  });

  it('charge without a validated order total: MISSING_ORDER_TOTAL, terminal', async () => {
    const saga = db.saga();
    await expect(saga.execute('payment')).rejects.toMatchObject({
      code: 'MISSING_ORDER_TOTAL',
      name: 'TerminalStepError',
    });
  });

  /** A registered definition's input (the travel example): no order, the amount given. */
  function travelInput(payment: Record<string, unknown>) {
    return {
      customerId: 'c-7',
      destination: 'Lisbon',
      nights: 3,
      passengers: [{ name: 'Ada' }, { name: 'Grace' }],
      payment,
    };
  }

  /** Call contexts of a travel saga's `charge` step (key `sagaId:charge:kind`). */
  function chargeStep(input: unknown) {
    const sagaId = randomUUID();
    const at = (kind: 'execute' | 'compensate', extra = {}) =>
      callContext(sagaId, 'payment', kind, input, {
        step: 'charge',
        idempotencyKey: `${sagaId}:charge:${kind}`,
        outputs: { book_flight: { bookingId: 'FL-1' }, book_hotel: { bookingId: 'HT-1' } },
        ...extra,
      });
    return { sagaId, at };
  }

  it('charge of a non-order input with payment.amountCents: charges that amount; refund as for orders', async () => {
    const { sagaId, at } = chargeStep(travelInput({ token: 'tok_ok', amountCents: 4_250_000 }));
    const output = await db.call('payment', 'charge', at('execute'));
    expect(output).toEqual({ chargeId: expect.any(String), amountCents: 4_250_000 });
    expect(await db.call('payment', 'charge', at('execute', { attempt: 2 }))).toEqual(output);
    expect(await db.views.ledger(sagaId)).toEqual({
      chargedCents: 4_250_000,
      refundedCents: 0,
      feeCents: 0,
    });

    // 2.9% of 4250000 is 123250; plus 30 cents.
    const refund = await db.call('payment', 'refund', at('compensate', { forwardOutput: output }));
    expect(refund).toEqual({
      chargeId: (output as { chargeId: string }).chargeId,
      chargedCents: 4_250_000,
      refundedCents: 4_250_000 - 123_280,
      feeCents: 123_280,
    });
    expect(await db.views.ledger(sagaId)).toEqual({
      chargedCents: 4_250_000,
      refundedCents: 4_126_720,
      feeCents: 123_280,
    });
  });

  it('charge with payment.amountCents keeps the token rules: tok_declined, tok_flaky, and 0 is an amount', async () => {
    const declined = chargeStep(travelInput({ token: 'tok_declined', amountCents: 100 }));
    await expect(db.call('payment', 'charge', declined.at('execute'))).rejects.toMatchObject({
      code: 'CARD_DECLINED',
      name: 'TerminalStepError',
    });
    expect((await db.views.ledger(declined.sagaId)).chargedCents).toBe(0);

    const flaky = chargeStep(travelInput({ token: 'tok_flaky', amountCents: 100 }));
    await expect(
      db.call('payment', 'charge', flaky.at('execute', { attempt: 2 })),
    ).rejects.toBeInstanceOf(RetryableStepError);
    expect(await db.call('payment', 'charge', flaky.at('execute', { attempt: 3 }))).toMatchObject({
      amountCents: 100,
    });

    const free = chargeStep(travelInput({ token: 'tok_ok', amountCents: 0 }));
    expect(await db.call('payment', 'charge', free.at('execute'))).toMatchObject({
      amountCents: 0,
    });
  });

  it.each([
    ['a negative amount', { token: 'tok_ok', amountCents: -1 }],
    ['a fractional amount', { token: 'tok_ok', amountCents: 10.5 }],
    ['an amount as a string', { token: 'tok_ok', amountCents: '100' }],
    ['an unsafe integer', { token: 'tok_ok', amountCents: 2 ** 53 }],
    ['no token', { amountCents: 100 }],
  ])('charge with %s: INVALID_INPUT, terminal, nothing charged', async (_, payment) => {
    const { sagaId, at } = chargeStep(travelInput(payment));
    const failure = db.call('payment', 'charge', at('execute'));
    await expect(failure).rejects.toBeInstanceOf(TerminalStepError);
    await expect(failure).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await db.views.records('payment', sagaId)).toEqual([]);
  });

  it('charge of an input without payment at all: INVALID_INPUT, terminal', async () => {
    const { at } = chargeStep({ customerId: 'c-7' });
    await expect(db.call('payment', 'charge', at('execute'))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      name: 'TerminalStepError',
    });
  });

  it('refund after charge: the charge less 2.9% + 30 cents, refunded + fee = charged', async () => {
    const saga = await pricedSaga();
    await saga.execute('payment');
    const refund = await saga.compensate('payment');
    // 2.9% of 7990000 is 231710; plus 30 cents.
    expect(refund).toEqual({
      chargeId: expect.any(String),
      chargedCents: 7990000,
      refundedCents: 7990000 - 231740,
      feeCents: 231740,
    });
    expect(await db.views.ledger(saga.sagaId)).toEqual({
      chargedCents: 7990000,
      refundedCents: 7758260,
      feeCents: 231740,
    });
    const records = await db.views.records('payment', saga.sagaId);
    expect(records.map((r) => [r.kind, r.status])).toEqual([
      ['charge', 'refunded'],
      ['refund', 'refunded'],
    ]);
  });

  it('refund of an uncharged saga: zeros, recorded as a no-op', async () => {
    const saga = db.saga();
    expect(await saga.compensate('payment')).toEqual({
      chargeId: null,
      chargedCents: 0,
      refundedCents: 0,
      feeCents: 0,
    });
    const records = await db.views.records('payment', saga.sagaId);
    expect(records.map((r) => [r.kind, r.status])).toEqual([['refund', 'noop']]);
  });

  it('refund fee options: basis points and fixed part configurable, the fee capped at the charge', async () => {
    const participants = db.withOptions({ refundFeeBasisPoints: 1000, refundFeeFixedCents: 0 });
    const saga = await pricedSaga(orderInput({ items: [{ sku: 'AIRPODS', quantity: 1 }] }));
    await saga.execute('payment');
    const refund = await participants.payment.operations.refund(saga.compensateContext('payment'));
    expect(refund).toMatchObject({
      chargedCents: 2490000,
      feeCents: 249000,
      refundedCents: 2241000,
    });

    const greedy = db.withOptions({ refundFeeBasisPoints: 0, refundFeeFixedCents: 5_000_000 });
    const small = await pricedSaga(orderInput({ items: [{ sku: 'AIRPODS', quantity: 1 }] }));
    await small.execute('payment');
    const capped = await greedy.payment.operations.refund(small.compensateContext('payment'));
    expect(capped).toMatchObject({ chargedCents: 2490000, feeCents: 2490000, refundedCents: 0 });
  });

  it('refund delivered five times at once: one refund, the first result every time', async () => {
    const saga = await pricedSaga();
    await saga.execute('payment');
    const ctx = saga.compensateContext('payment');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => db.call('payment', 'refund', ctx)),
    );
    for (const result of results) expect(result).toEqual(results[0]);
    expect(await db.views.ledger(saga.sagaId)).toEqual({
      chargedCents: 7990000,
      refundedCents: 7758260,
      feeCents: 231740,
    });
  });

  it('charge delivered five times at once: charged once', async () => {
    const saga = await pricedSaga();
    const ctx = saga.executeContext('payment');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => db.call('payment', 'charge', ctx)),
    );
    for (const result of results) expect(result).toEqual(results[0]);
    expect((await db.views.ledger(saga.sagaId)).chargedCents).toBe(7990000);
  });
});
