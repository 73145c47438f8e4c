// One attempt of a step against an HTTP participant (API.md, "HTTP participants"): POST
// <url>/<operation> over a keep-alive connection pool, every answer mapped to the step error
// the saga records. The caller bounds the request with the step's timeout (the signal).
import { createHmac } from 'node:crypto';
import { Agent, request } from 'undici';
import { RetryableStepError, TerminalStepError } from '@app/participants';
import {
  describeParticipantHosts,
  isParticipantUrlAllowed,
  type ParticipantHostPolicy,
} from './participant-hosts';

/** Largest reply read from a participant: beyond it the reply is refused, not buffered. */
export const MAX_PARTICIPANT_REPLY_BYTES = 1024 * 1024;

/** Statuses another attempt may fix, besides every 5xx. */
const RETRYABLE_4XX = new Set([408, 425, 429]);

/** Longest Retry-After honoured: a participant cannot park a step for longer than this. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** A retryable failure whose participant asked for a pause (Retry-After) before the next attempt. */
export class ParticipantRetryLaterError extends RetryableStepError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(code, message);
  }
}

export interface HttpAttempt {
  /** The participant's base URL. */
  url: string;
  operation: string;
  headers: Record<string, string>;
  /** The request body; serialised once, and that exact text is what gets signed. */
  body: unknown;
  signal: AbortSignal;
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date; null if absent or bad. */
export function retryAfterMs(
  value: string | string[] | undefined,
  now = Date.now(),
): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return null;
  const ms = /^\d+$/.test(v.trim()) ? Number(v.trim()) * 1000 : Date.parse(v) - now;
  if (!Number.isFinite(ms)) return null;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (Stripe's scheme). */
export function participantSignature(secret: string, body: string, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

function joinUrl(base: string, operation: string): string {
  return `${base.replace(/\/+$/, '')}/${encodeURIComponent(operation)}`;
}

/** Reads at most MAX_PARTICIPANT_REPLY_BYTES; null when the reply is larger. */
type ReplyBody = AsyncIterable<Buffer> & {
  destroy(): void;
  on(event: 'error', fn: () => void): unknown;
};

/** Drops a reply body without reading it (destroying it without a listener would throw). */
function discard(body: ReplyBody): void {
  body.on('error', () => undefined);
  body.destroy();
}

async function readCapped(body: ReplyBody): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_PARTICIPANT_REPLY_BYTES) {
      discard(body);
      return null;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function errorFields(text: string, status: number): { code: string; message: string } {
  try {
    const json = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (json && typeof json === 'object') {
      const code = typeof json.code === 'string' && json.code ? json.code.slice(0, 200) : null;
      const message = typeof json.message === 'string' ? json.message.slice(0, 2000) : null;
      if (code || message) {
        return {
          code: code ?? `HTTP_${status}`,
          message: message ?? `The participant answered ${status}.`,
        };
      }
    }
  } catch {
    // Not JSON: fall through to the status alone.
  }
  return { code: `HTTP_${status}`, message: `The participant answered ${status}.` };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Calls HTTP participants through one keep-alive pool per origin. */
export class HttpParticipantClient {
  private readonly agent = new Agent({
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    connectTimeout: 10_000,
  });

  constructor(private readonly hosts: ParticipantHostPolicy) {}

  /** One attempt: the reply's JSON (null when empty), or a TerminalStepError / RetryableStepError. */
  async call(attempt: HttpAttempt): Promise<unknown> {
    if (!isParticipantUrlAllowed(attempt.url, this.hosts)) {
      throw new TerminalStepError(
        'PARTICIPANT_HOST_NOT_ALLOWED',
        `${new URL(attempt.url).host} is not an allowed participant host (${describeParticipantHosts(this.hosts)}).`,
      );
    }
    const url = joinUrl(attempt.url, attempt.operation);
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: attempt.headers,
        body: typeof attempt.body === 'string' ? attempt.body : JSON.stringify(attempt.body),
        signal: attempt.signal,
      });
    } catch (err) {
      if (attempt.signal.aborted) throw attempt.signal.reason;
      const code = (err as { code?: string }).code ?? '';
      const message = `POST ${url} failed: ${(err as Error).message}`;
      if (NETWORK_CODES.has(code) || code.startsWith('UND_ERR')) {
        throw new RetryableStepError('PARTICIPANT_UNREACHABLE', message, { cause: err });
      }
      throw new RetryableStepError('PARTICIPANT_ERROR', message, { cause: err });
    }
    const status = res.statusCode;
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_PARTICIPANT_REPLY_BYTES) {
      discard(res.body);
      throw tooLarge(url);
    }
    if (status >= 300 && status < 400) {
      discard(res.body);
      const location = res.headers.location;
      throw new TerminalStepError(
        'PARTICIPANT_REDIRECT',
        `POST ${url} answered ${status}${location ? ` (to ${String(location)})` : ''}; redirects are not followed: register the participant's real URL.`,
      );
    }
    let text: string | null;
    try {
      text = await readCapped(res.body);
    } catch (err) {
      if (attempt.signal.aborted) throw attempt.signal.reason;
      throw new RetryableStepError(
        'PARTICIPANT_UNREACHABLE',
        `reading the reply of POST ${url} failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (text === null) throw tooLarge(url);
    if (status >= 200 && status < 300) {
      if (text.trim() === '') return null;
      try {
        return JSON.parse(text);
      } catch {
        throw new TerminalStepError(
          'PARTICIPANT_BAD_REPLY',
          `POST ${url} answered ${status} with a body that is not JSON: answer JSON, or an empty body.`,
        );
      }
    }
    const { code, message } = errorFields(text, status);
    if (status >= 500 || RETRYABLE_4XX.has(status)) {
      const after = retryAfterMs(res.headers['retry-after']);
      if (after !== null) throw new ParticipantRetryLaterError(code, message, after);
      throw new RetryableStepError(code, message);
    }
    throw new TerminalStepError(code, message);
  }

  /** Closes the pool (idempotent: an application may be closed twice). */
  async close(): Promise<void> {
    if (this.agent.closed || this.agent.destroyed) return;
    await this.agent.close();
  }
}

function tooLarge(url: string): TerminalStepError {
  return new TerminalStepError(
    'PARTICIPANT_REPLY_TOO_LARGE',
    `POST ${url} answered with more than ${MAX_PARTICIPANT_REPLY_BYTES} bytes; answer at most 1 MiB.`,
  );
}
