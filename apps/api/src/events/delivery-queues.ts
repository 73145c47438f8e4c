// One BullMQ queue per subscription (issue 13): a slow or failing subscriber only backs up its
// own queue. Queues are made on first use in each process; a worker role process also runs a
// worker per live subscription (event-delivery.worker.ts keeps that set in step).
import type { Processor, Worker } from 'bullmq';
import { createHash } from 'node:crypto';
import type { EventDeliveryConfig } from '../config/app-config';
import { BullQueue, type QueueConnection, type WorkerSettings } from '../runtime/bull-queue';
import type { DeliveryKey } from './event-store';

export interface DeliveryJobData extends DeliveryKey {
  /** Read by the shared backoff strategy (bull-queue.ts): the cap of the exponential backoff. */
  maxBackoffMs: number;
}

/** Retained so that a duplicate add of a finished job stays a no-op for a while. */
const KEEP_COMPLETED = { age: 24 * 3600, count: 10_000 };
const KEEP_FAILED = { age: 7 * 24 * 3600 };

/**
 * PostgreSQL backend: each Queue and Worker has its own pool; per-subscription queues keep
 * theirs small, since connections grow with the number of subscriptions.
 */
const POOL_MAX = 2;

export function deliveryQueueName(subscriptionId: string): string {
  return `event-delivery.${subscriptionId}`;
}

/**
 * Deterministic, so that re-adding a delivery is a no-op. The event id is the publisher's and
 * may be anything BullMQ refuses in a job id (`:`, an integer), hence the hash; the round
 * makes a redelivery a new job.
 */
export function deliveryJobId(k: DeliveryKey): string {
  const h = createHash('sha256').update(k.eventId).digest('hex').slice(0, 40);
  return `d-${h}-r${k.round}`;
}

export class DeliveryQueues {
  private readonly queues = new Map<string, BullQueue>();
  private readonly workers = new Map<string, Worker>();

  constructor(
    private readonly conn: QueueConnection,
    private readonly config: EventDeliveryConfig,
  ) {}

  private queueFor(subscriptionId: string): BullQueue {
    let q = this.queues.get(subscriptionId);
    if (!q) {
      q = new BullQueue(this.conn, deliveryQueueName(subscriptionId), POOL_MAX);
      // Errors surface on the calls that use the queue; an idle one must not crash the process.
      q.queue.on('error', () => undefined);
      this.queues.set(subscriptionId, q);
    }
    return q;
  }

  async enqueue(k: DeliveryKey): Promise<void> {
    await this.queueFor(k.subscriptionId).add(
      'deliver',
      { ...k, maxBackoffMs: this.config.maxBackoffMs } satisfies DeliveryJobData,
      {
        jobId: deliveryJobId(k),
        attempts: this.config.attempts,
        backoff: { type: 'saga', delay: this.config.backoffMs },
        removeOnComplete: KEEP_COMPLETED,
        removeOnFail: KEEP_FAILED,
      },
    );
  }

  /**
   * Makes sure a pending delivery has a job: adds it when missing, replaces it when a finished
   * copy is retained (its outcome never reached the delivery row).
   */
  async ensure(k: DeliveryKey): Promise<'present' | 'added' | 'replaced'> {
    const job = await this.queueFor(k.subscriptionId).getJob(deliveryJobId(k));
    if (job) {
      const state = await job.getState();
      if (state !== 'completed' && state !== 'failed') return 'present';
      await job.remove();
      await this.enqueue(k);
      return 'replaced';
    }
    await this.enqueue(k);
    return 'added';
  }

  hasWorker(subscriptionId: string): boolean {
    return this.workers.has(subscriptionId);
  }

  workerIds(): string[] {
    return [...this.workers.keys()];
  }

  /** Starts the subscription's worker (once); false when `stop` aborted first. */
  async startWorker(
    subscriptionId: string,
    processor: Processor,
    settings: WorkerSettings,
    stop: AbortSignal,
    onError: (err: Error) => void,
  ): Promise<boolean> {
    if (this.workers.has(subscriptionId)) return true;
    const worker = await this.queueFor(subscriptionId).createReadyWorker(
      processor,
      settings,
      stop,
      onError,
    );
    if (!worker) return false;
    worker.on('error', onError);
    this.workers.set(subscriptionId, worker);
    void worker.run();
    return true;
  }

  /** Closes the subscription's worker and queue in this process (a deleted subscription). */
  async drop(subscriptionId: string): Promise<void> {
    const worker = this.workers.get(subscriptionId);
    this.workers.delete(subscriptionId);
    const queue = this.queues.get(subscriptionId);
    this.queues.delete(subscriptionId);
    await worker?.close().catch(() => undefined);
    await queue?.close().catch(() => undefined);
  }

  /** Stops every worker (waiting up to `graceMs` for deliveries in flight), then the queues. */
  async closeWorkers(graceMs: number): Promise<void> {
    const workers = [...this.workers.values()];
    this.workers.clear();
    const closing = Promise.all(workers.map((w) => w.close().catch(() => undefined)));
    const grace = new Promise((r) => setTimeout(r, graceMs).unref());
    if ((await Promise.race([closing.then(() => 'closed'), grace])) !== 'closed') {
      await Promise.all(workers.map((w) => w.close(true).catch(() => undefined)));
    }
  }

  /** Nest: after every BeforeApplicationShutdown (the worker's drain) has run. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    await this.closeWorkers(0);
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
  }
}
