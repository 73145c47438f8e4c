// One BullMQ queue behind a small class, on the PostgreSQL backend by default or on Redis when
// REDIS_URL is set, with the readiness handling both backends need (see failsReadiness). The
// saga step queue (step-queue.ts) and the per-subscription event delivery queues
// (events/delivery-queues.ts) are both made from it.
import {
  createPostgresBackend,
  Queue,
  withBackend,
  Worker,
  type Job,
  type JobsOptions,
  type Processor,
} from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import { GuardedPgClient } from '../database/guarded-pg-client';

export interface QueueConnection {
  databaseUrl: string;
  redisUrl?: string;
  /** Redis key prefix: deployments (or test runs) sharing one Redis keep apart by it. */
  redisPrefix?: string;
}

/**
 * Exponential backoff with full jitter in [delay/2, delay], capped by the step's maxBackoffMs.
 * BullMQ's built-in exponential strategy has no cap, hence this custom type.
 */
export function sagaBackoff(attemptsMade: number, baseMs: number, maxMs: number): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(raw / 2 + Math.random() * (raw / 2));
}

function redisConnection(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    // BullMQ workers block on Redis; ioredis must not give up on them.
    maxRetriesPerRequest: null,
  };
}

/** Queue and Worker constructors of one queue on the configured backend (no process-wide default). */
export function backendFor(conn: QueueConnection, name: string, poolMax = 4) {
  if (conn.redisUrl) {
    const connection = redisConnection(conn.redisUrl);
    const prefix = conn.redisPrefix ?? 'sagachart';
    return {
      backend: 'redis' as const,
      // The producer fails fast while Redis is away (no offline queue): a request must not
      // hang on a dispatch that the recovery sweep will redo anyway. Workers keep waiting.
      makeQueue: () =>
        new Queue(name, {
          connection: { ...connection, enableOfflineQueue: false },
          prefix,
        }),
      makeWorker: (p: Processor, opts: WorkerSettings) =>
        new Worker(name, p, { connection, prefix, ...workerOptions(opts) }),
    };
  }
  const pg = withBackend(createPostgresBackend);
  // Each Queue/Worker builds its own small pool in the `bullmq` schema; migrate creates it.
  const connection = {
    connectionString: conn.databaseUrl,
    migrate: true,
    schema: 'bullmq',
    max: poolMax,
    // For the pool's connections (guarded-pg-client.ts). A worker's dedicated LISTEN client is
    // BullMQ's own: the process's last-resort handler covers it (logging/uncaught-errors.ts).
    Client: GuardedPgClient,
  };
  return {
    backend: 'postgres' as const,
    makeQueue: () => new pg.Queue(name, { connection }) as unknown as Queue,
    makeWorker: (p: Processor, opts: WorkerSettings) =>
      new pg.Worker(name, p, {
        connection,
        ...workerOptions(opts),
      }) as unknown as Worker,
  };
}

export interface WorkerSettings {
  concurrency: number;
  stalledIntervalMs: number;
}

function workerOptions(opts: WorkerSettings) {
  return {
    concurrency: opts.concurrency,
    // A killed worker's job is picked up again within about three stall intervals. The lock
    // outlives two checks so that a busy event loop renewing it late is not taken for a
    // dead worker (which would run the same attempt twice — harmless by idempotency key,
    // but wasted).
    lockDuration: opts.stalledIntervalMs * 2,
    stalledInterval: opts.stalledIntervalMs,
    // A job whose worker was killed twice mid-run is still retried, not failed.
    maxStalledCount: 10,
    autorun: false,
    settings: {
      backoffStrategy: (
        attemptsMade: number,
        _type?: string,
        err?: Error,
        job?: { data?: unknown; opts?: JobsOptions },
      ) => {
        // Jobs carry their own cap (a step's maxBackoffMs, or the event delivery cap).
        const data = job?.data as { maxBackoffMs?: number } | undefined;
        const base = typeof job?.opts?.backoff === 'object' ? (job.opts.backoff.delay ?? 100) : 100;
        const backoff = sagaBackoff(attemptsMade, base, data?.maxBackoffMs ?? 30_000);
        // A participant that answered Retry-After gets no attempt sooner than it asked.
        const retryAfter = (err as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
        return typeof retryAfter === 'number' ? Math.max(backoff, retryAfter) : backoff;
      },
    },
  };
}

/**
 * BullMQ's PostgreSQL backend memoizes its first readiness check (schema and migrations), and
 * every later query awaits it: a Queue or Worker whose check ran while PostgreSQL was down or
 * shutting down fails every call for the rest of its life, at once and with the same error.
 * (The chaos soak saw a worker restarted during an outage log thousands of them a second.)
 * Such an instance is replaced, never reused.
 */
function failsReadiness(instance: { waitUntilReady(): Promise<unknown> }): Promise<boolean> {
  return instance.waitUntilReady().then(
    () => false,
    () => true,
  );
}

/** One BullMQ queue (producer side) that can also make its workers; see failsReadiness. */
export class BullQueue {
  readonly backend: 'postgres' | 'redis';
  private current: Queue;
  private broken: Promise<boolean>;
  private readonly makeQueueFn: () => Queue;
  private readonly makeWorkerFn: (p: Processor, opts: WorkerSettings) => Worker;

  /** @param poolMax PostgreSQL backend: connections of each Queue's and Worker's own pool. */
  constructor(
    conn: QueueConnection,
    readonly name: string,
    poolMax = 4,
  ) {
    const b = backendFor(conn, name, poolMax);
    this.backend = b.backend;
    this.makeQueueFn = b.makeQueue;
    this.current = b.makeQueue();
    this.broken = failsReadiness(this.current);
    this.makeWorkerFn = b.makeWorker;
  }

  /** The producer: the one made at start, or its replacement once that one failed to start. */
  get queue(): Queue {
    return this.current;
  }

  async ready(): Promise<void> {
    await (await this.usable()).waitUntilReady();
  }

  /** The producer, replaced first when its start-up failed (see failsReadiness). */
  protected async usable(): Promise<Queue> {
    const q = this.current;
    if (this.backend === 'postgres' && (await this.broken) && this.current === q) {
      this.current = this.makeQueueFn();
      this.broken = failsReadiness(this.current);
      void q.close().catch(() => undefined);
    }
    return this.current;
  }

  /** Adds a job; with a `jobId`, adding the same id again is a no-op while the job is kept. */
  async add(name: string, data: unknown, opts: JobsOptions): Promise<void> {
    // add() rather than addBulk(): only add() deduplicates on jobId.
    await (await this.usable()).add(name, data, opts);
  }

  async getJob(id: string): Promise<Job | undefined> {
    return (await this.usable()).getJob(id);
  }

  /**
   * A worker that has started (see failsReadiness): made again, with a growing pause, until
   * one does; null when `stop` aborts first.
   */
  async createReadyWorker(
    processor: Processor,
    settings: WorkerSettings,
    stop: AbortSignal,
    onRetry: (err: Error) => void,
  ): Promise<Worker | null> {
    for (let round = 0; !stop.aborted; round++) {
      const worker = this.makeWorkerFn(processor, settings);
      // Errors of a worker that failed to start are reported once, below.
      const swallow = () => undefined;
      worker.on('error', swallow);
      try {
        await worker.waitUntilReady();
        worker.off('error', swallow);
        return worker;
      } catch (err) {
        onRetry(err as Error);
        await worker.close(true).catch(() => undefined);
        // Aborted by `stop` (shutdown): the loop then ends.
        await sleep(Math.min(5000, 200 * 2 ** round), undefined, { signal: stop }).catch(
          () => undefined,
        );
      }
    }
    return null;
  }

  async counts(): Promise<Record<string, number>> {
    return (await this.usable()).getJobCounts(
      'waiting',
      'active',
      'delayed',
      'failed',
      'completed',
      'prioritized',
    );
  }

  async close(): Promise<void> {
    await this.current.close();
  }
}
