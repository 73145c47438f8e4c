// The input of the bench's `order` sagas, and the catalogue it orders from.
import type { Client } from 'pg';

/** SKUs the bench adds to the demo catalogue: one per client, so that no two clients' sagas
 * wait for each other's row lock on a stock item (see `hotOrderInput` for the contrary). */
export const BENCH_SKUS = 64;

const benchSku = (i: number) => `BENCH-${String(i % BENCH_SKUS).padStart(3, '0')}`;

const order = (items: { sku: string; quantity: number }[], postalCode: string) => ({
  customerId: 'c-bench',
  items,
  payment: { token: 'tok_ok' },
  // 000000: the shipping step refuses the address, and the order saga compensates.
  shippingAddress: { line1: '1 Marine Drive', city: 'Mumbai', postalCode },
});

/** An order of one line of the client's own SKU. */
export const orderInput = (postalCode: string) => (client: number) =>
  order([{ sku: benchSku(client), quantity: 1 }], postalCode);

/**
 * The demo's order of API.md (IPHONE-15 and AIRPODS) for every client: every reservation
 * updates the same two stock rows, so concurrent sagas queue on their row locks.
 */
export const hotOrderInput = (postalCode: string) => () =>
  order(
    [
      { sku: 'IPHONE-15', quantity: 1 },
      { sku: 'AIRPODS', quantity: 2 },
    ],
    postalCode,
  );

/** Adds the bench SKUs to the order and inventory services' tables (after their migrations). */
export async function seedBenchSkus(db: Client): Promise<void> {
  const skus = Array.from({ length: BENCH_SKUS }, (_, i) => benchSku(i));
  await db.query(
    `INSERT INTO order_svc.product (sku, price_cents) SELECT unnest($1::text[]), 100000
     ON CONFLICT DO NOTHING`,
    [skus],
  );
  await db.query(
    `INSERT INTO inventory.stock_item (sku, available) SELECT unnest($1::text[]), 100000000
     ON CONFLICT DO NOTHING`,
    [skus],
  );
}
