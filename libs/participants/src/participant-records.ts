import type { DemoParticipantName } from './shared/participant-schema';
import { isoUtc, recordColumns } from './shared/sql';

/**
 * For each participant, the SQL listing its records of one saga (`$1`), oldest first, as
 * `{ kind, status, idempotencyKey, at, data }` rows (plus a `sort_at` column to drop). Should
 * two records share a microsecond, the action's record sorts before its compensation's.
 */
export const participantRecordsSql: Readonly<Record<DemoParticipantName, string>> = {
  order: `
    SELECT ${recordColumns(
      'order',
      `jsonb_build_object('orderId', id, 'customerId', customer_id, 'totalCents', total_cents,
        'lines', lines, 'cancelledAt', ${isoUtc('cancelled_at')})`,
    )} FROM "order_svc"."customer_order" WHERE saga_id = $1
    UNION ALL
    SELECT ${recordColumns('cancellation', `jsonb_build_object('orderId', order_id)`)}
    FROM "order_svc"."order_cancellation" WHERE saga_id = $1
    ORDER BY sort_at, kind DESC`,
  inventory: `
    SELECT ${recordColumns(
      'reservation',
      `jsonb_build_object('reservationId', id, 'lines', lines,
        'releasedAt', ${isoUtc('released_at')})`,
    )} FROM "inventory"."reservation" WHERE saga_id = $1
    UNION ALL
    SELECT ${recordColumns(
      'release',
      `jsonb_build_object('reservationId', reservation_id, 'lines', lines)`,
    )} FROM "inventory"."release" WHERE saga_id = $1
    ORDER BY sort_at, kind DESC`,
  payment: `
    SELECT ${recordColumns(
      'charge',
      `jsonb_build_object('chargeId', id, 'amountCents', amount_cents,
        'refundedAt', ${isoUtc('refunded_at')})`,
    )} FROM "payment"."charge" WHERE saga_id = $1
    UNION ALL
    SELECT ${recordColumns(
      'refund',
      `jsonb_build_object('chargeId', charge_id, 'chargedCents', charged_cents,
        'refundedCents', refunded_cents, 'feeCents', fee_cents)`,
    )} FROM "payment"."refund" WHERE saga_id = $1
    ORDER BY sort_at, kind`,
  shipping: `
    SELECT ${recordColumns(
      'shipment',
      `jsonb_build_object('shipmentId', id, 'address', address,
        'arrangedAt', ${isoUtc('arranged_at')},
        'dispatchCutoffAt', ${isoUtc('dispatch_cutoff_at')},
        'cancelledAt', ${isoUtc('cancelled_at')})`,
    )} FROM "shipping"."shipment" WHERE saga_id = $1
    UNION ALL
    SELECT ${recordColumns(
      'cancellation',
      `jsonb_build_object('shipmentId', shipment_id, 'feeCents', fee_cents,
        'afterCutoff', after_cutoff)`,
    )} FROM "shipping"."shipment_cancellation" WHERE saga_id = $1
    ORDER BY sort_at, kind DESC`,
  notification: `
    SELECT ${recordColumns(
      'message',
      `jsonb_build_object('messageId', id, 'kind', kind, 'recipient', recipient, 'body', body)`,
    )} FROM "notification"."message" WHERE saga_id = $1
    ORDER BY sort_at`,
};
