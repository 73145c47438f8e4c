// Request schemas of the choreography routes (API.md, "Choreography"). The OpenAPI document is
// generated from these, so the docs say exactly what the routes accept.
import { z } from 'zod';
import { wholeNumberParam } from '../http/zod-request';

/**
 * The publisher's event id: URL-safe (it appears in `/events/:id` and as the Idempotency-Key
 * header), so a UUID, a ULID or `order-42.created` all fit.
 */
export const EVENT_ID = /^[A-Za-z0-9._:~-]{1,200}$/;
export const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9._-]{0,127}$/;
export const EVENT_SOURCE = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}$/;

export const eventIdSchema = z
  .string()
  .regex(EVENT_ID, 'must be 1 to 200 of A-Z a-z 0-9 . _ : ~ -');

const eventTypeSchema = z
  .string()
  .regex(EVENT_TYPE, 'must start with a letter, then up to 127 of A-Z a-z 0-9 . _ -');

export const publishEventSchema = z
  .object({
    id: eventIdSchema,
    type: eventTypeSchema,
    source: z
      .string()
      .regex(
        EVENT_SOURCE,
        'must start with a letter or digit, then up to 199 of A-Z a-z 0-9 . _ : / @ -',
      ),
    data: z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }),
  })
  .strict();

export type PublishEvent = z.infer<typeof publishEventSchema>;

export const listEventsQuerySchema = z
  .object({
    type: eventTypeSchema.optional(),
    limit: wholeNumberParam(1, 200).optional(),
  })
  .strict();

export const subscribeSchema = z
  .object({
    type: eventTypeSchema,
    url: z
      .string()
      .max(2000)
      .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), {
        message: 'must be an absolute http:// or https:// URL',
      })
      .refine((u) => !URL.canParse(u) || (!new URL(u).username && !new URL(u).password), {
        message: 'must not carry credentials (sign requests with SAGA_SIGNING_SECRET instead)',
      }),
  })
  .strict();

export const subscriptionIdSchema = z.string().uuid({ message: 'must be a UUID' });

export const deadLettersQuerySchema = z
  .object({
    subscriptionId: subscriptionIdSchema.optional(),
    limit: wholeNumberParam(1, 200).optional(),
  })
  .strict();
