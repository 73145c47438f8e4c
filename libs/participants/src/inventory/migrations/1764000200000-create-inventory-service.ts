import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The inventory service's schema: stock (seeded), reservations, releases, idempotency ledger. */
export class CreateInventoryService1764000200000 implements MigrationInterface {
  name = 'CreateInventoryService1764000200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "inventory"`);
    await queryRunner.query(`CREATE TABLE "inventory"."operation" (
      "idempotency_key" text NOT NULL,
      "saga_id" text NOT NULL,
      "operation" text NOT NULL,
      "result" jsonb,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "pk_inventory_operation" PRIMARY KEY ("idempotency_key"))`);
    await queryRunner.query(`CREATE TABLE "inventory"."stock_item" (
      "sku" text NOT NULL,
      "available" bigint NOT NULL,
      "reserved" bigint NOT NULL DEFAULT 0,
      CONSTRAINT "ck_stock_item_available" CHECK ("available" >= 0),
      CONSTRAINT "ck_stock_item_reserved" CHECK ("reserved" >= 0),
      CONSTRAINT "pk_stock_item" PRIMARY KEY ("sku"))`);
    await queryRunner.query(`CREATE TABLE "inventory"."reservation" (
      "id" uuid NOT NULL,
      "saga_id" text NOT NULL,
      "idempotency_key" text NOT NULL,
      "lines" jsonb NOT NULL,
      "status" text NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "released_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "uq_reservation_idempotency_key" UNIQUE ("idempotency_key"),
      CONSTRAINT "pk_reservation" PRIMARY KEY ("id"))`);
    await queryRunner.query(
      `CREATE INDEX "ix_reservation_saga_id" ON "inventory"."reservation" ("saga_id")`,
    );
    await queryRunner.query(`CREATE TABLE "inventory"."release" (
      "id" uuid NOT NULL,
      "saga_id" text NOT NULL,
      "idempotency_key" text NOT NULL,
      "reservation_id" uuid,
      "lines" jsonb NOT NULL,
      "status" text NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "uq_release_idempotency_key" UNIQUE ("idempotency_key"),
      CONSTRAINT "pk_release" PRIMARY KEY ("id"))`);
    await queryRunner.query(
      `CREATE INDEX "ix_release_saga_id" ON "inventory"."release" ("saga_id")`,
    );
    // The inventory service's own copy of the demo SKUs (API.md), with their stock.
    await queryRunner.query(
      `INSERT INTO "inventory"."stock_item" ("sku", "available")
       VALUES ($1, $2), ($3, $4), ($5, $6)`,
      ['IPHONE-15', 1000000, 'AIRPODS', 1000000, 'SOLD-OUT', 0],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "inventory"."release"`);
    await queryRunner.query(`DROP TABLE "inventory"."reservation"`);
    await queryRunner.query(`DROP TABLE "inventory"."stock_item"`);
    await queryRunner.query(`DROP TABLE "inventory"."operation"`);
    await queryRunner.query(`DROP SCHEMA "inventory"`);
  }
}
