// Publishing, subscribing and redelivering (API.md, "Choreography"). State is committed before
// any job is enqueued; an enqueue that fails after the commit is left to the delivery sweep,
// which re-adds the job of every pending delivery (event-delivery.worker.ts).
import { Inject, Injectable, Logger } from '@nestjs/common';
import { canonicalHash } from '../common/canonical-json';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { SagaException } from '../errors/saga-exception';
import { parseRequest } from '../http/zod-request';
import {
  describeParticipantHosts,
  isParticipantUrlAllowed,
} from '../participants/participant-hosts';
import { DeliveryQueues } from './delivery-queues';
import { EventDeliveryWorker } from './event-delivery.worker';
import {
  deadLettersQuerySchema,
  eventIdSchema,
  listEventsQuerySchema,
  publishEventSchema,
  subscribeSchema,
  subscriptionIdSchema,
} from './event-schemas';
import { EventStore, type DeliveryKey, type DeliveryView, type EventView } from './event-store';

@Injectable()
export class EventsService {
  private readonly log = new Logger(EventsService.name);

  constructor(
    private readonly store: EventStore,
    @Inject(DeliveryQueues) private readonly queues: DeliveryQueues,
    private readonly worker: EventDeliveryWorker,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** created: a new event (202); otherwise the same event published before (200). */
  async publish(body: unknown): Promise<{ created: boolean; event: EventView }> {
    const e = parseRequest(publishEventSchema, body, '', 'event');
    const hash = canonicalHash({ type: e.type, source: e.source, data: e.data });
    const outcome = await this.store.publish(e, hash);
    if (!outcome.created) {
      if (outcome.contentHash !== hash) {
        throw new SagaException(
          'IDEMPOTENCY_CONFLICT',
          `An event with id '${e.id}' was published before with another type, source or data; give a new event a new id.`,
        );
      }
      return { created: false, event: outcome.event };
    }
    await this.enqueue(outcome.deliveries);
    return { created: true, event: outcome.event };
  }

  async list(query: unknown): Promise<{ items: EventView[] }> {
    const q = parseRequest(listEventsQuerySchema, query, 'query', 'query');
    return { items: await this.store.listEvents(q.type, q.limit ?? 50) };
  }

  async get(id: string): Promise<EventView & { deliveries: DeliveryView[] }> {
    const eventId = this.parseEventId(id);
    const event = await this.store.findEvent(eventId);
    if (!event) throw new SagaException('EVENT_NOT_FOUND', `No event with id '${eventId}'.`);
    return { ...event, deliveries: await this.store.deliveriesOf(eventId) };
  }

  /** created: a new subscription (201); otherwise the live one for the same type and URL (200). */
  async subscribe(body: unknown) {
    const s = parseRequest(subscribeSchema, body, '', 'subscription');
    if (!isParticipantUrlAllowed(s.url, this.config.participantHosts)) {
      const policy = describeParticipantHosts(this.config.participantHosts);
      throw new SagaException('INVALID_REQUEST', `Invalid subscription: url: host not allowed.`, [
        {
          path: 'url',
          message: `${new URL(s.url).host} is not an allowed host (${policy}); add it to SAGA_PARTICIPANT_HOSTS.`,
        },
      ]);
    }
    const outcome = await this.store.subscribe(s.type, s.url);
    // Its worker starts now rather than at the next pass (in a worker-role process).
    if (outcome.created) this.worker.syncSoon();
    return outcome;
  }

  subscriptions() {
    return this.store.subscriptions();
  }

  async unsubscribe(id: string): Promise<{ id: string; deleted: true }> {
    const subscriptionId = parseRequest(subscriptionIdSchema, id, 'id', 'subscription id');
    if (!(await this.store.unsubscribe(subscriptionId))) {
      throw new SagaException(
        'SUBSCRIPTION_NOT_FOUND',
        `No subscription with id '${subscriptionId}'.`,
      );
    }
    await this.queues.drop(subscriptionId);
    return { id: subscriptionId, deleted: true };
  }

  async deadLetters(query: unknown) {
    const q = parseRequest(deadLettersQuerySchema, query, 'query', 'query');
    return { items: await this.store.deadLetters(q.subscriptionId, q.limit ?? 50) };
  }

  /** A dead letter sent again, with fresh attempts; 409 when the delivery is not dead. */
  async redeliver(eventId: string, subscriptionId: string): Promise<DeliveryView> {
    const eid = this.parseEventId(eventId);
    const sid = parseRequest(
      subscriptionIdSchema,
      subscriptionId,
      'subscriptionId',
      'subscription id',
    );
    const key = await this.store.redeliver(eid, sid);
    if (!key) {
      const current = await this.store.delivery(eid, sid);
      if (!current) {
        throw new SagaException(
          'DELIVERY_NOT_FOUND',
          `No delivery of event '${eid}' to subscription '${sid}'.`,
        );
      }
      throw new SagaException(
        'STATE_CONFLICT',
        current.status === 'cancelled'
          ? 'The subscription was deleted: its deliveries are cancelled.'
          : `Only a dead letter can be redelivered; this delivery is ${current.status}.`,
      );
    }
    await this.enqueue([key]);
    return (await this.store.delivery(eid, sid))!;
  }

  private parseEventId(id: string): string {
    return parseRequest(eventIdSchema, id, 'id', 'event id');
  }

  /** After the commit. A failure here loses nothing: the sweep re-adds pending deliveries. */
  private async enqueue(keys: DeliveryKey[]): Promise<void> {
    for (const k of keys) {
      await this.queues.enqueue(k).catch((err: Error) => {
        this.log.warn(
          `delivery of event ${k.eventId} to ${k.subscriptionId} not enqueued yet (${err.message}); the sweep will`,
        );
      });
    }
  }
}
