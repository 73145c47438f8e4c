import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The shipping service's schema: shipments, cancellations, idempotency ledger. */
export class CreateShippingService1764000400000 implements MigrationInterface {
  name = 'CreateShippingService1764000400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "shipping"`);
    await queryRunner.query(`CREATE TABLE "shipping"."operation" (
      "idempotency_key" text NOT NULL,
      "saga_id" text NOT NULL,
      "operation" text NOT NULL,
      "result" jsonb,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "pk_shipping_operation" PRIMARY KEY ("idempotency_key"))`);
    await queryRunner.query(`CREATE TABLE "shipping"."shipment" (
      "id" uuid NOT NULL,
      "saga_id" text NOT NULL,
      "idempotency_key" text NOT NULL,
      "address" jsonb NOT NULL,
      "status" text NOT NULL,
      "arranged_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "dispatch_cutoff_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "cancelled_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "uq_shipment_idempotency_key" UNIQUE ("idempotency_key"),
      CONSTRAINT "pk_shipment" PRIMARY KEY ("id"))`);
    await queryRunner.query(
      `CREATE INDEX "ix_shipment_saga_id" ON "shipping"."shipment" ("saga_id")`,
    );
    await queryRunner.query(`CREATE TABLE "shipping"."shipment_cancellation" (
      "id" uuid NOT NULL,
      "saga_id" text NOT NULL,
      "idempotency_key" text NOT NULL,
      "shipment_id" uuid,
      "fee_cents" bigint NOT NULL,
      "after_cutoff" boolean NOT NULL,
      "status" text NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "uq_shipment_cancellation_idempotency_key" UNIQUE ("idempotency_key"),
      CONSTRAINT "pk_shipment_cancellation" PRIMARY KEY ("id"))`);
    await queryRunner.query(
      `CREATE INDEX "ix_shipment_cancellation_saga_id" ON "shipping"."shipment_cancellation" ("saga_id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "shipping"."shipment_cancellation"`);
    await queryRunner.query(`DROP TABLE "shipping"."shipment"`);
    await queryRunner.query(`DROP TABLE "shipping"."operation"`);
    await queryRunner.query(`DROP SCHEMA "shipping"`);
  }
}
