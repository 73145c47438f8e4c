// One delivery attempt of an event to a subscriber (API.md, "Choreography"): POST <url> with
// the event as JSON, Idempotency-Key = the event id, signed like participant calls. Each
// answer is classified as delivered, permanently refused, or worth another attempt.
import { Agent, request } from 'undici';
import { participantSignature, retryAfterMs } from '../participants/http-participant-client';
import {
  describeParticipantHosts,
  isParticipantUrlAllowed,
  type ParticipantHostPolicy,
} from '../participants/participant-hosts';
import type { EventView } from './event-store';

export type DeliveryResult =
  | { kind: 'delivered'; statusCode: number }
  | { kind: 'permanent'; statusCode: number | null; error: string }
  | { kind: 'retry'; statusCode: number | null; error: string; retryAfterMs: number | null };

/** Statuses another attempt may fix, besides every 5xx (the same as for participants). */
const RETRYABLE_4XX = new Set([408, 425, 429]);

/** How much of an error reply is kept as the delivery's last error. */
const ERROR_EXCERPT_BYTES = 500;

async function excerpt(
  body: AsyncIterable<Buffer> & { destroy(): void; on(e: 'error', f: () => void): unknown },
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= ERROR_EXCERPT_BYTES) break;
    }
  } catch {
    // A reply cut short still says what it managed to.
  }
  // Leaving the loop early does not consume the rest: drop it (with a listener, or it throws).
  body.on('error', () => undefined);
  body.destroy();
  return Buffer.concat(chunks).toString('utf8').slice(0, ERROR_EXCERPT_BYTES).trim();
}

/** Posts events to subscriber URLs through one keep-alive pool. */
export class EventDeliveryClient {
  private readonly agent = new Agent({
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    connectTimeout: 10_000,
  });

  constructor(
    private readonly hosts: ParticipantHostPolicy,
    private readonly signingSecret: string | undefined,
  ) {}

  async deliver(
    url: string,
    event: EventView,
    attempt: number,
    signal: AbortSignal,
  ): Promise<DeliveryResult> {
    // Checked again at delivery: the allow-list may have changed since the subscription.
    if (!isParticipantUrlAllowed(url, this.hosts)) {
      return {
        kind: 'permanent',
        statusCode: null,
        error: `${new URL(url).host} is not an allowed host (${describeParticipantHosts(this.hosts)}).`,
      };
    }
    const body = JSON.stringify(event);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'idempotency-key': event.id,
      'x-saga-event-id': event.id,
      'x-saga-event-type': event.type,
      'x-saga-delivery-attempt': String(attempt),
    };
    if (this.signingSecret)
      headers['x-saga-signature'] = participantSignature(this.signingSecret, body);
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(url, { method: 'POST', dispatcher: this.agent, headers, body, signal });
    } catch (err) {
      const why = signal.aborted ? 'no answer in time' : (err as Error).message;
      return {
        kind: 'retry',
        statusCode: null,
        error: `POST ${url} failed: ${why}`,
        retryAfterMs: null,
      };
    }
    const status = res.statusCode;
    if (status >= 200 && status < 300) {
      await excerpt(res.body);
      return { kind: 'delivered', statusCode: status };
    }
    const text = await excerpt(res.body);
    const error = `POST ${url} answered ${status}${text ? `: ${text}` : ''}`;
    if (status >= 500 || RETRYABLE_4XX.has(status)) {
      return {
        kind: 'retry',
        statusCode: status,
        error,
        retryAfterMs: retryAfterMs(res.headers['retry-after']),
      };
    }
    // 3xx (redirects are not followed, as for participants) and the other 4xx: another
    // attempt of the same request would get the same answer.
    return { kind: 'permanent', statusCode: status, error };
  }

  async close(): Promise<void> {
    if (this.agent.closed || this.agent.destroyed) return;
    await this.agent.close();
  }
}
