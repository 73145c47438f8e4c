// One measured phase: `concurrency` clients, each starting an order saga and waiting for it
// to be final before starting the next, until `total` sagas ran. Creates go over HTTP; the
// wait is one indexed query every few ms on the bench's own PostgreSQL (polling each saga
// over HTTP would load the service more than the sagas do); figures come from the API after.
import { Client } from 'pg';

const FINAL = ['COMPLETED', 'COMPENSATED', 'FAILED'];

export interface PhaseResult {
  concurrency: number;
  total: number;
  /** Sagas that ended in the expected status. */
  ok: number;
  /** Sagas that ended otherwise, failed to be created, or did not end in time. */
  errors: string[];
  wallMs: number;
  sagasPerSecond: number;
  createMs: number[];
  /** createdAt -> finishedAt as the service recorded them. */
  completeMs: number[];
}

/** Resolves when sagas become final, batching all waiting ids into one query per tick. */
export class FinalWatcher {
  private readonly waiting = new Map<string, (status: string) => void>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly db: Client,
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
        'SELECT id, status FROM saga.saga_instance WHERE id = ANY($1::uuid[]) AND status = ANY($2::text[])',
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
  watcher: FinalWatcher;
  concurrency: number;
  total: number;
  input: unknown;
  expect: 'COMPLETED' | 'COMPENSATED';
  timeoutMs: number;
  /** @default 'order' */
  definition?: string;
}

export async function runPhase(o: PhaseOptions): Promise<PhaseResult> {
  const headers = { authorization: `Bearer ${o.apiKey}`, 'content-type': 'application/json' };
  const body = JSON.stringify({ definition: o.definition ?? 'order', input: o.input });
  const createMs: number[] = [];
  const errors: string[] = [];
  const ids: string[] = [];
  let started = 0;
  const t0 = performance.now();
  const deadline = Date.now() + o.timeoutMs;
  const client = async () => {
    while (started < o.total && Date.now() < deadline) {
      started++;
      const c0 = performance.now();
      const res = await fetch(`${o.baseUrl}/api/v1/sagas`, { method: 'POST', headers, body });
      const saga = (await res.json()) as { id?: string };
      createMs.push(performance.now() - c0);
      if (res.status !== 201 || !saga.id) {
        errors.push(`create answered ${res.status}: ${JSON.stringify(saga).slice(0, 200)}`);
        continue;
      }
      ids.push(saga.id);
      const status = await Promise.race([
        o.watcher.wait(saga.id),
        new Promise<string>((r) =>
          setTimeout(() => r('TIMEOUT'), Math.max(0, deadline - Date.now())).unref(),
        ),
      ]);
      if (status === 'TIMEOUT') errors.push(`saga ${saga.id} not final in time`);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, client));
  const wallMs = performance.now() - t0;
  const completeMs: number[] = [];
  let ok = 0;
  await inBatches(ids, 8, async (id) => {
    const res = await fetch(`${o.baseUrl}/api/v1/sagas/${id}`, { headers });
    const s = (await res.json()) as {
      status: string;
      createdAt: string;
      finishedAt: string | null;
    };
    if (s.status === o.expect && s.finishedAt) {
      ok++;
      completeMs.push(Date.parse(s.finishedAt) - Date.parse(s.createdAt));
    } else if (FINAL.includes(s.status)) {
      errors.push(`saga ${id} ended ${s.status}, expected ${o.expect}`);
    }
  });
  return {
    concurrency: o.concurrency,
    total: o.total,
    ok,
    errors,
    wallMs,
    sagasPerSecond: (ok / wallMs) * 1000,
    createMs,
    completeMs,
  };
}

async function inBatches<T>(
  items: T[],
  width: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}
