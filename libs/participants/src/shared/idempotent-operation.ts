import type { DataSource, EntityManager } from 'typeorm';
import { TerminalStepError, type ParticipantCallContext } from '../participant';
import type { ParticipantSchema } from './participant-schema';

/**
 * Runs `effect` at most once per `ctx.idempotencyKey`, in one transaction, and returns the
 * first result to every later (or concurrent) call with the same key.
 *
 * The key is claimed by inserting the schema's `operation` row BEFORE anything is read or
 * changed: a concurrent duplicate's insert blocks on the unique key until the first
 * transaction ends, then sees the conflict and reads the stored result. When `effect`
 * throws (a business refusal such as OUT_OF_STOCK, or an abort), the whole transaction rolls
 * back, the claim included, so a later fresh call is judged again.
 */
export async function runIdempotent<T>(
  dataSource: DataSource,
  schema: ParticipantSchema,
  operation: string,
  ctx: ParticipantCallContext,
  effect: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  // `schema` comes from a closed set of constants, never from a caller: safe to interpolate.
  const table = `"${schema}"."operation"`;
  return dataSource.transaction(async (manager) => {
    const claimed: unknown[] = await manager.query(
      `INSERT INTO ${table} (idempotency_key, saga_id, operation) VALUES ($1, $2, $3)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key`,
      [ctx.idempotencyKey, ctx.sagaId, operation],
    );
    if (claimed.length === 0) {
      const [first] = (await manager.query(
        `SELECT operation, result FROM ${table} WHERE idempotency_key = $1`,
        [ctx.idempotencyKey],
      )) as { operation: string; result: T }[];
      if (first.operation !== operation) {
        throw new TerminalStepError(
          'IDEMPOTENCY_KEY_REUSED',
          `Idempotency key '${ctx.idempotencyKey}' was already used for ${schema}.${first.operation}, ` +
            `not ${operation}. Keys must be unique per operation call (sagaId:step:kind).`,
        );
      }
      return first.result;
    }
    const result = await effect(manager);
    // An attempt the runtime has given up on must not commit: its retry will redo the work.
    ctx.signal.throwIfAborted();
    // Return what was stored, so the first caller sees exactly what every repeat will see.
    const [[stored]] = (await manager.query(
      `UPDATE ${table} SET result = $2::jsonb WHERE idempotency_key = $1 RETURNING result`,
      [ctx.idempotencyKey, JSON.stringify(result)],
    )) as [{ result: T }[], number];
    return stored.result;
  });
}

/** The idempotency key of the action a compensation undoes (`sagaId:step:execute`). */
export function forwardIdempotencyKey(ctx: ParticipantCallContext): string {
  return `${ctx.sagaId}:${ctx.step}:execute`;
}
