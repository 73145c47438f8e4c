import { z } from 'zod';

/** A fault to inject (API.md "Fault injection", plus the extensions sagaId and delayMs). */
export const faultSchema = z
  .object({
    participant: z.string().min(1).max(100),
    action: z.string().min(1).max(100),
    mode: z.enum(['fail', 'transient', 'timeout', 'delay']),
    times: z.number().int().min(1).max(1_000_000),
    /** Only this saga's calls are affected. */
    sagaId: z.string().uuid({ message: 'must be a UUID' }).optional(),
    /** Hold the call this long first; then misbehave per mode (`delay`: run it normally). */
    delayMs: z.number().int().min(1).max(600_000).optional(),
  })
  .strict()
  .refine((f) => f.mode !== 'delay' || f.delayMs !== undefined, {
    path: ['delayMs'],
    message: 'delayMs is required with mode "delay"',
  });

export type FaultRequest = z.infer<typeof faultSchema>;

/** Faults given with `POST /sagas` (when SAGA_FAULTS=enabled): scoped to the new saga. */
export const sagaFaultsSchema = z.array(faultSchema).max(100);
