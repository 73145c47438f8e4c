import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { ResolvedDemoParticipantOptions } from '../demo-participant-options';
import { TerminalStepError, type Participant, type ParticipantCallContext } from '../participant';
import { forwardIdempotencyKey, runIdempotent } from '../shared/idempotent-operation';
import { orderSagaInput } from '../shared/order-saga-input';

/** Output of `shipping.arrange` (timestamps ISO-8601 UTC). */
export interface ArrangedShipment {
  shipmentId: string;
  arrangedAt: string;
  dispatchCutoffAt: string;
}

/** Output of `shipping.cancel`; `cancelled: false` when there was no shipment to cancel. */
export interface ShipmentCancellationResult {
  shipmentId: string | null;
  cancelled: boolean;
  feeCents: number;
  afterCutoff: boolean;
}

/** The postal code no carrier serves (API.md). */
const UNSERVICEABLE_POSTAL_CODE = '000000';

/**
 * The shipping service: `arrange` books a shipment with a dispatch cut-off, `cancel` is a
 * TIME-BASED compensation: free before the cut-off, a fee at or after it.
 */
export function createShippingParticipant(
  dataSource: DataSource,
  options: ResolvedDemoParticipantOptions,
): Participant {
  return {
    name: 'shipping',
    operations: {
      arrange: (ctx) =>
        runIdempotent(dataSource, 'shipping', 'arrange', ctx, (m) => arrange(m, ctx, options)),
      cancel: (ctx) =>
        runIdempotent(dataSource, 'shipping', 'cancel', ctx, (m) => cancel(m, ctx, options)),
    },
  };
}

/** The injected clock, else the database's: one clock for every process of a cluster. */
async function currentTime(
  m: EntityManager,
  options: ResolvedDemoParticipantOptions,
): Promise<Date> {
  if (options.now) return options.now();
  const [row] = (await m.query(`SELECT now() AS now`)) as { now: Date }[];
  return row.now;
}

async function arrange(
  m: EntityManager,
  ctx: ParticipantCallContext,
  options: ResolvedDemoParticipantOptions,
): Promise<ArrangedShipment> {
  const { shippingAddress } = orderSagaInput(ctx);
  if (shippingAddress.postalCode === UNSERVICEABLE_POSTAL_CODE) {
    throw new TerminalStepError(
      'ADDRESS_NOT_SERVICEABLE',
      `No carrier delivers to postal code ${shippingAddress.postalCode}.`,
    );
  }
  const arrangedAt = await currentTime(m, options);
  const dispatchCutoffAt = new Date(arrangedAt.getTime() + options.dispatchCutoffMs);
  const shipmentId = randomUUID();
  await m.query(
    `INSERT INTO "shipping"."shipment" (id, saga_id, idempotency_key, address, status,
       arranged_at, dispatch_cutoff_at)
     VALUES ($1, $2, $3, $4::jsonb, 'arranged', $5, $6)`,
    [
      shipmentId,
      ctx.sagaId,
      ctx.idempotencyKey,
      JSON.stringify(shippingAddress),
      arrangedAt,
      dispatchCutoffAt,
    ],
  );
  return {
    shipmentId,
    arrangedAt: arrangedAt.toISOString(),
    dispatchCutoffAt: dispatchCutoffAt.toISOString(),
  };
}

async function cancel(
  m: EntityManager,
  ctx: ParticipantCallContext,
  options: ResolvedDemoParticipantOptions,
): Promise<ShipmentCancellationResult> {
  const now = await currentTime(m, options);
  const [rows] = (await m.query(
    `UPDATE "shipping"."shipment" SET status = 'cancelled', cancelled_at = $2
     WHERE idempotency_key = $1 AND status = 'arranged' RETURNING id, dispatch_cutoff_at`,
    [forwardIdempotencyKey(ctx), now],
  )) as [{ id: string; dispatch_cutoff_at: Date }[], number];
  const shipment = rows[0];
  const afterCutoff =
    shipment !== undefined && now.getTime() >= shipment.dispatch_cutoff_at.getTime();
  const result: ShipmentCancellationResult = {
    shipmentId: shipment?.id ?? null,
    cancelled: shipment !== undefined,
    feeCents: afterCutoff ? options.shipmentCancellationFeeCents : 0,
    afterCutoff,
  };
  await m.query(
    `INSERT INTO "shipping"."shipment_cancellation" (id, saga_id, idempotency_key, shipment_id,
       fee_cents, after_cutoff, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      randomUUID(),
      ctx.sagaId,
      ctx.idempotencyKey,
      result.shipmentId,
      result.feeCents,
      afterCutoff,
      shipment ? 'cancelled' : 'noop',
    ],
  );
  return result;
}
