// A transactional outbox for Node services that publish to sagachart: the event is written
// in the service's own transaction, so it exists if and only if that transaction committed,
// and a relay posts committed rows to POST /api/v1/events. sagachart is idempotent by event
// id, so a relay that dies after posting and before marking a row sent only posts it again.
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';

/** What a service publishes; `id` defaults to a fresh UUID (keep it if you retry the add). */
export interface OutboxEvent {
  id?: string;
  type: string;
  source: string;
  data: Record<string, unknown>;
}

/** Anything that can run a query inside the caller's transaction (a pg Client or PoolClient). */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

export interface OutboxOptions {
  /** The service's own PostgreSQL: the relay takes its connections from here. */
  pool: Pool;
  /**
   * Schema of the `outbox` table (created when missing).
   * @default 'public'
   */
  schema?: string;
}

export interface RelayOptions {
  /** e.g. `http://127.0.0.1:3000` */
  sagachartUrl: string;
  /** A read-write sagachart API key. */
  apiKey: string;
  /** @default 100 */
  batchSize?: number;
  /** Bound of one POST. @default 10000 */
  timeoutMs?: number;
  /** Test hook: called after each successful POST; throwing here is a crash before marking sent. */
  onPosted?: (id: string) => void | Promise<void>;
}

export interface RunningRelayOptions extends RelayOptions {
  /** Polled this often besides LISTEN/NOTIFY (a notification can be missed while reconnecting). @default 1000 */
  pollIntervalMs?: number;
  /** Errors of a relay pass (sagachart unreachable, …); the relay keeps going. */
  onError?: (err: Error) => void;
}

export interface RelayReport {
  /** Accepted by sagachart (new, or the same event again) and marked sent. */
  sent: number;
  /** Refused for good (400, 409: another event under the same id): marked failed, not retried. */
  failed: number;
  /** Left unsent for the next pass (sagachart unreachable, 5xx, 429). */
  deferred: number;
}

export interface Outbox {
  /** The schema-qualified table name. */
  readonly table: string;
  /** Inserts the event in the caller's transaction; returns its id. Posted only if that commits. */
  add(client: Queryable, event: OutboxEvent): Promise<string>;
  /** One relay pass: posts up to `batchSize` unsent rows, oldest first. */
  relayOnce(opts: RelayOptions): Promise<RelayReport>;
  /** Relays continuously, woken by NOTIFY and by polling, until `stop()`. */
  startRelay(opts: RunningRelayOptions): { stop(): Promise<void> };
}

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

interface Row {
  seq: string;
  id: string;
  type: string;
  source: string;
  data: Record<string, unknown>;
}

type PostOutcome = 'sent' | 'failed' | 'deferred';

async function post(
  row: Row,
  opts: RelayOptions,
): Promise<{ outcome: PostOutcome; error?: string }> {
  const url = `${opts.sagachartUrl.replace(/\/+$/, '')}/api/v1/events`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: row.id, type: row.type, source: row.source, data: row.data }),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
  } catch (err) {
    return { outcome: 'deferred', error: `POST ${url} failed: ${(err as Error).message}` };
  }
  const text = (await res.text().catch(() => '')).slice(0, 1000);
  // 202: new; 200: the same event was posted before (a relay that died before marking it sent).
  if (res.status === 200 || res.status === 201 || res.status === 202) return { outcome: 'sent' };
  const error = `POST ${url} answered ${res.status}: ${text}`;
  // Another attempt cannot fix an invalid event or an id taken by other content; a wrong key
  // (401/403) or an overloaded service can be fixed, so those rows wait.
  if (res.status === 400 || res.status === 409 || res.status === 413)
    return { outcome: 'failed', error };
  return { outcome: 'deferred', error };
}

/**
 * Creates the outbox table (and schema) when missing and returns the outbox. Call it once at
 * start, before the service adds events.
 */
export async function createOutbox(opts: OutboxOptions): Promise<Outbox> {
  const schema = opts.schema ?? 'public';
  if (!SCHEMA.test(schema)) {
    throw new Error(`outbox schema '${schema}': use a lower-case SQL name (${SCHEMA.source})`);
  }
  // Identifiers cannot be query parameters: the schema is checked above and quoted here.
  const table = `"${schema}".outbox`;
  const channel = `sagachart_outbox_${schema}`;
  const { pool } = opts;
  await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    type text NOT NULL,
    source text NOT NULL,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    failed_at timestamptz,
    attempts int NOT NULL DEFAULT 0,
    last_error text)`);
  await pool.query(
    `CREATE INDEX IF NOT EXISTS outbox_unsent ON ${table} (seq) WHERE sent_at IS NULL AND failed_at IS NULL`,
  );

  async function add(client: Queryable, event: OutboxEvent): Promise<string> {
    const id = event.id ?? randomUUID();
    await client.query(
      `INSERT INTO ${table} (id, type, source, data) VALUES ($1, $2, $3, $4::jsonb)`,
      [id, event.type, event.source, JSON.stringify(event.data)],
    );
    // Delivered to listeners only when the caller's transaction commits: the relay wakes then.
    await client.query(`SELECT pg_notify($1, '')`, [channel]);
    return id;
  }

  async function relayOnce(ropts: RelayOptions): Promise<RelayReport> {
    const report: RelayReport = { sent: 0, failed: 0, deferred: 0 };
    const client: PoolClient = await pool.connect();
    try {
      await client.query('BEGIN');
      // SKIP LOCKED: several relays (replicas of the service) share the work without waiting.
      const { rows } = await client.query<Row>(
        `SELECT seq, id, type, source, data FROM ${table}
          WHERE sent_at IS NULL AND failed_at IS NULL
          ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [ropts.batchSize ?? 100],
      );
      for (const row of rows) {
        const r = await post(row, ropts);
        if (r.outcome === 'sent') await ropts.onPosted?.(row.id);
        if (r.outcome === 'deferred') {
          await client.query(
            `UPDATE ${table} SET attempts = attempts + 1, last_error = $2 WHERE seq = $1`,
            [row.seq, r.error],
          );
          // sagachart is away or busy: the rest of the batch would fare no better. Order is kept.
          report.deferred = rows.length - report.sent - report.failed;
          break;
        }
        await client.query(
          r.outcome === 'sent'
            ? `UPDATE ${table} SET attempts = attempts + 1, sent_at = now(), last_error = NULL WHERE seq = $1`
            : `UPDATE ${table} SET attempts = attempts + 1, failed_at = now(), last_error = $2 WHERE seq = $1`,
          r.outcome === 'sent' ? [row.seq] : [row.seq, r.error],
        );
        report[r.outcome]++;
      }
      await client.query('COMMIT');
      return report;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  function startRelay(ropts: RunningRelayOptions): { stop(): Promise<void> } {
    let stopped = false;
    let wake: (() => void) | null = null;
    let listener: PoolClient | null = null;
    const nap = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wake = null;
          resolve();
        }, ms);
        wake = () => {
          clearTimeout(timer);
          wake = null;
          resolve();
        };
      });
    const listen = async () => {
      try {
        listener = await pool.connect();
        listener.on('notification', () => wake?.());
        // A lost listener connection leaves the relay to polling until stop.
        listener.on('error', () => undefined);
        await listener.query(`LISTEN "${channel}"`);
      } catch (err) {
        ropts.onError?.(err as Error);
      }
    };
    const loop = (async () => {
      await listen();
      let failures = 0;
      while (!stopped) {
        try {
          const r = await relayOnce(ropts);
          failures = r.deferred > 0 ? failures + 1 : 0;
          // A full batch: there is likely more; go again at once.
          if (r.sent + r.failed === (ropts.batchSize ?? 100)) continue;
        } catch (err) {
          failures++;
          ropts.onError?.(err as Error);
        }
        if (stopped) break;
        const poll = ropts.pollIntervalMs ?? 1000;
        await nap(failures ? Math.min(30_000, poll * 2 ** Math.min(failures, 5)) : poll);
      }
    })();
    return {
      async stop() {
        stopped = true;
        (wake as (() => void) | null)?.();
        await loop;
        if (listener) {
          await listener.query(`UNLISTEN "${channel}"`).catch(() => undefined);
          listener.release();
        }
      },
    };
  }

  return { table, add, relayOnce, startRelay };
}
