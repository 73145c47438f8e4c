// BullMQ behind one port: step jobs and deadline jobs, on the PostgreSQL backend by default
// or on Redis when REDIS_URL is set. Job ids are deterministic (the command's dispatchId),
// so adding a job twice runs it once: recovery may re-add whatever a saga waits for.
import type { SagaCommand } from '@app/saga-machines';
import {
  createPostgresBackend,
  Queue,
  withBackend,
  Worker,
  type Job,
  type JobsOptions,
  type Processor,
} from 'bullmq';
import { GuardedPgClient } from '../database/guarded-pg-client';

export const STEP_QUEUE_NAME = 'saga-steps';

export interface StepJobData {
  sagaId: string;
  dispatchId: string;
  step: string;
  kind: 'execute' | 'compensate';
  maxBackoffMs: number;
  /** Async steps: the attempt whose callback the (delayed) job waits for, and until when. */
  awaiting?: { attempt: number; until: number };
}

export interface DeadlineJobData {
  sagaId: string;
}

export type SagaJob = Job<StepJobData | DeadlineJobData>;

export interface QueueConnection {
  databaseUrl: string;
  redisUrl?: string;
  /** Redis key prefix: deployments (or test runs) sharing one Redis keep apart by it. */
  redisPrefix?: string;
}

/** Retained so that a duplicate add of a finished job stays a no-op for a while. */
const KEEP_COMPLETED = { age: 24 * 3600, count: 100_000 };
const KEEP_FAILED = { age: 7 * 24 * 3600 };

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

/** Queue and Worker constructors bound to the configured backend (no process-wide default). */
function backendFor(conn: QueueConnection) {
  if (conn.redisUrl) {
    const connection = redisConnection(conn.redisUrl);
    const prefix = conn.redisPrefix ?? 'sagachart';
    return {
      backend: 'redis' as const,
      // The producer fails fast while Redis is away (no offline queue): a request must not
      // hang on a dispatch that the recovery sweep will redo anyway. Workers keep waiting.
      makeQueue: () =>
        new Queue(STEP_QUEUE_NAME, {
          connection: { ...connection, enableOfflineQueue: false },
          prefix,
        }),
      makeWorker: (p: Processor, opts: WorkerSettings) =>
        new Worker(STEP_QUEUE_NAME, p, { connection, prefix, ...workerOptions(opts) }),
    };
  }
  const pg = withBackend(createPostgresBackend);
  // Each Queue/Worker builds its own small pool in the `bullmq` schema; migrate creates it.
  const connection = {
    connectionString: conn.databaseUrl,
    migrate: true,
    schema: 'bullmq',
    max: 4,
    // For the pool's connections (guarded-pg-client.ts). A worker's dedicated LISTEN client is
    // BullMQ's own: the process's last-resort handler covers it (logging/uncaught-errors.ts).
    Client: GuardedPgClient,
  };
  return {
    backend: 'postgres' as const,
    makeQueue: () => new pg.Queue(STEP_QUEUE_NAME, { connection }) as unknown as Queue,
    makeWorker: (p: Processor, opts: WorkerSettings) =>
      new pg.Worker(STEP_QUEUE_NAME, p, {
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
        const data = job?.data as Partial<StepJobData> | undefined;
        const base = typeof job?.opts?.backoff === 'object' ? (job.opts.backoff.delay ?? 100) : 100;
        const backoff = sagaBackoff(attemptsMade, base, data?.maxBackoffMs ?? 30_000);
        // A participant that answered Retry-After gets no attempt sooner than it asked.
        const retryAfter = (err as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
        return typeof retryAfter === 'number' ? Math.max(backoff, retryAfter) : backoff;
      },
    },
  };
}

/** The saga step queue (BullMQ). */
export class StepQueue {
  readonly backend: 'postgres' | 'redis';
  readonly queue: Queue;
  private readonly makeWorkerFn: (p: Processor, opts: WorkerSettings) => Worker;

  constructor(conn: QueueConnection) {
    const b = backendFor(conn);
    this.backend = b.backend;
    this.queue = b.makeQueue();
    this.makeWorkerFn = b.makeWorker;
  }

  async ready(): Promise<void> {
    await this.queue.waitUntilReady();
  }

  /** Enqueues the commands a committed state asks for. */
  async dispatch(commands: SagaCommand[]): Promise<void> {
    for (const c of commands) {
      // add() rather than addBulk(): only add() deduplicates on jobId.
      await this.queue.add('step', stepJobData(c), stepJobOptions(c));
    }
  }

  /**
   * Makes sure a job exists for a command the saga waits for: adds it when missing, and
   * replaces it when a finished copy is retained (its outcome never reached the saga).
   */
  async ensure(command: SagaCommand): Promise<'present' | 'added' | 'replaced'> {
    const job = await this.queue.getJob(command.dispatchId);
    if (job) {
      const state = await job.getState();
      if (state !== 'completed' && state !== 'failed') return 'present';
      await job.remove();
      await this.dispatch([command]);
      return 'replaced';
    }
    await this.dispatch([command]);
    return 'added';
  }

  /** Moves a delayed job's wake-up to `delayMs` from now (nothing when it is not delayed). */
  async wakeAfter(jobId: string, delayMs: number): Promise<void> {
    const job = await this.queue.getJob(jobId);
    if (job && (await job.getState()) === 'delayed') await job.changeDelay(delayMs);
  }

  /** Schedules the saga's deadline: a delayed job that sends CANCEL{reason: deadline}. */
  async scheduleDeadline(sagaId: string, deadlineAt: Date): Promise<void> {
    await this.queue.add('deadline', { sagaId } satisfies DeadlineJobData, {
      jobId: `${sagaId}.deadline`,
      delay: Math.max(0, deadlineAt.getTime() - Date.now()),
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
    });
  }

  async hasDeadline(sagaId: string): Promise<boolean> {
    return (await this.queue.getJob(`${sagaId}.deadline`)) !== undefined;
  }

  createWorker(processor: Processor, settings: WorkerSettings): Worker {
    return this.makeWorkerFn(processor, settings);
  }

  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'failed',
      'completed',
      'prioritized',
    );
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

function stepJobData(c: SagaCommand): StepJobData {
  return {
    sagaId: c.sagaId,
    dispatchId: c.dispatchId,
    step: c.step,
    kind: c.kind,
    maxBackoffMs: c.retry.maxBackoffMs,
  };
}

function stepJobOptions(c: SagaCommand): JobsOptions {
  return {
    jobId: c.dispatchId,
    attempts: c.retry.maxAttempts,
    backoff: { type: 'saga', delay: c.retry.backoffMs },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}
