// Query-string and body schemas of the saga routes.
import { SAGA_STATUSES } from '@app/saga-machines';
import { z } from 'zod';
import { sagaFaultsSchema } from '../faults/fault-schema';
import { wholeNumberParam } from '../http/zod-request';

const createSagaFields = {
  definition: z.string().min(1).max(100),
  version: z.number().int().min(1).max(1_000_000).optional(),
  input: z.unknown().refine((v) => v !== undefined, { message: 'Required' }),
};

export const createSagaBodySchema = z.object(createSagaFields).strict();

/**
 * With SAGA_FAULTS=enabled a create request may also carry `faults` for the new saga: they are
 * written in the same transaction, so even the first step cannot run before them.
 */
export const createSagaBodyWithFaultsSchema = z
  .object({ ...createSagaFields, faults: sagaFaultsSchema.optional() })
  .strict();

export const listSagasQuerySchema = z
  .object({
    status: z.enum(SAGA_STATUSES).optional(),
    definition: z.string().min(1).max(100).optional(),
    limit: wholeNumberParam(1, 200).optional(),
    cursor: z.string().min(1).max(200).optional(),
  })
  .strict();

/** `GET /api/v1/sagas/counts`: optionally one definition's sagas only. */
export const sagaCountsQuerySchema = z
  .object({ definition: z.string().min(1).max(100).optional() })
  .strict();

export const sagaIdSchema = z.string().uuid({ message: 'must be a UUID' });

const cursorSchema = z
  .object({ c: z.string().datetime({ offset: true }), i: z.string().uuid() })
  .strict();

/** Cursors are opaque to clients: base64url JSON of the last item's (createdAt, id). */
export function encodeCursor(at: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify({ c: at.createdAt.toISOString(), i: at.id })).toString(
    'base64url',
  );
}

/** Decodes a cursor; returns null for anything this service did not make. */
export function decodeCursor(cursor: string): { createdAt: Date; id: string } | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  try {
    const parsed = cursorSchema.safeParse(
      JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')),
    );
    if (!parsed.success) return null;
    return { createdAt: new Date(parsed.data.c), id: parsed.data.i };
  } catch {
    return null;
  }
}
