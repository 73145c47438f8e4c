import { z, type ZodType } from 'zod';
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

/** A query-string whole number (digits only: no sign, fraction or exponent) from `min` to `max`. */
export function wholeNumberParam(min: number, max = Number.MAX_SAFE_INTEGER) {
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\d+$/, `must be a whole number ${range}`)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}
