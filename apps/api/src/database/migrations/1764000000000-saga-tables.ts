import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SagaTables1764000000000 implements MigrationInterface {
  name = 'SagaTables1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS saga`);
    await q.query(`CREATE TABLE saga.saga_instance (
      id uuid PRIMARY KEY,
      definition text NOT NULL,
      definition_version int NOT NULL,
      status text NOT NULL,
      state text NOT NULL,
      snapshot jsonb NOT NULL,
      version int NOT NULL,
      last_seq int NOT NULL,
      error_step text,
      error_code text,
      requires_manual_intervention boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      finished_at timestamptz,
      deadline_at timestamptz NOT NULL)`);
    await q.query(`CREATE INDEX saga_instance_created_idx ON saga.saga_instance (created_at, id)`);
    await q.query(
      `CREATE INDEX saga_instance_status_idx ON saga.saga_instance (status, created_at)`,
    );
    await q.query(`CREATE TABLE saga.saga_event (
      id bigserial PRIMARY KEY,
      saga_id uuid NOT NULL REFERENCES saga.saga_instance(id),
      seq int NOT NULL,
      type text NOT NULL,
      step text,
      attempt int,
      data jsonb NOT NULL,
      event jsonb,
      at timestamptz NOT NULL)`);
    await q.query(`CREATE UNIQUE INDEX saga_event_saga_seq_uq ON saga.saga_event (saga_id, seq)`);
    await q.query(`CREATE TABLE saga.create_request (
      idempotency_key text PRIMARY KEY,
      body_hash text NOT NULL,
      saga_id uuid NOT NULL REFERENCES saga.saga_instance(id),
      created_at timestamptz NOT NULL)`);
    await q.query(`CREATE TABLE saga.fault (
      id uuid PRIMARY KEY,
      participant text NOT NULL,
      action text NOT NULL,
      mode text NOT NULL,
      times int NOT NULL,
      remaining int NOT NULL,
      saga_id uuid,
      delay_ms int,
      created_at timestamptz NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA saga CASCADE`);
  }
}
