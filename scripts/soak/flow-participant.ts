// The "user's service" the soak's flow sagas call: a real HTTP participant on loopback,
// outside the service's processes (chaos never touches it). Every call and what it did is
// appended to a JSON-lines journal before the answer goes out; effects are idempotent on
// Idempotency-Key (a repeat answers the first result and applies nothing), and the journal
// is read back at start, so that promise would survive a restart of the participant too.
// What it answers is scripted per saga in the input (flow-plan.ts), counted by the calls it
// received for each key: deterministic from the seed, whatever the retries and redeliveries.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FLOW_TIMEOUT_MS, type ParticipantFault } from './flow-plan';

/** One line of the journal: a call received (and what it did), or a heal. */
export interface JournalEntry {
  /** Order of arrival at the participant (1, 2, …). */
  seq: number;
  at: number;
  type: 'call' | 'heal';
  sagaId: string;
  step?: string;
  kind?: 'execute' | 'compensate';
  index?: number | null;
  key?: string;
  attempt?: number;
  /**
   * `applied`: the effect happened now; `repeat`: the key was applied before, its result
   * answered again; `unavailable` (503) / `rejected` (422): nothing happened.
   */
  outcome?: 'applied' | 'repeat' | 'unavailable' | 'rejected';
  /** An applied call answered after the step's timeout. */
  late?: boolean;
  result?: unknown;
  /** The Idempotency-Key header was not `<saga>:<step>:<kind>[:<index>]`. */
  badKey?: string;
}

export interface FlowParticipant {
  url: string;
  journalFile: string;
  close(): Promise<void>;
}

interface CallBody {
  sagaId: string;
  step: string;
  kind: 'execute' | 'compensate';
  operation: string;
  attempt: number;
  itemIndex?: number;
  input?: { script?: Record<string, ParticipantFault> };
}

export function readJournal(file: string): JournalEntry[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalEntry);
}

/** Starts the participant on a free loopback port, journaling to `journalFile`. */
export async function startFlowParticipant(journalFile: string): Promise<FlowParticipant> {
  const past = readJournal(journalFile);
  let seq = past.reduce((m, e) => Math.max(m, e.seq), 0);
  const results = new Map<string, unknown>();
  const calls = new Map<string, number>();
  const healed = new Set<string>();
  for (const e of past) {
    if (e.type === 'heal') healed.add(e.sagaId);
    if (e.key) calls.set(e.key, (calls.get(e.key) ?? 0) + 1);
    if (e.outcome === 'applied' && e.key) results.set(e.key, e.result);
  }
  const journal = (entry: Omit<JournalEntry, 'seq' | 'at'>): JournalEntry => {
    const full = { seq: ++seq, at: Date.now(), ...entry };
    fs.appendFileSync(journalFile, JSON.stringify(full) + '\n');
    return full;
  };

  const handle = (req: http.IncomingMessage, raw: string, res: http.ServerResponse) => {
    const reply = (status: number, body: unknown, delayMs = 0) => {
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (delayMs) setTimeout(send, delayMs);
      else send();
    };
    if (req.url === '/_soak/heal') {
      // The operator fixed what made this saga's calls fail (the soak, before POST /retry).
      const { sagaId } = JSON.parse(raw) as { sagaId: string };
      healed.add(sagaId);
      journal({ type: 'heal', sagaId });
      return reply(200, { healed: sagaId });
    }
    const body = JSON.parse(raw) as CallBody;
    const index = body.itemIndex ?? null;
    const unit = `${body.step}:${body.kind}${index === null ? '' : `:${index}`}`;
    const want = `${body.sagaId}:${unit}`;
    const key = String(req.headers['idempotency-key'] ?? '');
    const base = {
      type: 'call' as const,
      sagaId: body.sagaId,
      step: body.step,
      kind: body.kind,
      index,
      key,
      attempt: body.attempt,
      ...(key === want ? {} : { badKey: `${key} (expected ${want})` }),
    };
    const n = (calls.get(key) ?? 0) + 1;
    calls.set(key, n);
    if (results.has(key)) {
      journal({ ...base, outcome: 'repeat' });
      return reply(200, results.get(key));
    }
    const fault = healed.has(body.sagaId) ? undefined : body.input?.script?.[unit];
    const times = fault?.times ?? 1;
    if (fault?.mode === 'unavailable' || (fault?.mode === 'transient' && n <= times)) {
      journal({ ...base, outcome: 'unavailable' });
      return reply(503, { code: 'SOAK_UNAVAILABLE', message: `${unit} is unavailable (scripted)` });
    }
    if (fault?.mode === 'reject') {
      journal({ ...base, outcome: 'rejected' });
      return reply(422, { code: 'SOAK_REJECTED', message: `${unit} is refused (scripted)` });
    }
    const late = fault?.mode === 'late' && n <= times;
    const result = { key, operation: body.operation, seq: seq + 1 };
    results.set(key, result);
    journal({ ...base, outcome: 'applied', result, ...(late ? { late: true } : {}) });
    return reply(200, result, late ? FLOW_TIMEOUT_MS + 1000 : 0);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, Buffer.concat(chunks).toString('utf8'), res);
      } catch (err) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'SOAK_BAD_CALL', message: (err as Error).message }));
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    journalFile,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
