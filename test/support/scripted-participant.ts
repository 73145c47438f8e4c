// A real HTTP participant on loopback whose answers a test scripts through the saga input:
// `input.script[<step>][<kind>]` is a list of answers, one per attempt (the last repeats).
// It records every request it gets (headers, raw body, time) so tests can check what the
// service sent. Nothing here is a mock of sagachart: it is the outside world.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedAnswer {
  /** HTTP status (default 200). */
  status?: number;
  /** JSON body (default none). */
  body?: unknown;
  /** Raw body text instead of JSON. */
  raw?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Answer this many bytes of JSON padding (an oversized reply). */
  bytes?: number;
  /** Destroy the socket instead of answering. */
  reset?: boolean;
}

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: Record<string, any>;
  at: number;
}

/** A request the participant holds unanswered until the test answers it (see `hold`). */
export interface HeldRequest extends ReceivedRequest {
  answer(answer: ScriptedAnswer): void;
}

export interface ScriptedParticipantOptions {
  /**
   * Requests for which this returns true are held: they wait, unanswered, until a test takes
   * them with `nextHeld` and answers them, so it decides the order in which outcomes land.
   */
  hold?: (body: Record<string, any>) => boolean;
}

export interface ScriptedParticipant {
  url: string;
  requests: ReceivedRequest[];
  /** The next held request that `matches` (waiting for it to arrive, up to `timeoutMs`). */
  nextHeld(
    matches: (body: Record<string, any>) => boolean,
    timeoutMs?: number,
  ): Promise<HeldRequest>;
  /** Requests for one saga, step and kind, oldest first. */
  callsFor(sagaId: string, step: string, kind?: 'execute' | 'compensate'): ReceivedRequest[];
  /** From now on, answer this saga's step with `answers` (one per attempt) instead. */
  rescript(
    sagaId: string,
    step: string,
    kind: 'execute' | 'compensate',
    answers: ScriptedAnswer[],
  ): void;
  close(): Promise<void>;
}

export async function startScriptedParticipant(
  options: ScriptedParticipantOptions = {},
): Promise<ScriptedParticipant> {
  const requests: ReceivedRequest[] = [];
  const overrides = new Map<string, ScriptedAnswer[]>();
  const held: HeldRequest[] = [];
  const waiting: {
    matches: (body: Record<string, any>) => boolean;
    take: (h: HeldRequest) => void;
  }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, any> = {};
      try {
        body = JSON.parse(raw);
      } catch {
        // recorded as is
      }
      const received = { path: req.url ?? '', headers: req.headers, raw, body, at: Date.now() };
      requests.push(received);
      const respond = (answer: ScriptedAnswer) => {
        const send = () => {
          if (answer.reset) {
            req.socket.destroy();
            return;
          }
          const text =
            answer.bytes !== undefined
              ? JSON.stringify({ pad: 'x'.repeat(answer.bytes) })
              : (answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body)));
          res.writeHead(answer.status ?? 200, {
            ...(text && answer.raw === undefined ? { 'content-type': 'application/json' } : {}),
            ...answer.headers,
          });
          res.end(text);
        };
        if (answer.delayMs) setTimeout(send, answer.delayMs);
        else send();
      };
      if (options.hold?.(body)) {
        const request: HeldRequest = { ...received, answer: respond };
        const i = waiting.findIndex((w) => w.matches(body));
        if (i >= 0) waiting.splice(i, 1)[0].take(request);
        else held.push(request);
        return;
      }
      // A forEach item may have its own script: `script[step]['execute:<index>']`.
      const byStep = body?.input?.script?.[body.step];
      const override = overrides.get(`${body.sagaId}:${body.step}:${body.kind}`);
      const script = (override ??
        (body.itemIndex !== undefined ? byStep?.[`${body.kind}:${body.itemIndex}`] : undefined) ??
        byStep?.[body.kind]) as ScriptedAnswer[] | undefined;
      const answer: ScriptedAnswer = script?.[Math.min(script.length, body.attempt ?? 1) - 1] ?? {
        status: 200,
        body: { ok: true, operation: body.operation },
      };
      respond(answer);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    nextHeld: (matches, timeoutMs = 30_000) => {
      const i = held.findIndex((h) => matches(h.body));
      if (i >= 0) return Promise.resolve(held.splice(i, 1)[0]);
      return new Promise<HeldRequest>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(entry), 1);
          reject(new Error(`no matching request within ${timeoutMs} ms`));
        }, timeoutMs);
        const entry = {
          matches,
          take: (h: HeldRequest) => {
            clearTimeout(timer);
            resolve(h);
          },
        };
        waiting.push(entry);
      });
    },
    callsFor: (sagaId, step, kind = 'execute') =>
      requests.filter(
        (r) => r.body.sagaId === sagaId && r.body.step === step && r.body.kind === kind,
      ),
    rescript: (sagaId, step, kind, answers) => overrides.set(`${sagaId}:${step}:${kind}`, answers),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A free loopback port with nothing listening on it (a refused connection). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
