import { z } from 'zod';
import type { SagaEvent } from './saga-events';

// Events reach the engine from queues and HTTP; one with a broken shape must be ignored (and
// recorded as such), never folded into the context where it would corrupt every later view.
const at = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'Must be an ISO timestamp.');
const step = z.string().min(1);
const attempt = z.number().int().min(1);
const item = z.number().int().min(0).optional();
const error = z.object({ code: z.string(), message: z.string(), retryable: z.boolean() });

/** Schema of a {@link SagaEvent}. */
export const sagaEventSchema: z.ZodType<SagaEvent> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('START'), at }),
  z.object({ type: z.literal('STEP_SUCCEEDED'), step, item, attempt, output: z.unknown(), at }),
  z.object({ type: z.literal('STEP_ATTEMPT_FAILED'), step, item, attempt, error, at }),
  z.object({ type: z.literal('STEP_FAILED'), step, item, attempt, error, at }),
  z.object({
    type: z.literal('COMPENSATION_SUCCEEDED'),
    step,
    item,
    attempt,
    output: z.unknown(),
    at,
  }),
  z.object({ type: z.literal('COMPENSATION_ATTEMPT_FAILED'), step, item, attempt, error, at }),
  z.object({ type: z.literal('COMPENSATION_FAILED'), step, item, attempt, error, at }),
  z.object({ type: z.literal('CANCEL'), reason: z.enum(['requested', 'deadline']), at }),
  z.object({ type: z.literal('RETRY'), at }),
]) as z.ZodType<SagaEvent>;
