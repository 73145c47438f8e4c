// Step dispatch latency: from the commit of the transition that dispatched a step to the moment
// a worker started that step's job. Read after a phase from what the runs left behind:
//
// - the commit: pg_xact_commit_timestamp() of the history row that records the dispatch
//   (STEP_STARTED / COMPENSATION_STARTED is written in the same transaction as the outcome that
//   led to it), which needs track_commit_timestamp=on (bench-infra.ts sets it);
// - the start: the job's processedOn (BullMQ sets it when a worker takes the job), and its
//   timestamp (when it was added) to split the latency into "commit -> enqueued" (our code
//   after the commit) and "enqueued -> started" (the queue and the worker's free slots).
//
// Only step-to-step dispatches count: the first step's (dispatched by the create transaction)
// is left out. A retried job's processedOn is that of its last attempt, so the figure is for
// sagas without retries (the happy and compensation paths of the bench have none).
import { Redis } from 'ioredis';
import type { Client } from 'pg';

export interface DispatchSamples {
  /** commit -> job started, ms. */
  commitToStartMs: number[];
  /** commit -> job added, ms. */
  commitToEnqueueMs: number[];
  /** job added -> job started, ms. */
  enqueueToStartMs: number[];
}

interface Row {
  commit_ms: number;
  enqueued_ms: number | null;
  started_ms: number | null;
}

function toSamples(rows: Row[]): DispatchSamples {
  const out: DispatchSamples = { commitToStartMs: [], commitToEnqueueMs: [], enqueueToStartMs: [] };
  for (const r of rows) {
    if (r.started_ms === null || r.enqueued_ms === null) continue;
    out.commitToStartMs.push(r.started_ms - r.commit_ms);
    out.commitToEnqueueMs.push(r.enqueued_ms - r.commit_ms);
    out.enqueueToStartMs.push(r.started_ms - r.enqueued_ms);
  }
  return out;
}

const STEP_QUEUE = 'saga-steps';

/** The service's dispatches of these sagas (its history rows and its step jobs). */
export async function serviceDispatchLatency(
  db: Client,
  sagaIds: string[],
  queue: { redisUrl: string; prefix: string } | 'postgres',
): Promise<DispatchSamples> {
  const { rows } = await db.query<{ id: string; commit_ms: number }>(
    `/* bench */ SELECT e.data->>'dispatchId' AS id,
            extract(epoch FROM pg_xact_commit_timestamp(e.xmin)) * 1000 AS commit_ms
       FROM saga.saga_event e
       JOIN saga.saga_event first ON first.saga_id = e.saga_id AND first.seq = 1
      WHERE e.saga_id = ANY($1::uuid[])
        AND e.type IN ('STEP_STARTED', 'COMPENSATION_STARTED')
        AND e.xmin::text <> first.xmin::text`,
    [sagaIds],
  );
  const times = new Map<string, { enqueued: number | null; started: number | null }>();
  if (queue === 'postgres') {
    const jobs = await db.query<{ id: string; added: string; processed: string | null }>(
      `/* bench */ SELECT id, added_at_ms AS added, processed_at_ms AS processed
         FROM bullmq.job WHERE queue = $1 AND id = ANY($2::text[])`,
      [STEP_QUEUE, rows.map((r) => r.id)],
    );
    for (const j of jobs.rows)
      times.set(j.id, {
        enqueued: Number(j.added),
        started: j.processed === null ? null : Number(j.processed),
      });
  } else {
    const redis = new Redis(queue.redisUrl, { maxRetriesPerRequest: 3 });
    try {
      const pipe = redis.pipeline();
      for (const r of rows)
        pipe.hmget(`${queue.prefix}:${STEP_QUEUE}:${r.id}`, 'timestamp', 'processedOn');
      const replies = (await pipe.exec()) ?? [];
      rows.forEach((r, i) => {
        const [ts, processed] = (replies[i]?.[1] ?? [null, null]) as (string | null)[];
        times.set(r.id, {
          enqueued: ts === null ? null : Number(ts),
          started: processed === null ? null : Number(processed),
        });
      });
    } finally {
      redis.disconnect();
    }
  }
  return toSamples(
    rows.map((r) => ({
      commit_ms: Number(r.commit_ms),
      enqueued_ms: times.get(r.id)?.enqueued ?? null,
      started_ms: times.get(r.id)?.started ?? null,
    })),
  );
}

/** The naive floor's dispatches: step k's commit -> step k + 1's job start (naive-floor.ts). */
export async function floorDispatchLatency(
  db: Client,
  sagaIds: string[],
): Promise<DispatchSamples> {
  const { rows } = await db.query<Row>(
    `/* bench */ SELECT extract(epoch FROM pg_xact_commit_timestamp(a.xmin)) * 1000 AS commit_ms,
            extract(epoch FROM b.enqueued_at) * 1000 AS enqueued_ms,
            extract(epoch FROM b.started_at) * 1000 AS started_ms
       FROM naive.step a JOIN naive.step b ON b.saga_id = a.saga_id AND b.idx = a.idx + 1
      WHERE a.saga_id = ANY($1::uuid[])`,
    [sagaIds],
  );
  return toSamples(
    rows.map((r) => ({
      commit_ms: Number(r.commit_ms),
      enqueued_ms: Number(r.enqueued_ms),
      started_ms: Number(r.started_ms),
    })),
  );
}
