import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Registered definitions (issue 9), the cluster's shared secrets, and async-callback receipts. */
export class RegisteredDefinitions1765000000000 implements MigrationInterface {
  name = 'RegisteredDefinitions1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE saga.saga_definition (
      name text NOT NULL,
      version int NOT NULL,
      document jsonb NOT NULL,
      content_hash text NOT NULL,
      registered_at timestamptz NOT NULL,
      retired_at timestamptz,
      PRIMARY KEY (name, version))`);
    // Secrets every process of a cluster must share (callback tokens are HMACs under one).
    await q.query(`CREATE TABLE saga.service_secret (
      name text PRIMARY KEY,
      secret text NOT NULL,
      created_at timestamptz NOT NULL)`);
    // One row per callback applied: the same callback again is recognised and changes nothing.
    await q.query(`CREATE TABLE saga.callback_receipt (
      receipt_key text PRIMARY KEY,
      saga_id uuid NOT NULL REFERENCES saga.saga_instance(id),
      step text NOT NULL,
      kind text NOT NULL,
      received_at timestamptz NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE saga.callback_receipt`);
    await q.query(`DROP TABLE saga.service_secret`);
    await q.query(`DROP TABLE saga.saga_definition`);
  }
}
