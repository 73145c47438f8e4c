// A real HTTP subscriber on loopback: each path answers from its own script (one answer per
// request, the last one repeating) and every request is recorded. The outside world, not a mock.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceiverAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface ReceivedEvent {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: Record<string, any>;
  at: number;
}

export interface EventReceiver {
  /** Base URL; subscribe `${url}/<path>` and script `<path>`. */
  url: string;
  received: ReceivedEvent[];
  /** Requests to one path, oldest first. */
  at(path: string): ReceivedEvent[];
  script(path: string, answers: ReceiverAnswer[]): void;
  /** Waits until `path` has had `n` requests. */
  waitFor(path: string, n: number, timeoutMs?: number): Promise<ReceivedEvent[]>;
  close(): Promise<void>;
}

export async function startEventReceiver(): Promise<EventReceiver> {
  const received: ReceivedEvent[] = [];
  const scripts = new Map<string, ReceiverAnswer[]>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      let body: Record<string, any> = {};
      try {
        body = JSON.parse(raw) as Record<string, any>;
      } catch {
        // Recorded as it came.
      }
      received.push({ path, headers: req.headers, raw, body, at: Date.now() });
      const script = scripts.get(path) ?? [];
      const answer = (script.length > 1 ? script.shift() : script[0]) ?? { status: 200 };
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const at = (path: string) => received.filter((r) => r.path === path);
  return {
    url,
    received,
    at,
    script: (path, answers) => scripts.set(path, [...answers]),
    async waitFor(path, n, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (at(path).length < n) {
        if (Date.now() > deadline)
          throw new Error(`${path}: ${at(path).length} of ${n} requests after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return at(path);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
