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
import { setTimeout as sleep } from 'node:timers/promises';
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

/** The saga step queue (BullMQ). */
export class StepQueue {
  readonly backend: 'postgres' | 'redis';
  private current: Queue;
  private broken: Promise<boolean>;
  private readonly makeQueueFn: () => Queue;
  private readonly makeWorkerFn: (p: Processor, opts: WorkerSettings) => Worker;

  constructor(conn: QueueConnection) {
    const b = backendFor(conn);
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
  private async usable(): Promise<Queue> {
    const q = this.current;
    if (this.backend === 'postgres' && (await this.broken) && this.current === q) {
      this.current = this.makeQueueFn();
      this.broken = failsReadiness(this.current);
      void q.close().catch(() => undefined);
    }
    return this.current;
  }

  /** Enqueues the commands a committed state asks for. */
  async dispatch(commands: SagaCommand[]): Promise<void> {
    const queue = await this.usable();
    for (const c of commands) {
      // add() rather than addBulk(): only add() deduplicates on jobId.
      await queue.add('step', stepJobData(c), stepJobOptions(c));
    }
  }

  /**
   * Makes sure a job exists for a command the saga waits for: adds it when missing, and
   * replaces it when a finished copy is retained (its outcome never reached the saga).
   */
  async ensure(command: SagaCommand): Promise<'present' | 'added' | 'replaced'> {
    const job = await (await this.usable()).getJob(command.dispatchId);
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
    const job = await (await this.usable()).getJob(jobId);
    if (job && (await job.getState()) === 'delayed') await job.changeDelay(delayMs);
  }

  /** Schedules the saga's deadline: a delayed job that sends CANCEL{reason: deadline}. */
  async scheduleDeadline(sagaId: string, deadlineAt: Date): Promise<void> {
    await (
      await this.usable()
    ).add('deadline', { sagaId } satisfies DeadlineJobData, {
      jobId: `${sagaId}.deadline`,
      delay: Math.max(0, deadlineAt.getTime() - Date.now()),
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
    });
  }

  async hasDeadline(sagaId: string): Promise<boolean> {
    return (await (await this.usable()).getJob(`${sagaId}.deadline`)) !== undefined;
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
