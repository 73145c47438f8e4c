import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Participant, ParticipantCallContext } from '../participant';
import { runIdempotent } from '../shared/idempotent-operation';
import { orderSagaInput } from '../shared/order-saga-input';

/** Output of both notification operations. */
export interface SentMessage {
  messageId: string;
  kind: 'confirmation' | 'cancellation';
}

/**
 * The notification service: `send_confirmation` tells the customer the order is on its way,
 * `send_cancellation` is a BUSINESS compensation: a sent message cannot be unsent, so it
 * sends a second one that takes the first back.
 */
export function createNotificationParticipant(dataSource: DataSource): Participant {
  return {
    name: 'notification',
    operations: {
      send_confirmation: (ctx) =>
        runIdempotent(dataSource, 'notification', 'send_confirmation', ctx, (m) =>
          send(m, ctx, 'confirmation'),
        ),
      send_cancellation: (ctx) =>
        runIdempotent(dataSource, 'notification', 'send_cancellation', ctx, (m) =>
          send(m, ctx, 'cancellation'),
        ),
    },
  };
}

async function send(
  m: EntityManager,
  ctx: ParticipantCallContext,
  kind: SentMessage['kind'],
): Promise<SentMessage> {
  const { customerId } = orderSagaInput(ctx);
  const body =
    kind === 'confirmation'
      ? `Your order (saga ${ctx.sagaId}) is confirmed and on its way.`
      : `Your order (saga ${ctx.sagaId}) was cancelled; any payment is refunded.`;
  const messageId = randomUUID();
  await m.query(
    `INSERT INTO "notification"."message" (id, saga_id, idempotency_key, kind, recipient, body, status)
     VALUES ($1, $2, $3, $4, $5, $6, 'sent')`,
    [messageId, ctx.sagaId, ctx.idempotencyKey, kind, customerId, body],
  );
  return { messageId, kind };
}
