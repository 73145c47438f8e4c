// Helpers for the hostile-input suites: a raw HTTP client (any method, path and bytes, which
// fetch() would refuse or normalise), the error-shape check, and row counts of the saga tables.
import http from 'node:http';
import { Client } from 'pg';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request with exactly these bytes on the wire (path not normalised, body as given). */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer | string,
): Promise<RawResponse> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, method, path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Throws unless the answer is 2xx/4xx and every 4xx carries API.md's error shape. */
export function assertClientSafe(r: RawResponse, what: string): void {
  if (
    r.status >= 500 ||
    r.status < 200 ||
    (r.status >= 300 && r.status < 400 && r.status !== 301)
  ) {
    throw new Error(`${what}: answered ${r.status}: ${r.text.slice(0, 300)}`);
  }
  if (r.status < 400) return;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(r.text) as Record<string, unknown>;
  } catch {
    throw new Error(`${what}: ${r.status} without a JSON body: ${r.text.slice(0, 200)}`);
  }
  const shaped =
    body.statusCode === r.status &&
    typeof body.error === 'string' &&
    typeof body.message === 'string' &&
    (r.status !== 400 || Array.isArray(body.details));
  if (!shaped)
    throw new Error(`${what}: ${r.status} body is not the error shape: ${r.text.slice(0, 300)}`);
}

export interface RowCounts {
  sagas: number;
  events: number;
  faults: number;
}

/** Rows in the tables a request could write to. */
export async function rowCounts(databaseUrl: string): Promise<RowCounts> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ sagas: string; events: string; faults: string }>(
      `SELECT (SELECT count(*) FROM saga.saga_instance) AS sagas,
              (SELECT count(*) FROM saga.saga_event) AS events,
              (SELECT count(*) FROM saga.fault) AS faults`,
    );
    return {
      sagas: Number(rows[0].sagas),
      events: Number(rows[0].events),
      faults: Number(rows[0].faults),
    };
  } finally {
    await c.end();
  }
}

/** The service still answers /health with 200 (it did not crash or wedge). */
export async function assertStillHealthy(baseUrl: string): Promise<void> {
  const r = await rawRequest(baseUrl, 'GET', '/health');
  if (r.status !== 200)
    throw new Error(`/health answered ${r.status} after the fuzzing: ${r.text}`);
}

/** Percent-encodes every byte of a string's UTF-8 (or of raw bytes) for use in a URL. */
export function percentEncodeBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
}

/** Keys that have polluted prototypes in other JSON-handling code. */
export const POLLUTION_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
];
