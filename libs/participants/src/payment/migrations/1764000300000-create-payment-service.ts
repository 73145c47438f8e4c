import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The payment service's schema: charges, refunds, idempotency ledger. */
export class CreatePaymentService1764000300000 implements MigrationInterface {
  name = 'CreatePaymentService1764000300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "payment"`);
    await queryRunner.query(`CREATE TABLE "payment"."operation" (
      "idempotency_key" text NOT NULL,
      "saga_id" text NOT NULL,
      "operation" text NOT NULL,
      "result" jsonb,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "pk_payment_operation" PRIMARY KEY ("idempotency_key"))`);
    await queryRunner.query(`CREATE TABLE "payment"."charge" (
      "id" uuid NOT NULL,
      "saga_id" text NOT NULL,
      "idempotency_key" text NOT NULL,
      "amount_cents" bigint NOT NULL,
      "status" text NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "refunded_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "ck_charge_amount" CHECK ("amount_cents" >= 0),
      CONSTRAINT "uq_charge_idempotency_key" UNIQUE ("idempotency_key"),
      CONSTRAINT "pk_charge" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_charge_saga_id" ON "payment"."charge" ("saga_id")`);
    await queryRunner.query(`CREATE TABLE "payment"."refund" (
      "id" uuid NOT NULL,
      "saga_id" text NOT NULL,
      "idempotency_key" text NOT NULL,
      "charge_id" uuid,
      "charged_cents" bigint NOT NULL,
      "refunded_cents" bigint NOT NULL,
      "fee_cents" bigint NOT NULL,
      "status" text NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "ck_refund_balances" CHECK ("refunded_cents" + "fee_cents" = "charged_cents"),
      CONSTRAINT "ck_refund_non_negative" CHECK ("refunded_cents" >= 0 AND "fee_cents" >= 0),
      CONSTRAINT "uq_refund_idempotency_key" UNIQUE ("idempotency_key"),
      CONSTRAINT "pk_refund" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_refund_saga_id" ON "payment"."refund" ("saga_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "payment"."refund"`);
    await queryRunner.query(`DROP TABLE "payment"."charge"`);
    await queryRunner.query(`DROP TABLE "payment"."operation"`);
    await queryRunner.query(`DROP SCHEMA "payment"`);
  }
}
