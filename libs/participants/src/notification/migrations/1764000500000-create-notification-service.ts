import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The notification service's schema: messages sent, idempotency ledger. */
export class CreateNotificationService1764000500000 implements MigrationInterface {
  name = 'CreateNotificationService1764000500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "notification"`);
    await queryRunner.query(`CREATE TABLE "notification"."operation" (
      "idempotency_key" text NOT NULL,
      "saga_id" text NOT NULL,
      "operation" text NOT NULL,
      "result" jsonb,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "pk_notification_operation" PRIMARY KEY ("idempotency_key"))`);
    await queryRunner.query(`CREATE TABLE "notification"."message" (
      "id" uuid NOT NULL,
      "saga_id" text NOT NULL,
      "idempotency_key" text NOT NULL,
      "kind" text NOT NULL,
      "recipient" text NOT NULL,
      "body" text NOT NULL,
      "status" text NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "uq_message_idempotency_key" UNIQUE ("idempotency_key"),
      CONSTRAINT "pk_message" PRIMARY KEY ("id"))`);
    await queryRunner.query(
      `CREATE INDEX "ix_message_saga_id" ON "notification"."message" ("saga_id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "notification"."message"`);
    await queryRunner.query(`DROP TABLE "notification"."operation"`);
    await queryRunner.query(`DROP SCHEMA "notification"`);
  }
}
