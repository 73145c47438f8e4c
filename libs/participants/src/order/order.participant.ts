import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { TerminalStepError, type Participant, type ParticipantCallContext } from '../participant';
import { forwardIdempotencyKey, runIdempotent } from '../shared/idempotent-operation';
import { orderSagaInput } from '../shared/order-saga-input';
import type { OrderLine } from './customer-order.entity';

/** Output of `order.validate`: the priced order, which `payment.charge` charges. */
export interface ValidatedOrder {
  orderId: string;
  totalCents: number;
  lines: OrderLine[];
}

/** Output of `order.invalidate`; `cancelled: false` when there was no open order to cancel. */
export interface OrderInvalidation {
  orderId: string | null;
  cancelled: boolean;
}

/**
 * The order service: `validate` prices the order against its catalog and records it,
 * `invalidate` (a perfect compensation) marks it cancelled.
 */
export function createOrderParticipant(dataSource: DataSource): Participant {
  return {
    name: 'order',
    operations: {
      validate: (ctx) =>
        runIdempotent(dataSource, 'order_svc', 'validate', ctx, (m) => validate(m, ctx)),
      invalidate: (ctx) =>
        runIdempotent(dataSource, 'order_svc', 'invalidate', ctx, (m) => invalidate(m, ctx)),
    },
  };
}

async function validate(m: EntityManager, ctx: ParticipantCallContext): Promise<ValidatedOrder> {
  const input = orderSagaInput(ctx);
  const skus = [...new Set(input.items.map((item) => item.sku))];
  const rows: { sku: string; price_cents: string }[] = await m.query(
    `SELECT sku, price_cents FROM "order_svc"."product" WHERE sku = ANY($1::text[])`,
    [skus],
  );
  const prices = new Map(rows.map((row) => [row.sku, Number(row.price_cents)]));
  const unknown = skus.filter((sku) => !prices.has(sku));
  if (unknown.length > 0) {
    throw new TerminalStepError('UNKNOWN_SKU', `Not in the catalog: ${unknown.join(', ')}.`);
  }
  const lines = input.items.map(({ sku, quantity }) => ({
    sku,
    quantity,
    priceCents: prices.get(sku) as number,
  }));
  const totalCents = lines.reduce((sum, line) => sum + line.priceCents * line.quantity, 0);
  const orderId = randomUUID();
  await m.query(
    `INSERT INTO "order_svc"."customer_order"
       (id, saga_id, idempotency_key, customer_id, lines, total_cents, status)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, 'validated')`,
    [orderId, ctx.sagaId, ctx.idempotencyKey, input.customerId, JSON.stringify(lines), totalCents],
  );
  return { orderId, totalCents, lines };
}

async function invalidate(
  m: EntityManager,
  ctx: ParticipantCallContext,
): Promise<OrderInvalidation> {
  const [updated] = (await m.query(
    `UPDATE "order_svc"."customer_order" SET status = 'cancelled', cancelled_at = now()
     WHERE idempotency_key = $1 AND status = 'validated' RETURNING id`,
    [forwardIdempotencyKey(ctx)],
  )) as [{ id: string }[], number];
  const orderId = updated[0]?.id ?? null;
  await m.query(
    `INSERT INTO "order_svc"."order_cancellation" (id, saga_id, idempotency_key, order_id, status)
     VALUES ($1, $2, $3, $4, $5)`,
    [randomUUID(), ctx.sagaId, ctx.idempotencyKey, orderId, orderId ? 'cancelled' : 'noop'],
  );
  return { orderId, cancelled: orderId !== null };
}
