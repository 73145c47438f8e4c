import { z } from 'zod';
import type { RetryPolicy, SagaDefinition } from './saga-definition';

const retry: RetryPolicy = { maxAttempts: 3, backoffMs: 100, maxBackoffMs: 2000 };

/** The demo e-commerce order of API.md: five steps, each undone by its compensation. */
export const orderDefinition: SagaDefinition = {
  name: 'order',
  version: 1,
  description: 'E-commerce order: validate, reserve stock, charge, ship, notify.',
  deadlineMs: 300_000,
  steps: [
    {
      name: 'validate_order',
      participant: 'order',
      action: 'validate',
      compensation: 'invalidate',
      timeoutMs: 5000,
      retry,
    },
    {
      name: 'reserve_inventory',
      participant: 'inventory',
      action: 'reserve',
      compensation: 'release',
      timeoutMs: 5000,
      retry,
    },
    {
      name: 'process_payment',
      participant: 'payment',
      action: 'charge',
      compensation: 'refund',
      timeoutMs: 5000,
      // `tok_flaky` fails retryably twice before it succeeds: leave one attempt to spare.
      retry: { ...retry, maxAttempts: 4 },
    },
    {
      name: 'arrange_shipping',
      participant: 'shipping',
      action: 'arrange',
      compensation: 'cancel',
      timeoutMs: 5000,
      retry,
    },
    {
      name: 'send_notification',
      participant: 'notification',
      action: 'send_confirmation',
      compensation: 'send_cancellation',
      timeoutMs: 5000,
      retry,
    },
  ],
};

/** Input of the `order` saga (API.md, "The demo saga"). Strict: unknown fields are errors. */
export const orderInputSchema = z
  .object({
    customerId: z.string().min(1).max(100),
    items: z
      .array(
        z
          .object({
            sku: z.string().min(1).max(64),
            quantity: z.number().int().min(1).max(1000),
          })
          .strict(),
      )
      .min(1)
      .max(50),
    payment: z.object({ token: z.string().min(1).max(100) }).strict(),
    shippingAddress: z
      .object({
        line1: z.string().min(1).max(200),
        city: z.string().min(1).max(200),
        postalCode: z.string().min(1).max(200),
      })
      .strict(),
  })
  .strict();

/** A valid `order` input. */
export type OrderInput = z.infer<typeof orderInputSchema>;
