import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { TerminalStepError, type Participant, type ParticipantCallContext } from '../participant';
import { forwardIdempotencyKey, runIdempotent } from '../shared/idempotent-operation';
import { mergeItems, orderSagaInput } from '../shared/order-saga-input';
import type { StockLine } from './reservation.entity';

/** Output of `inventory.reserve`. */
export interface StockReservation {
  reservationId: string;
  lines: StockLine[];
}

/** Output of `inventory.release`: exactly what the reservation held, or nothing. */
export interface StockReleaseResult {
  reservationId: string | null;
  released: StockLine[];
}

/**
 * The inventory service: `reserve` holds every ordered line or none, `release` (a perfect
 * compensation) returns exactly what was held.
 */
export function createInventoryParticipant(dataSource: DataSource): Participant {
  return {
    name: 'inventory',
    operations: {
      reserve: (ctx) =>
        runIdempotent(dataSource, 'inventory', 'reserve', ctx, (m) => reserve(m, ctx)),
      release: (ctx) =>
        runIdempotent(dataSource, 'inventory', 'release', ctx, (m) => release(m, ctx)),
    },
  };
}

async function reserve(m: EntityManager, ctx: ParticipantCallContext): Promise<StockReservation> {
  const lines = mergeItems(orderSagaInput(ctx).items);
  for (const { sku, quantity } of lines) {
    // Check and take in one conditional UPDATE: a concurrent saga cannot slip in between,
    // and the row lock it takes is held until this transaction ends.
    const [, taken] = (await m.query(
      `UPDATE "inventory"."stock_item"
       SET available = available - $2, reserved = reserved + $2
       WHERE sku = $1 AND available >= $2`,
      [sku, quantity],
    )) as [unknown[], number];
    if (taken === 0) {
      // Throwing rolls back the lines already taken: all or nothing.
      const known: unknown[] = await m.query(
        `SELECT 1 FROM "inventory"."stock_item" WHERE sku = $1`,
        [sku],
      );
      if (known.length === 0) {
        throw new TerminalStepError('UNKNOWN_SKU', `The inventory does not stock ${sku}.`);
      }
      throw new TerminalStepError('OUT_OF_STOCK', `Not enough ${sku} in stock for ${quantity}.`);
    }
  }
  const reservationId = randomUUID();
  await m.query(
    `INSERT INTO "inventory"."reservation" (id, saga_id, idempotency_key, lines, status)
     VALUES ($1, $2, $3, $4::jsonb, 'held')`,
    [reservationId, ctx.sagaId, ctx.idempotencyKey, JSON.stringify(lines)],
  );
  return { reservationId, lines };
}

async function release(m: EntityManager, ctx: ParticipantCallContext): Promise<StockReleaseResult> {
  // Flip the reservation first: the row lock serialises this with any other release of it.
  const [rows] = (await m.query(
    `UPDATE "inventory"."reservation" SET status = 'released', released_at = now()
     WHERE idempotency_key = $1 AND status = 'held' RETURNING id, lines`,
    [forwardIdempotencyKey(ctx)],
  )) as [{ id: string; lines: StockLine[] }[], number];
  const held = rows[0];
  for (const { sku, quantity } of held?.lines ?? []) {
    await m.query(
      `UPDATE "inventory"."stock_item"
       SET available = available + $2, reserved = reserved - $2 WHERE sku = $1`,
      [sku, quantity],
    );
  }
  const released = held?.lines ?? [];
  await m.query(
    `INSERT INTO "inventory"."release"
       (id, saga_id, idempotency_key, reservation_id, lines, status)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6)`,
    [
      randomUUID(),
      ctx.sagaId,
      ctx.idempotencyKey,
      held?.id ?? null,
      JSON.stringify(released),
      held ? 'released' : 'noop',
    ],
  );
  return { reservationId: held?.id ?? null, released };
}
