import type { ZodType } from 'zod';
import { SagaException, type ErrorDetail } from '../errors/saga-exception';

/** Parses a request part with a zod schema; any issue becomes a 400 with `details`. */
export function parseRequest<T>(
  schema: ZodType<T>,
  value: unknown,
  prefix: string,
  what: string,
): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const details: ErrorDetail[] = r.error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.'),
    message: i.message,
  }));
  throw new SagaException(
    'INVALID_REQUEST',
    `Invalid ${what}: ${details.map((d) => `${d.path || '(root)'}: ${d.message}`).join('; ')}`,
    details,
  );
}
