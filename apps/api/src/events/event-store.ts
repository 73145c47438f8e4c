// Events, subscriptions and deliveries in PostgreSQL (migration 1766000000000-events). The
// delivery rows are the truth about what has been delivered; BullMQ jobs only carry them out,
// so a job lost between commit and enqueue is re-added by the sweep (event-delivery.worker.ts).
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { PublishEvent } from './event-schemas';

export type DeliveryStatus = 'pending' | 'delivered' | 'dead' | 'cancelled';

export interface EventView {
  id: string;
  type: string;
  source: string;
  data: Record<string, unknown>;
  receivedAt: string;
}

export interface SubscriptionView {
  id: string;
  type: string;
  url: string;
  createdAt: string;
}

export interface DeliveryView {
  eventId: string;
  subscriptionId: string;
  url: string;
  status: DeliveryStatus;
  /** HTTP attempts made, over every round. */
  attempts: number;
  /** How many times a dead letter was sent again (POST …/redeliver). */
  redeliveries: number;
  lastError: string | null;
  lastStatusCode: number | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}

/** A delivery a job is to carry out: the round tells a stale job from the current one. */
export interface DeliveryKey {
  eventId: string;
  subscriptionId: string;
  round: number;
}

interface EventRow {
  id: string;
  type: string;
  source: string;
  data: Record<string, unknown>;
  content_hash: string;
  received_at: Date;
}

interface SubscriptionRow {
  id: string;
  type: string;
  url: string;
  created_at: Date;
}

interface DeliveryRow {
  event_id: string;
  subscription_id: string;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  round: number;
  last_error: string | null;
  last_status_code: number | null;
  created_at: Date;
  updated_at: Date;
  delivered_at: Date | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const eventView = (r: EventRow): EventView => ({
  id: r.id,
  type: r.type,
  source: r.source,
  data: r.data,
  receivedAt: r.received_at.toISOString(),
});

const subscriptionView = (r: SubscriptionRow): SubscriptionView => ({
  id: r.id,
  type: r.type,
  url: r.url,
  createdAt: r.created_at.toISOString(),
});

const deliveryView = (r: DeliveryRow): DeliveryView => ({
  eventId: r.event_id,
  subscriptionId: r.subscription_id,
  url: r.url,
  status: r.status,
  attempts: r.attempts,
  redeliveries: r.round,
  lastError: r.last_error,
  lastStatusCode: r.last_status_code,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  deliveredAt: iso(r.delivered_at),
});

/** TypeORM answers UPDATE/DELETE … RETURNING with [rows, affected], INSERT … RETURNING with rows. */
function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0])) {
    return result[0] as T[];
  }
  return result as T[];
}

const DELIVERY_COLUMNS = `d.event_id, d.subscription_id, s.url, d.status, d.attempts, d.round,
  d.last_error, d.last_status_code, d.created_at, d.updated_at, d.delivered_at`;

export type PublishOutcome =
  | { created: true; event: EventView; deliveries: DeliveryKey[] }
  | { created: false; event: EventView; contentHash: string };

@Injectable()
export class EventStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Stores a new event and a pending delivery for every live subscription of its type, in one
   * transaction; an id stored before is returned as it is, with its hash, and nothing is written.
   */
  async publish(e: PublishEvent, contentHash: string): Promise<PublishOutcome> {
    return this.ds.transaction(async (m) => {
      const inserted: EventRow[] = await m.query(
        `INSERT INTO saga.event (id, type, source, data, content_hash, received_at)
         VALUES ($1, $2, $3, $4::jsonb, $5, now()) ON CONFLICT (id) DO NOTHING
         RETURNING id, type, source, data, content_hash, received_at`,
        [e.id, e.type, e.source, JSON.stringify(e.data), contentHash],
      );
      if (inserted.length === 0) {
        // ON CONFLICT waited for a concurrent publisher of the same id to commit: it is there.
        const rows: EventRow[] = await m.query(
          `SELECT id, type, source, data, content_hash, received_at FROM saga.event WHERE id = $1`,
          [e.id],
        );
        return { created: false, event: eventView(rows[0]), contentHash: rows[0].content_hash };
      }
      const deliveries: { subscription_id: string }[] = await m.query(
        `INSERT INTO saga.event_delivery (event_id, subscription_id, status, created_at, updated_at)
         SELECT $1, id, 'pending', now(), now() FROM saga.subscription
          WHERE type = $2 AND deleted_at IS NULL
         RETURNING subscription_id`,
        [e.id, e.type],
      );
      return {
        created: true,
        event: eventView(inserted[0]),
        deliveries: deliveries.map((d) => ({
          eventId: e.id,
          subscriptionId: d.subscription_id,
          round: 0,
        })),
      };
    });
  }

  async findEvent(id: string): Promise<EventView | null> {
    const rows: EventRow[] = await this.ds.query(
      `SELECT id, type, source, data, content_hash, received_at FROM saga.event WHERE id = $1`,
      [id],
    );
    return rows[0] ? eventView(rows[0]) : null;
  }

  /** Newest first. */
  async listEvents(type: string | undefined, limit: number): Promise<EventView[]> {
    const rows: EventRow[] = await this.ds.query(
      `SELECT id, type, source, data, content_hash, received_at FROM saga.event
        WHERE ($1::text IS NULL OR type = $1) ORDER BY received_at DESC, id DESC LIMIT $2`,
      [type ?? null, limit],
    );
    return rows.map(eventView);
  }

  async deliveriesOf(eventId: string): Promise<DeliveryView[]> {
    const rows: DeliveryRow[] = await this.ds.query(
      `SELECT ${DELIVERY_COLUMNS} FROM saga.event_delivery d
         JOIN saga.subscription s ON s.id = d.subscription_id
        WHERE d.event_id = $1 ORDER BY d.created_at, d.subscription_id`,
      [eventId],
    );
    return rows.map(deliveryView);
  }

  async delivery(eventId: string, subscriptionId: string): Promise<DeliveryView | null> {
    const rows: DeliveryRow[] = await this.ds.query(
      `SELECT ${DELIVERY_COLUMNS} FROM saga.event_delivery d
         JOIN saga.subscription s ON s.id = d.subscription_id
        WHERE d.event_id = $1 AND d.subscription_id = $2`,
      [eventId, subscriptionId],
    );
    return rows[0] ? deliveryView(rows[0]) : null;
  }

  /** Dead letters, the most recently dead first, each with its event. */
  async deadLetters(
    subscriptionId: string | undefined,
    limit: number,
  ): Promise<(DeliveryView & { event: EventView })[]> {
    const rows: (DeliveryRow & { e_type: string; e_source: string; e_data: never; e_at: Date })[] =
      await this.ds.query(
        `SELECT ${DELIVERY_COLUMNS}, e.type AS e_type, e.source AS e_source, e.data AS e_data,
                e.received_at AS e_at
           FROM saga.event_delivery d
           JOIN saga.subscription s ON s.id = d.subscription_id
           JOIN saga.event e ON e.id = d.event_id
          WHERE d.status = 'dead' AND ($1::uuid IS NULL OR d.subscription_id = $1)
          ORDER BY d.updated_at DESC LIMIT $2`,
        [subscriptionId ?? null, limit],
      );
    return rows.map((r) => ({
      ...deliveryView(r),
      event: {
        id: r.event_id,
        type: r.e_type,
        source: r.e_source,
        data: r.e_data,
        receivedAt: r.e_at.toISOString(),
      },
    }));
  }

  /** A subscription; the same live (type, url) again returns the existing one. */
  async subscribe(type: string, url: string): Promise<{ created: boolean; sub: SubscriptionView }> {
    const inserted: SubscriptionRow[] = await this.ds.query(
      `INSERT INTO saga.subscription (id, type, url, created_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (type, url) WHERE deleted_at IS NULL DO NOTHING
       RETURNING id, type, url, created_at`,
      [randomUUID(), type, url],
    );
    if (inserted[0]) return { created: true, sub: subscriptionView(inserted[0]) };
    const rows: SubscriptionRow[] = await this.ds.query(
      `SELECT id, type, url, created_at FROM saga.subscription
        WHERE type = $1 AND url = $2 AND deleted_at IS NULL`,
      [type, url],
    );
    return { created: false, sub: subscriptionView(rows[0]) };
  }

  async subscriptions(): Promise<SubscriptionView[]> {
    const rows: SubscriptionRow[] = await this.ds.query(
      `SELECT id, type, url, created_at FROM saga.subscription WHERE deleted_at IS NULL
        ORDER BY created_at, id`,
    );
    return rows.map(subscriptionView);
  }

  async subscription(id: string): Promise<SubscriptionView | null> {
    const rows: SubscriptionRow[] = await this.ds.query(
      `SELECT id, type, url, created_at FROM saga.subscription WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return rows[0] ? subscriptionView(rows[0]) : null;
  }

  /** Ends a subscription: its pending deliveries are cancelled; false when it was not live. */
  async unsubscribe(id: string): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const ended = rowsOf<{ id: string }>(
        await m.query(
          `UPDATE saga.subscription SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL
           RETURNING id`,
          [id],
        ),
      );
      if (ended.length === 0) return false;
      await m.query(
        `UPDATE saga.event_delivery SET status = 'cancelled', updated_at = now()
          WHERE subscription_id = $1 AND status = 'pending'`,
        [id],
      );
      return true;
    });
  }

  /**
   * Counts one HTTP attempt of a delivery, if the job is still the current one (pending, same
   * round, subscription live). Null: nothing to do; else what the attempt needs.
   */
  async startAttempt(
    k: DeliveryKey,
  ): Promise<{ event: EventView; url: string; attempts: number } | null> {
    const rows = rowsOf<{ attempts: number }>(
      await this.ds.query(
        `UPDATE saga.event_delivery d SET attempts = d.attempts + 1, updated_at = now()
           FROM saga.subscription s
          WHERE d.event_id = $1 AND d.subscription_id = $2 AND d.round = $3 AND d.status = 'pending'
            AND s.id = d.subscription_id AND s.deleted_at IS NULL
         RETURNING d.attempts`,
        [k.eventId, k.subscriptionId, k.round],
      ),
    );
    if (!rows[0]) return null;
    const [event, sub] = await Promise.all([
      this.findEvent(k.eventId),
      this.subscription(k.subscriptionId),
    ]);
    if (!event || !sub) return null;
    return { event, url: sub.url, attempts: rows[0].attempts };
  }

  /** Records an attempt's outcome on the current round (a stale job changes nothing). */
  async recordOutcome(
    k: DeliveryKey,
    status: 'pending' | 'delivered' | 'dead',
    error: string | null,
    statusCode: number | null,
  ): Promise<void> {
    await this.ds.query(
      `UPDATE saga.event_delivery
          SET status = $4, last_error = $5, last_status_code = $6, updated_at = now(),
              delivered_at = CASE WHEN $4 = 'delivered' THEN now() ELSE delivered_at END
        WHERE event_id = $1 AND subscription_id = $2 AND round = $3 AND status = 'pending'`,
      [k.eventId, k.subscriptionId, k.round, status, error, statusCode],
    );
  }

  /** A dead letter back to pending under a new round; null when it is not dead (or gone). */
  async redeliver(eventId: string, subscriptionId: string): Promise<DeliveryKey | null> {
    const rows = rowsOf<{ round: number }>(
      await this.ds.query(
        `UPDATE saga.event_delivery d SET status = 'pending', round = d.round + 1, updated_at = now()
           FROM saga.subscription s
          WHERE d.event_id = $1 AND d.subscription_id = $2 AND d.status = 'dead'
            AND s.id = d.subscription_id AND s.deleted_at IS NULL
         RETURNING d.round`,
        [eventId, subscriptionId],
      ),
    );
    return rows[0] ? { eventId, subscriptionId, round: rows[0].round } : null;
  }

  /** Pending deliveries of live subscriptions untouched since `before`: the sweep's work list. */
  async stalePending(before: Date, limit: number): Promise<DeliveryKey[]> {
    const rows: { event_id: string; subscription_id: string; round: number }[] =
      await this.ds.query(
        `SELECT d.event_id, d.subscription_id, d.round FROM saga.event_delivery d
           JOIN saga.subscription s ON s.id = d.subscription_id AND s.deleted_at IS NULL
          WHERE d.status = 'pending' AND d.updated_at < $1
          ORDER BY d.updated_at LIMIT $2`,
        [before, limit],
      );
    return rows.map((r) => ({
      eventId: r.event_id,
      subscriptionId: r.subscription_id,
      round: r.round,
    }));
  }

  async liveSubscriptionIds(): Promise<string[]> {
    const rows: { id: string }[] = await this.ds.query(
      `SELECT id FROM saga.subscription WHERE deleted_at IS NULL`,
    );
    return rows.map((r) => r.id);
  }
}
