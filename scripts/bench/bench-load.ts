// One measured phase: sagas started over the REST API (POST /api/v1/sagas) either closed-loop
// (`concurrency` clients, each waiting for its saga to be final before starting the next) or
// paced (`ratePerSecond` starts, open loop), until `total` sagas ran or `maxMs` passed. The wait
// is one indexed query every few ms on the bench's own PostgreSQL (polling each saga over HTTP
// would load the service more than the sagas do); latencies come from the rows afterwards.
import { Client } from 'pg';

const FINAL = ['COMPLETED', 'COMPENSATED', 'FAILED'];

/** The table whose rows say where a saga is: the service's, or the naive floor's. */
export type SagaTable = 'saga.saga_instance' | 'naive.saga';

export interface PhaseResult {
  concurrency: number;
  /** Paced phases: the start rate asked for. */
  ratePerSecond: number | null;
  /** Sagas started (the target, or fewer when maxMs cut the phase short). */
  total: number;
  /** Sagas that ended in the expected status. */
  ok: number;
  /** Sagas that ended otherwise, failed to be created, or did not end in time. */
  errors: string[];
  wallMs: number;
  /**
   * Sagas that ended as expected while new ones were still being started, per second of that
   * window: the ramp-down (the last sagas finishing with fewer clients left) is left out.
   */
  sagasPerSecond: number;
  /** POST /api/v1/sagas round trips. */
  createMs: number[];
  /** created_at -> finished_at as the service (or floor) recorded them. */
  sagaMs: number[];
  /** Ids of the sagas that ended as expected. */
  ids: string[];
}

/** Resolves when sagas become final, batching all waiting ids into one query per tick. */
export class FinalWatcher {
  private readonly waiting = new Map<string, (status: string) => void>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly db: Client,
    private readonly table: SagaTable = 'saga.saga_instance',
    private readonly everyMs = 5,
  ) {}

  wait(id: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.timer ??= setInterval(() => void this.tick(), this.everyMs);
    });
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    if (this.waiting.size === 0) {
      clearInterval(this.timer!);
      this.timer = null;
      return;
    }
    this.busy = true;
    try {
      const { rows } = await this.db.query<{ id: string; status: string }>(
        `/* bench */ SELECT id, status FROM ${this.table} WHERE id = ANY($1::uuid[]) AND status = ANY($2::text[])`,
        [[...this.waiting.keys()], FINAL],
      );
      for (const r of rows) {
        this.waiting.get(r.id)?.(r.status);
        this.waiting.delete(r.id);
      }
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

export interface PhaseOptions {
  baseUrl: string;
  apiKey: string;
  db: Client;
  watcher: FinalWatcher;
  table: SagaTable;
  /** Closed loop: clients; paced: ignored (reported as the peak in flight). */
  concurrency: number;
  /** Set: paced (open-loop) starts at this rate instead of closed-loop clients. */
  ratePerSecond?: number;
  total: number;
  /** Stop starting new sagas after this long (those in flight still finish). */
  maxMs: number;
  /** The saga input a client (closed loop) or the n-th start (paced) posts. */
  input: (client: number) => unknown;
  expect: 'COMPLETED' | 'COMPENSATED';
  /** How long a saga may take before it counts as an error. */
  timeoutMs: number;
  /** @default 'order' */
  definition?: string;
}

export async function runPhase(o: PhaseOptions): Promise<PhaseResult> {
  const headers = { authorization: `Bearer ${o.apiKey}`, 'content-type': 'application/json' };
  const definition = o.definition ?? 'order';
  const bodyOf = (client: number) => JSON.stringify({ definition, input: o.input(client) });
  const createMs: number[] = [];
  const errors: string[] = [];
  const ids: string[] = [];
  let started = 0;
  let lastStartAt = 0;
  const finishedAt: number[] = [];
  let inFlight = 0;
  let peakInFlight = 0;
  const t0 = performance.now();
  const stopStartingAt = Date.now() + o.maxMs;
  const more = () => started < o.total && Date.now() < stopStartingAt;

  const one = async (client: number) => {
    const body = bodyOf(client);
    started++;
    lastStartAt = performance.now();
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    try {
      const c0 = performance.now();
      const res = await fetch(`${o.baseUrl}/api/v1/sagas`, { method: 'POST', headers, body });
      const saga = (await res.json()) as { id?: string };
      createMs.push(performance.now() - c0);
      if (res.status !== 201 || !saga.id) {
        errors.push(`create answered ${res.status}: ${JSON.stringify(saga).slice(0, 200)}`);
        return;
      }
      ids.push(saga.id);
      let timer: NodeJS.Timeout | undefined;
      const status = await Promise.race([
        o.watcher.wait(saga.id),
        new Promise<string>((r) => (timer = setTimeout(() => r('TIMEOUT'), o.timeoutMs))),
      ]);
      clearTimeout(timer);
      if (status === o.expect) finishedAt.push(performance.now());
      if (status === 'TIMEOUT') errors.push(`saga ${saga.id} not final in ${o.timeoutMs} ms`);
    } catch (err) {
      errors.push(`create failed: ${(err as Error).message}`);
    } finally {
      inFlight--;
    }
  };

  if (o.ratePerSecond) {
    const everyMs = 1000 / o.ratePerSecond;
    const running: Promise<void>[] = [];
    for (let i = 0; more(); i++) {
      const due = t0 + i * everyMs - performance.now();
      if (due > 0) await new Promise((r) => setTimeout(r, due));
      running.push(one(i));
    }
    await Promise.all(running);
  } else {
    await Promise.all(
      Array.from({ length: o.concurrency }, async (_, client) => {
        while (more()) await one(client);
      }),
    );
  }
  const wallMs = performance.now() - t0;
  const { rows } = await o.db.query<{ id: string; status: string; ms: number | null }>(
    `/* bench */ SELECT id, status, extract(epoch FROM finished_at - created_at) * 1000 AS ms
       FROM ${o.table} WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  const sagaMs: number[] = [];
  const okIds: string[] = [];
  for (const r of rows) {
    if (r.status === o.expect && r.ms !== null) {
      okIds.push(r.id);
      sagaMs.push(Number(r.ms));
    } else if (FINAL.includes(r.status)) {
      errors.push(`saga ${r.id} ended ${r.status}, expected ${o.expect}`);
    }
  }
  return {
    concurrency: o.ratePerSecond ? peakInFlight : o.concurrency,
    ratePerSecond: o.ratePerSecond ?? null,
    total: started,
    ok: okIds.length,
    errors,
    wallMs,
    sagasPerSecond:
      lastStartAt > t0
        ? (finishedAt.filter((t) => t <= lastStartAt).length / (lastStartAt - t0)) * 1000
        : 0,
    createMs,
    sagaMs,
    ids: okIds,
  };
}
