// What any HTTP participant of sagachart needs, with node:http and nothing else: JSON in and
// out, the `X-Saga-Signature` check, and idempotency on the `Idempotency-Key` header (the
// first answer to a key is stored with the change it made, in one atomic write, and every
// repeat gets exactly that answer back). Any language or framework can do the same.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonFileStore } from './json-file-store';

/** A request's body may not be larger than this (sagachart caps replies at 1 MiB too). */
const MAX_BODY_BYTES = 1024 * 1024;
/** A signature older (or newer) than this is refused: a captured request cannot be replayed. */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

/** An answer: HTTP status and JSON body. */
export interface Answer {
  status: number;
  body: unknown;
}

/** The first answer to an idempotency key, kept with the service's state. */
export interface StoredAnswer extends Answer {
  operation: string;
  at: string;
}

/** The part of a service's state this module looks after. */
export interface IdempotentState {
  answers: Record<string, StoredAnswer>;
}

/** One call of an operation, as the operation sees it. */
export interface OperationCall<S> {
  /** The `Idempotency-Key` header (sagachart: `<sagaId>:<step>:<execute|compensate>`). */
  key: string;
  /** The JSON body (sagachart: `{ sagaId, step, kind, input, outputs, forwardOutput, … }`). */
  body: Record<string, unknown>;
  /** The service's state, to read and change; changes are written before the answer goes. */
  state: S;
  now: Date;
  /** When the request arrived (before any `delayMs`). */
  receivedAt: Date;
}

export interface Operation<S> {
  /**
   * How long the operation takes before it runs: a slow back end, made visible. Spent outside
   * the state lock, so other requests go on meanwhile. @default 0
   */
  delayMs?: number;
  /** Does the work; its answer is stored under the key (error answers too: 4xx are final). */
  run(call: OperationCall<S>): Answer;
  /** Called when a key comes again; must not change the business state (bookings). */
  onRepeat?(call: OperationCall<S>, first: StoredAnswer): void;
}

/** An answer given but not stored under the key: the request was not processed. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface ParticipantServerOptions<S extends IdempotentState> {
  /** For logs and `GET /health`. */
  name: string;
  port: number;
  host?: string;
  store: JsonFileStore<S>;
  /** When set, every operation request must carry a valid `X-Saga-Signature`. */
  signingSecret?: string;
  /** `POST /<name>` routes. */
  operations: Record<string, Operation<S>>;
  /** `GET <path>` routes, given the query and the stored state. */
  views: Record<string, (query: URLSearchParams, state: S) => unknown>;
  /** One line per request; default: silent. */
  log?: (line: string) => void;
  /** Runs on close, after the server has stopped taking requests. */
  onClose?: () => Promise<void> | void;
}

export interface RunningService {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startParticipantServer<S extends IdempotentState>(
  options: ParticipantServerOptions<S>,
): Promise<RunningService> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => undefined);
  // Requests still being handled (one may sit in an operation's delay): close waits for them.
  const handling = new Set<Promise<void>>();
  const server = http.createServer((req, res) => {
    const handled = handle(options, req, res).then(
      ({ status, body, headers, note }) => {
        send(res, status, body, headers);
        log(`${options.name} ${req.method} ${req.url} -> ${status}${note ? ` ${note}` : ''}`);
      },
      (err: unknown) => {
        send(res, 500, { code: 'INTERNAL', message: 'Unexpected error; try again.' });
        log(`${options.name} ${req.method} ${req.url} -> 500 ${String(err)}`);
      },
    );
    handling.add(handled);
    void handled.finally(() => handling.delete(handled));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`,
    port,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await Promise.all(handling);
        await options.onClose?.();
        await options.store.settled();
      })()),
  };
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  note?: string;
}

async function handle<S extends IdempotentState>(
  options: ParticipantServerOptions<S>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<Reply> {
  const receivedAt = new Date();
  const url = new URL(req.url ?? '/', 'http://localhost');
  const name = url.pathname.slice(1);
  const view =
    url.pathname === '/health'
      ? () => ({ status: 'ok', service: options.name })
      : Object.hasOwn(options.views, url.pathname)
        ? options.views[url.pathname]
        : undefined;
  const operation = Object.hasOwn(options.operations, name) ? options.operations[name] : undefined;
  if (!view && !operation) {
    req.resume();
    return error(404, 'NOT_FOUND', `No route ${req.method} ${url.pathname}.`);
  }
  const method = view ? 'GET' : 'POST';
  if (req.method !== method) {
    req.resume();
    return {
      ...error(405, 'METHOD_NOT_ALLOWED', `Use ${method} ${url.pathname}.`),
      headers: { Allow: method },
    };
  }
  if (view) {
    req.resume();
    return { status: 200, body: view(url.searchParams, options.store.read()) };
  }
  if (!operation) return error(404, 'NOT_FOUND', `No route ${req.method} ${url.pathname}.`);

  const raw = await readBody(req);
  if (raw === null) {
    res.setHeader('Connection', 'close');
    return error(413, 'PAYLOAD_TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES} bytes.`);
  }
  if (options.signingSecret !== undefined) {
    const problem = signatureProblem(
      options.signingSecret,
      header(req, 'x-saga-signature'),
      raw,
      Math.floor(Date.now() / 1000),
    );
    if (problem) return error(401, 'BAD_SIGNATURE', problem);
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return error(400, 'INVALID_JSON', 'The body is not JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return error(400, 'INVALID_JSON', 'The body must be a JSON object.');
  }
  const key = header(req, 'idempotency-key');
  if (!key || key.length > 255) {
    return error(
      400,
      'MISSING_IDEMPOTENCY_KEY',
      'Send an Idempotency-Key header (1-255 characters): the same key for every retry of a call.',
    );
  }

  if (operation.delayMs) await new Promise((resolve) => setTimeout(resolve, operation.delayMs));
  try {
    const answer = await options.store.transact((state) => {
      const call = {
        key,
        body: body as Record<string, unknown>,
        state,
        now: new Date(),
        receivedAt,
      };
      const first = state.answers[key];
      if (first) {
        if (first.operation !== name) {
          throw new HttpError(
            409,
            'IDEMPOTENCY_KEY_REUSED',
            `Idempotency key '${key}' was used for /${first.operation}, not /${name}.`,
          );
        }
        operation.onRepeat?.(call, first);
        return { status: first.status, body: first.body, replayed: true };
      }
      const { status, body: out } = operation.run(call);
      state.answers[key] = { operation: name, status, body: out, at: call.now.toISOString() };
      return { status, body: out, replayed: false };
    });
    return {
      status: answer.status,
      body: answer.body,
      headers: answer.replayed ? { 'Idempotent-Replayed': 'true' } : {},
      note: `key=${key}${answer.replayed ? ' (repeat: first answer)' : ''}`,
    };
  } catch (err) {
    if (err instanceof HttpError) {
      return {
        status: err.status,
        body: { code: err.code, message: err.message },
        headers: err.headers,
      };
    }
    // The change could not be written: nothing happened, a retry may succeed.
    return {
      ...error(503, 'STORAGE_UNAVAILABLE', `Could not save the change (${String(err)}); retry.`),
      headers: { 'Retry-After': '1' },
    };
  }
}

/**
 * Why `header` is not a valid signature of `raw` (null: it is). The format is sagachart's:
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` (several v1 allowed).
 */
export function signatureProblem(
  secret: string,
  header: string | undefined,
  raw: Buffer,
  nowSeconds: number,
): string | null {
  if (!header) return 'X-Saga-Signature is missing.';
  const parts = header.split(',').map((part) => part.trim().split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  const signatures = parts.filter(([k, v]) => k === 'v1' && v !== undefined).map(([, v]) => v);
  if (!t || !/^\d{1,12}$/.test(t) || signatures.length === 0) {
    return 'X-Saga-Signature must look like t=<unix seconds>,v1=<hex HMAC-SHA256>.';
  }
  if (Math.abs(nowSeconds - Number(t)) > SIGNATURE_TOLERANCE_SECONDS) {
    return `X-Saga-Signature timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} s away from now.`;
  }
  const expected = createHmac('sha256', secret).update(`${t}.`).update(raw).digest();
  const matches = signatures.some((hex) => {
    const given = /^[0-9a-f]+$/i.test(hex) ? Buffer.from(hex, 'hex') : Buffer.alloc(0);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches
    ? null
    : 'X-Saga-Signature does not match the body (wrong secret or altered body).';
}

function error(status: number, code: string, message: string): Reply {
  return { status, body: { code, message } };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The raw body, or null when it is over the limit (the rest is read and dropped). */
function readBody(req: http.IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
