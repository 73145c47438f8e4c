import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { ResolvedDemoParticipantOptions } from '../demo-participant-options';
import {
  RetryableStepError,
  TerminalStepError,
  type Participant,
  type ParticipantCallContext,
} from '../participant';
import { forwardIdempotencyKey, runIdempotent } from '../shared/idempotent-operation';
import { refundFeeCents } from './refund-fee';

/** Output of `payment.charge`. */
export interface PaymentCharge {
  chargeId: string;
  amountCents: number;
}

/** Output of `payment.refund`: `refundedCents + feeCents = chargedCents`, zeros if uncharged. */
export interface PaymentRefund {
  chargeId: string | null;
  chargedCents: number;
  refundedCents: number;
  feeCents: number;
}

/** The step whose output carries the order total (the `order` saga's first step). */
const PRICING_STEP = 'validate_order';

/** What `charge` reads from the saga input: only `payment`; the rest is other steps' business. */
interface PaymentInput {
  token: string;
  /** The amount to charge; absent: the order total from `outputs.validate_order.totalCents`. */
  amountCents?: number;
}

/**
 * The payment service: `charge` takes `input.payment.amountCents` when the saga input carries it
 * (any saga, e.g. a registered `travel` definition), else the `order` saga's validated total;
 * `refund` is a BUSINESS compensation: it gives the money back minus a processing fee, so the
 * books never return to where they were.
 */
export function createPaymentParticipant(
  dataSource: DataSource,
  options: ResolvedDemoParticipantOptions,
): Participant {
  const fee = {
    basisPoints: options.refundFeeBasisPoints,
    fixedCents: options.refundFeeFixedCents,
  };
  return {
    name: 'payment',
    operations: {
      charge: (ctx) => runIdempotent(dataSource, 'payment', 'charge', ctx, (m) => charge(m, ctx)),
      refund: (ctx) =>
        runIdempotent(dataSource, 'payment', 'refund', ctx, (m) => refund(m, ctx, fee)),
    },
  };
}

async function charge(m: EntityManager, ctx: ParticipantCallContext): Promise<PaymentCharge> {
  const { token, amountCents: given } = paymentInput(ctx);
  const amountCents =
    given ?? (ctx.outputs[PRICING_STEP] as { totalCents?: unknown } | undefined)?.totalCents;
  if (!isCents(amountCents)) {
    throw new TerminalStepError(
      'MISSING_ORDER_TOTAL',
      `payment.charge needs input.payment.amountCents or outputs.${PRICING_STEP}.totalCents ` +
        '(integer cents) from an earlier step.',
    );
  }
  if (token === 'tok_declined') {
    throw new TerminalStepError('CARD_DECLINED', 'The card issuer declined the charge.');
  }
  if (token === 'tok_flaky' && ctx.attempt <= 2) {
    throw new RetryableStepError(
      'GATEWAY_UNAVAILABLE',
      `The payment gateway did not answer (attempt ${ctx.attempt}); a retry may succeed.`,
    );
  }
  const chargeId = randomUUID();
  await m.query(
    `INSERT INTO "payment"."charge" (id, saga_id, idempotency_key, amount_cents, status)
     VALUES ($1, $2, $3, $4, 'captured')`,
    [chargeId, ctx.sagaId, ctx.idempotencyKey, amountCents],
  );
  return { chargeId, amountCents };
}

function isCents(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * `input.payment`, checked just enough that a malformed one fails as a terminal step error
 * instead of a database error (the API validates the input against the definition's schema).
 */
function paymentInput(ctx: ParticipantCallContext): PaymentInput {
  const payment = (ctx.input as { payment?: { token?: unknown; amountCents?: unknown } } | null)
    ?.payment;
  const amountOk = payment?.amountCents === undefined || isCents(payment.amountCents);
  if (typeof payment?.token !== 'string' || !amountOk) {
    throw new TerminalStepError(
      'INVALID_INPUT',
      `Saga ${ctx.sagaId}: step '${ctx.step}' needs input.payment = { token: string, ` +
        'amountCents?: integer cents >= 0 }.',
    );
  }
  return payment as PaymentInput;
}

async function refund(
  m: EntityManager,
  ctx: ParticipantCallContext,
  fee: { basisPoints: number; fixedCents: number },
): Promise<PaymentRefund> {
  const [rows] = (await m.query(
    `UPDATE "payment"."charge" SET status = 'refunded', refunded_at = now()
     WHERE idempotency_key = $1 AND status = 'captured' RETURNING id, amount_cents`,
    [forwardIdempotencyKey(ctx)],
  )) as [{ id: string; amount_cents: string }[], number];
  const captured = rows[0];
  const chargedCents = captured ? Number(captured.amount_cents) : 0;
  const feeCents = refundFeeCents(chargedCents, fee);
  const result: PaymentRefund = {
    chargeId: captured?.id ?? null,
    chargedCents,
    refundedCents: chargedCents - feeCents,
    feeCents,
  };
  await m.query(
    `INSERT INTO "payment"."refund" (id, saga_id, idempotency_key, charge_id,
       charged_cents, refunded_cents, fee_cents, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      randomUUID(),
      ctx.sagaId,
      ctx.idempotencyKey,
      result.chargeId,
      chargedCents,
      result.refundedCents,
      feeCents,
      captured ? 'refunded' : 'noop',
    ],
  );
  return result;
}
