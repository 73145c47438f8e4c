// The N "services" of the 2PC comparison: one PostgreSQL database each, owning its own rows.
// Every service does the same kind of business work as a step of the `order` saga (reserve
// stock, charge an account, …): one UPDATE of a row it owns and one INSERT of a record of what
// it did, sent as ONE statement. Both the 2PC coordinator and the saga's HTTP participants run
// exactly these statements, so the two sides compare the protocol, not the work.
import { Client, Pool } from 'pg';

/** The labels of the five order steps; services 6..10 repeat them on rows of their own. */
const KINDS = ['order', 'inventory', 'payment', 'shipping', 'notification'];

/** Rows per service: one per closed-loop client, plus the rows the failure scenarios use. */
export const RESOURCE_ROWS = 128;
/** A row's starting amount: large enough that no run can drive it below zero. */
const START_AMOUNT = 1_000_000_000;

export function serviceName(index: number): string {
  const kind = KINDS[index % KINDS.length];
  const round = Math.floor(index / KINDS.length);
  return round === 0 ? kind : `${kind}${round + 1}`;
}

/** Database names, which are also the services' names: twopc_svc_1 … */
export function databaseName(index: number): string {
  return `twopc_svc_${index + 1}`;
}

// The record's foreign key is DEFERRABLE INITIALLY DEFERRED so that it is checked at PREPARE
// TRANSACTION (or COMMIT): work naming an unknown resource makes that service vote "no" in
// phase 1, which is the failure the tests give the coordinator.
const SCHEMA_SQL = `
  CREATE SCHEMA IF NOT EXISTS svc;
  CREATE TABLE IF NOT EXISTS svc.resource (
    id integer PRIMARY KEY,
    amount bigint NOT NULL CHECK (amount >= 0)
  );
  CREATE TABLE IF NOT EXISTS svc.record (
    key text PRIMARY KEY,
    resource_id integer NOT NULL REFERENCES svc.resource (id) DEFERRABLE INITIALLY DEFERRED,
    amount integer NOT NULL,
    undone boolean NOT NULL DEFAULT false,
    at timestamptz NOT NULL DEFAULT now()
  );`;

/**
 * The business work, one statement: record the operation under its key and take `amount` from
 * the resource row, which row-locks it until the transaction ends. A key seen before changes
 * nothing (the saga participant's idempotency: a retried step must not take twice).
 */
export const WORK_SQL = `
  WITH rec AS (
    INSERT INTO svc.record (key, resource_id, amount) VALUES ($1, $2, $3)
    ON CONFLICT (key) DO NOTHING
    RETURNING resource_id, amount)
  UPDATE svc.resource r SET amount = r.amount - rec.amount
    FROM rec WHERE r.id = rec.resource_id
  RETURNING r.amount`;

/** The saga's compensation of WORK_SQL: gives the amount back, once. */
export const UNDO_SQL = `
  WITH rec AS (
    UPDATE svc.record SET undone = true WHERE key = $1 AND NOT undone
    RETURNING resource_id, amount)
  UPDATE svc.resource r SET amount = r.amount + rec.amount
    FROM rec WHERE r.id = rec.resource_id
  RETURNING r.amount`;

/** Another writer on a resource row (the failure scenario's "other transaction"). */
export const OTHER_WRITER_SQL = 'UPDATE svc.resource SET amount = amount - 1 WHERE id = $1';

export interface ServiceDatabase {
  index: number;
  name: string;
  url: string;
}

/** Creates the schema and the resource rows (idempotent), and empties the records. */
export async function prepareServiceDatabase(url: string): Promise<void> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(SCHEMA_SQL);
    await db.query('TRUNCATE svc.record');
    await db.query(
      `INSERT INTO svc.resource (id, amount) SELECT g, $1 FROM generate_series(1, $2) g
       ON CONFLICT (id) DO UPDATE SET amount = EXCLUDED.amount`,
      [START_AMOUNT, RESOURCE_ROWS],
    );
  } finally {
    await db.end();
  }
}

/** Creates databases 1..n on the server (those that exist are kept) and prepares each. */
export async function createServiceDatabases(
  adminUrl: string,
  n: number,
): Promise<ServiceDatabase[]> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  const out: ServiceDatabase[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const name = databaseName(i);
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      // CREATE DATABASE takes no parameters; the name is built from the index above.
      if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${name}"`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      await prepareServiceDatabase(url.toString());
      out.push({ index: i, name: serviceName(i), url: url.toString() });
    }
  } finally {
    await admin.end();
  }
  return out;
}

/** A pool per service database, sized for the clients that use it at once. */
export function servicePools(services: ServiceDatabase[], max: number): Pool[] {
  return services.map((s) => new Pool({ connectionString: s.url, max }));
}
