import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The order service's schema: its catalog (seeded), orders, cancellations, idempotency ledger. */
export class CreateOrderService1764000100000 implements MigrationInterface {
  name = 'CreateOrderService1764000100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "order_svc"`);
    await queryRunner.query(`CREATE TABLE "order_svc"."operation" (
      "idempotency_key" text NOT NULL,
      "saga_id" text NOT NULL,
      "operation" text NOT NULL,
      "result" jsonb,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "pk_order_operation" PRIMARY KEY ("idempotency_key"))`);
    await queryRunner.query(`CREATE TABLE "order_svc"."product" (
      "sku" text NOT NULL,
      "price_cents" bigint NOT NULL,
      CONSTRAINT "ck_product_price" CHECK ("price_cents" >= 0),
      CONSTRAINT "pk_product" PRIMARY KEY ("sku"))`);
    await queryRunner.query(`CREATE TABLE "order_svc"."customer_order" (
      "id" uuid NOT NULL,
      "saga_id" text NOT NULL,
      "idempotency_key" text NOT NULL,
      "customer_id" text NOT NULL,
      "lines" jsonb NOT NULL,
      "total_cents" bigint NOT NULL,
      "status" text NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "cancelled_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "uq_customer_order_idempotency_key" UNIQUE ("idempotency_key"),
      CONSTRAINT "pk_customer_order" PRIMARY KEY ("id"))`);
    await queryRunner.query(
      `CREATE INDEX "ix_customer_order_saga_id" ON "order_svc"."customer_order" ("saga_id")`,
    );
    await queryRunner.query(`CREATE TABLE "order_svc"."order_cancellation" (
      "id" uuid NOT NULL,
      "saga_id" text NOT NULL,
      "idempotency_key" text NOT NULL,
      "order_id" uuid,
      "status" text NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "uq_order_cancellation_idempotency_key" UNIQUE ("idempotency_key"),
      CONSTRAINT "pk_order_cancellation" PRIMARY KEY ("id"))`);
    await queryRunner.query(
      `CREATE INDEX "ix_order_cancellation_saga_id" ON "order_svc"."order_cancellation" ("saga_id")`,
    );
    // The demo catalog of API.md; prices are the order service's own copy of the SKUs.
    await queryRunner.query(
      `INSERT INTO "order_svc"."product" ("sku", "price_cents")
       VALUES ($1, $2), ($3, $4), ($5, $6)`,
      ['IPHONE-15', 7990000, 'AIRPODS', 2490000, 'SOLD-OUT', 100000],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "order_svc"."order_cancellation"`);
    await queryRunner.query(`DROP TABLE "order_svc"."customer_order"`);
    await queryRunner.query(`DROP TABLE "order_svc"."product"`);
    await queryRunner.query(`DROP TABLE "order_svc"."operation"`);
    await queryRunner.query(`DROP SCHEMA "order_svc"`);
  }
}
