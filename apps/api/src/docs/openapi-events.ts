// The choreography routes (API.md Part 2, "Choreography"): events, subscriptions, dead
// letters. Request bodies are generated from the zod schemas the routes validate with.
import {
  deadLettersQuerySchema,
  listEventsQuerySchema,
  publishEventSchema,
  subscribeSchema,
} from '../events/event-schemas';
import { zodQueryParameters, zodToJsonSchema, type JsonSchema } from './zod-json-schema';

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const error = (name: string): JsonSchema => ({ $ref: `#/components/responses/${name}` });
const json = (schema: JsonSchema) => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema: JsonSchema) => ({ description, ...json(schema) });
const timestamp: JsonSchema = { type: 'string', format: 'date-time' };
const object = (properties: Record<string, JsonSchema>): JsonSchema => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
});
const location = (description: string) => ({
  Location: { schema: { type: 'string' }, description },
});

const eventIdParam = (name: string) => ({
  name,
  in: 'path',
  required: true,
  description: "The publisher's event id (1 to 200 of A-Z a-z 0-9 . _ : ~ -; anything else: 400).",
  schema: { type: 'string', pattern: '^[A-Za-z0-9._:~-]{1,200}$' },
});
const subscriptionIdParam = (name: string) => ({
  name,
  in: 'path',
  required: true,
  description: 'The subscription id (a UUID; anything else: 400).',
  schema: { type: 'string', format: 'uuid' },
});

/** Request and response schemas of the choreography routes. */
export function eventSchemas(): Record<string, JsonSchema> {
  const event = object({
    id: { type: 'string' },
    type: { type: 'string' },
    source: { type: 'string' },
    data: { type: 'object' },
    receivedAt: timestamp,
  });
  const delivery = object({
    eventId: { type: 'string' },
    subscriptionId: { type: 'string', format: 'uuid' },
    url: { type: 'string' },
    status: {
      type: 'string',
      enum: ['pending', 'delivered', 'dead', 'cancelled'],
      description:
        '`dead`: refused for good (a 4xx other than 408/425/429, a redirect, a host no longer allowed) or out of attempts; `cancelled`: the subscription was deleted first.',
    },
    attempts: { type: 'integer', minimum: 0, description: 'HTTP attempts, over every round.' },
    redeliveries: { type: 'integer', minimum: 0 },
    lastError: { type: ['string', 'null'] },
    lastStatusCode: { type: ['integer', 'null'] },
    createdAt: timestamp,
    updatedAt: timestamp,
    deliveredAt: { type: ['string', 'null'], format: 'date-time' },
  });
  return {
    PublishEventRequest: {
      ...zodToJsonSchema(publishEventSchema),
      description:
        'An event. The `id` is the idempotency key: the same id with the same content again is accepted once (200), with other content it is refused (409).',
    },
    SubscriptionRequest: {
      ...zodToJsonSchema(subscribeSchema),
      description:
        'Deliver every event of `type` to `url` (POST, at least once). The host must be allowed by SAGA_PARTICIPANT_HOSTS (loopback only when unset).',
    },
    Event: event,
    EventWithDeliveries: {
      ...event,
      properties: {
        ...(event.properties as object),
        deliveries: { type: 'array', items: ref('Delivery') },
      },
      required: [...(event.required as string[]), 'deliveries'],
    },
    Delivery: delivery,
    DeadLetter: {
      ...delivery,
      properties: { ...(delivery.properties as object), event: ref('Event') },
      required: [...(delivery.required as string[]), 'event'],
    },
    Subscription: object({
      id: { type: 'string', format: 'uuid' },
      type: { type: 'string' },
      url: { type: 'string' },
      createdAt: timestamp,
    }),
  };
}

/** `paths` of the choreography routes; `api` adds the key, 401/403/429 of every /api/v1 route. */
export function eventRoutes(
  api: (op: Record<string, unknown> & { tag: string }, write?: boolean) => JsonSchema,
): Record<string, Record<string, JsonSchema>> {
  const tag = 'events';
  return {
    '/api/v1/events': {
      post: api(
        {
          tag,
          operationId: 'publishEvent',
          summary: 'Publish an event',
          description:
            'Stored with a pending delivery for every subscription of its type, in one transaction; the deliveries run after the commit (POST to each subscriber, `Idempotency-Key` = the event id, retried with backoff).',
          requestBody: { required: true, ...json(ref('PublishEventRequest')) },
          responses: {
            '202': {
              ...ok('Stored; deliveries under way.', ref('Event')),
              headers: location('/api/v1/events/{id}'),
            },
            '200': {
              ...ok('The same event was published before: nothing new is delivered.', ref('Event')),
              headers: location('/api/v1/events/{id}'),
            },
            '400': error('BadRequest'),
            '409': error('Conflict'),
            '413': error('PayloadTooLarge'),
          },
        },
        true,
      ),
      get: api({
        tag,
        operationId: 'listEvents',
        summary: 'Events, newest first',
        parameters: zodQueryParameters(listEventsQuerySchema, {
          type: 'Only events of this type.',
          limit: '1 to 200 (default 50).',
        }),
        responses: {
          '200': ok('The events.', {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: ref('Event') } },
          }),
          '400': error('BadRequest'),
        },
      }),
    },
    '/api/v1/events/{id}': {
      get: api({
        tag,
        operationId: 'getEvent',
        summary: 'One event with its deliveries',
        parameters: [eventIdParam('id')],
        responses: {
          '200': ok('The event.', ref('EventWithDeliveries')),
          '400': error('BadRequest'),
          '404': error('NotFound'),
        },
      }),
    },
    '/api/v1/subscriptions': {
      post: api(
        {
          tag,
          operationId: 'subscribe',
          summary: 'Subscribe a URL to an event type',
          description:
            'Events published from now on are delivered to it, each on its own BullMQ queue. The same type and URL again: 200 with the existing subscription.',
          requestBody: { required: true, ...json(ref('SubscriptionRequest')) },
          responses: {
            '201': {
              ...ok('Subscribed.', ref('Subscription')),
              headers: location('/api/v1/subscriptions/{id}'),
            },
            '200': ok('Subscribed before with this type and URL.', ref('Subscription')),
            '400': error('BadRequest'),
            '413': error('PayloadTooLarge'),
          },
        },
        true,
      ),
      get: api({
        tag,
        operationId: 'listSubscriptions',
        summary: 'Live subscriptions, oldest first',
        responses: {
          '200': ok('The subscriptions.', { type: 'array', items: ref('Subscription') }),
        },
      }),
    },
    '/api/v1/subscriptions/{id}': {
      delete: api(
        {
          tag,
          operationId: 'unsubscribe',
          summary: 'Delete a subscription',
          description: 'Its pending deliveries are cancelled; its deliveries stay readable.',
          parameters: [subscriptionIdParam('id')],
          responses: {
            '200': ok('Deleted.', {
              type: 'object',
              required: ['id', 'deleted'],
              properties: { id: { type: 'string', format: 'uuid' }, deleted: { const: true } },
            }),
            '400': error('BadRequest'),
            '404': error('NotFound'),
          },
        },
        true,
      ),
    },
    '/api/v1/dead-letters': {
      get: api({
        tag,
        operationId: 'listDeadLetters',
        summary: 'Deliveries that failed for good, the most recent first, with their events',
        parameters: zodQueryParameters(deadLettersQuerySchema, {
          subscriptionId: "Only this subscription's.",
          limit: '1 to 200 (default 50).',
        }),
        responses: {
          '200': ok('The dead letters.', {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: ref('DeadLetter') } },
          }),
          '400': error('BadRequest'),
        },
      }),
    },
    '/api/v1/dead-letters/{eventId}/{subscriptionId}/redeliver': {
      post: api(
        {
          tag,
          operationId: 'redeliver',
          summary: 'Send a dead letter again',
          description:
            'Pending again with fresh attempts (`redeliveries` + 1). A delivery that is not dead: 409.',
          parameters: [eventIdParam('eventId'), subscriptionIdParam('subscriptionId')],
          responses: {
            '202': ok('Pending again.', ref('Delivery')),
            '400': error('BadRequest'),
            '404': error('NotFound'),
            '409': error('Conflict'),
          },
        },
        true,
      ),
    },
  };
}
