import type { DataSource } from 'typeorm';
import { demoParticipantNames, isDemoParticipantName } from './demo-participants';
import { participantSchemas, type DemoParticipantName } from './shared/participant-schema';
import { UnknownParticipantError } from './unknown-participant.error';

/**
 * What an outside observer can see of one participant, in two grains:
 * `state` is its business state (what a compensation is meant to restore), and `tables`
 * is every row of every table it owns (what a repeated call must leave untouched).
 */
export interface ParticipantObservation {
  state: Record<string, unknown>;
  tables: Record<string, unknown[]>;
}

/**
 * Business state per participant. Audit records (cancellations, releases, refunds) are not
 * state: they only ever grow, and a compensation adds one by design.
 */
const stateSql: Readonly<Record<DemoParticipantName, Record<string, string>>> = {
  order: {
    catalog: `SELECT sku, price_cents::float8 AS "priceCents" FROM "order_svc"."product" ORDER BY sku`,
    openOrders: `SELECT id AS "orderId", saga_id AS "sagaId", total_cents::float8 AS "totalCents"
      FROM "order_svc"."customer_order" WHERE status = 'validated' ORDER BY id`,
  },
  inventory: {
    stock: `SELECT sku, available::float8 AS available, reserved::float8 AS reserved
      FROM "inventory"."stock_item" ORDER BY sku`,
    heldReservations: `SELECT id AS "reservationId", saga_id AS "sagaId", lines
      FROM "inventory"."reservation" WHERE status = 'held' ORDER BY id`,
  },
  payment: {
    capturedCharges: `SELECT id AS "chargeId", saga_id AS "sagaId", amount_cents::float8 AS "amountCents"
      FROM "payment"."charge" WHERE status = 'captured' ORDER BY id`,
    // Money kept from customers: every charge, less what refunds gave back.
    netCollectedCents: `SELECT
      (SELECT COALESCE(sum(amount_cents), 0) FROM "payment"."charge")::float8
      - (SELECT COALESCE(sum(refunded_cents), 0) FROM "payment"."refund")::float8 AS value`,
  },
  shipping: {
    activeShipments: `SELECT id AS "shipmentId", saga_id AS "sagaId"
      FROM "shipping"."shipment" WHERE status = 'arranged' ORDER BY id`,
    cancellationFeesCents: `SELECT COALESCE(sum(fee_cents), 0)::float8 AS value
      FROM "shipping"."shipment_cancellation"`,
  },
  notification: {
    messages: `SELECT saga_id AS "sagaId", kind, recipient
      FROM "notification"."message" ORDER BY created_at, id`,
  },
};

/** Observes one demo participant (see {@link ParticipantObservation}). */
export async function observeParticipant(
  dataSource: DataSource,
  participant: string,
): Promise<ParticipantObservation> {
  if (!isDemoParticipantName(participant)) {
    throw new UnknownParticipantError(participant, demoParticipantNames);
  }
  const state: Record<string, unknown> = {};
  for (const [name, sql] of Object.entries(stateSql[participant])) {
    const rows = (await dataSource.query(sql)) as { value?: unknown }[];
    // Single-value queries are named `value`; the rest are lists of rows.
    state[name] = rows.length === 1 && 'value' in rows[0] ? rows[0].value : rows;
  }
  const schema = participantSchemas[participant];
  const tableNames = (
    (await dataSource.query(
      `SELECT table_name AS name FROM information_schema.tables
       WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`,
      [schema],
    )) as { name: string }[]
  ).map((row) => row.name);
  const tables: Record<string, unknown[]> = {};
  for (const table of tableNames) {
    // Names come from the catalog of a schema we own; quote_ident-style quoting suffices.
    const rows = (await dataSource.query(
      `SELECT to_jsonb(t) AS row FROM "${schema}"."${table.replace(/"/g, '""')}" t
       ORDER BY to_jsonb(t)::text`,
    )) as { row: unknown }[];
    tables[table] = rows.map((r) => r.row);
  }
  return { state, tables };
}

/** Every demo participant's observation, by participant name. */
export async function participantStateSnapshot(
  dataSource: DataSource,
): Promise<Record<DemoParticipantName, ParticipantObservation>> {
  const snapshot = {} as Record<DemoParticipantName, ParticipantObservation>;
  for (const name of demoParticipantNames) {
    snapshot[name] = await observeParticipant(dataSource, name);
  }
  return snapshot;
}
