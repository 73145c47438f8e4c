import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Choreography, first slice (issue 13): published events, subscriptions, and one delivery
 * record per (event, subscription), so that deliveries and dead letters can be queried.
 */
export class Events1766000000000 implements MigrationInterface {
  name = 'Events1766000000000';

  async up(q: QueryRunner): Promise<void> {
    // The id is the publisher's: publishing the same id again is recognised (content_hash says
    // whether it is the same event or a conflicting one).
    await q.query(`CREATE TABLE saga.event (
      id text PRIMARY KEY,
      type text NOT NULL,
      source text NOT NULL,
      data jsonb NOT NULL,
      content_hash text NOT NULL,
      received_at timestamptz NOT NULL)`);
    // Newest first, by type or over all: the list route, and a later slice that follows
    // choreographed sagas through the events of their types.
    await q.query(`CREATE INDEX event_type_received ON saga.event (type, received_at DESC, id)`);
    await q.query(`CREATE INDEX event_received ON saga.event (received_at DESC, id)`);
    // Deleting a subscription keeps its row (deleted_at) so its deliveries stay readable.
    await q.query(`CREATE TABLE saga.subscription (
      id uuid PRIMARY KEY,
      type text NOT NULL,
      url text NOT NULL,
      created_at timestamptz NOT NULL,
      deleted_at timestamptz)`);
    // One live subscription per (type, url): subscribing twice does not deliver twice.
    await q.query(
      `CREATE UNIQUE INDEX subscription_live ON saga.subscription (type, url) WHERE deleted_at IS NULL`,
    );
    // round: 0 for the first delivery, +1 per redelivery of a dead letter; part of the job id.
    await q.query(`CREATE TABLE saga.event_delivery (
      event_id text NOT NULL REFERENCES saga.event(id),
      subscription_id uuid NOT NULL REFERENCES saga.subscription(id),
      status text NOT NULL CHECK (status IN ('pending', 'delivered', 'dead', 'cancelled')),
      attempts int NOT NULL DEFAULT 0,
      round int NOT NULL DEFAULT 0,
      last_error text,
      last_status_code int,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      delivered_at timestamptz,
      PRIMARY KEY (event_id, subscription_id))`);
    // The recovery sweep reads pending deliveries, the dead-letter route dead ones.
    await q.query(
      `CREATE INDEX event_delivery_pending ON saga.event_delivery (updated_at) WHERE status = 'pending'`,
    );
    await q.query(
      `CREATE INDEX event_delivery_dead ON saga.event_delivery (updated_at DESC) WHERE status = 'dead'`,
    );
    await q.query(
      `CREATE INDEX event_delivery_subscription ON saga.event_delivery (subscription_id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE saga.event_delivery`);
    await q.query(`DROP TABLE saga.subscription`);
    await q.query(`DROP TABLE saga.event`);
  }
}
