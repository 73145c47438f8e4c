// The delivery side of choreography, in worker role processes: a BullMQ worker per live
// subscription, each job one HTTP attempt of one delivery, and a periodic pass that keeps the
// set of workers in step with the subscriptions (a cluster's other processes add and delete
// them) and re-adds the jobs of pending deliveries that have none (a crash between commit and
// enqueue). Job ids are deterministic, so re-adding is always safe.
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DeliveryQueues, type DeliveryJobData } from './delivery-queues';
import { EventDeliveryClient } from './event-delivery-client';
import { EventStore, type DeliveryKey } from './event-store';

/** A failed attempt BullMQ is to retry; `retryAfterMs` is read by the backoff strategy. */
export class DeliveryRetryError extends Error {
  override readonly name = 'DeliveryRetryError';
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }
}

export type DeliveryJobResult = { outcome: 'delivered' } | { outcome: 'skipped' };

export interface DeliverySweepReport {
  workersStarted: number;
  workersStopped: number;
  added: number;
  replaced: number;
}

@Injectable()
export class EventDeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger(EventDeliveryWorker.name);
  private readonly client: EventDeliveryClient;
  private readonly stop = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private again = false;

  constructor(
    private readonly store: EventStore,
    @Inject(DeliveryQueues) private readonly queues: DeliveryQueues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.client = new EventDeliveryClient(config.participantHosts, config.signingSecret);
  }

  get enabled(): boolean {
    return this.config.role !== 'api';
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.syncSoon();
    this.timer = setInterval(() => this.syncSoon(), this.config.recoveryIntervalMs);
    this.timer.unref();
  }

  /** Runs a pass now unless one is running (a new subscription gets its worker at once). */
  syncSoon(): void {
    if (!this.enabled || this.stop.signal.aborted) return;
    if (this.running) {
      // The pass under way may have read the subscriptions already: one more after it.
      this.again = true;
      return;
    }
    this.running = this.sweep()
      .catch((err: Error) => this.log.warn(`event delivery sweep failed: ${err.message}`))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.syncSoon();
        }
      });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stop.abort();
    if (this.timer) clearInterval(this.timer);
    while (this.running) await this.running;
    await this.queues.closeWorkers(this.config.shutdownGraceMs);
    await this.client.close();
  }

  /** One pass: workers for live subscriptions only, and a job for every stale pending delivery. */
  async sweep(graceMs = this.config.recoveryGraceMs): Promise<DeliverySweepReport> {
    const report: DeliverySweepReport = {
      workersStarted: 0,
      workersStopped: 0,
      added: 0,
      replaced: 0,
    };
    const live = new Set(await this.store.liveSubscriptionIds());
    for (const id of this.queues.workerIds()) {
      if (live.has(id)) continue;
      await this.queues.drop(id);
      report.workersStopped++;
    }
    for (const id of live) {
      if (this.queues.hasWorker(id)) continue;
      const started = await this.queues.startWorker(
        id,
        (job) => this.process(job as Job<DeliveryJobData>),
        {
          concurrency: this.config.events.concurrency,
          stalledIntervalMs: this.config.stalledIntervalMs,
        },
        this.stop.signal,
        (err) => this.log.warn(`event delivery worker of subscription ${id}: ${err.message}`),
      );
      if (started) report.workersStarted++;
    }
    for (const k of await this.store.stalePending(new Date(Date.now() - graceMs), 500)) {
      const r = await this.queues.ensure(k);
      if (r === 'added') report.added++;
      if (r === 'replaced') report.replaced++;
    }
    if (report.added || report.replaced) {
      this.log.log(`event delivery recovery: ${JSON.stringify(report)}`);
    }
    return report;
  }

  /** One HTTP attempt of one delivery. */
  async process(job: Job<DeliveryJobData>): Promise<DeliveryJobResult> {
    const k: DeliveryKey = {
      eventId: job.data.eventId,
      subscriptionId: job.data.subscriptionId,
      round: job.data.round,
    };
    // A redelivered job of a delivery already done, redelivered under a newer round, or of a
    // deleted subscription does nothing.
    const attempt = await this.store.startAttempt(k);
    if (!attempt) return { outcome: 'skipped' };
    const signal = AbortSignal.any([
      this.stop.signal,
      AbortSignal.timeout(this.config.events.timeoutMs),
    ]);
    const result = await this.client.deliver(attempt.url, attempt.event, attempt.attempts, signal);
    if (result.kind === 'delivered') {
      await this.store.recordOutcome(k, 'delivered', null, result.statusCode);
      return { outcome: 'delivered' };
    }
    if (result.kind === 'permanent') {
      await this.store.recordOutcome(k, 'dead', result.error, result.statusCode);
      throw new UnrecoverableError(result.error);
    }
    // attemptsMade counts the attempts that failed before this one.
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    await this.store.recordOutcome(k, last ? 'dead' : 'pending', result.error, result.statusCode);
    throw new DeliveryRetryError(result.error, result.retryAfterMs ?? undefined);
  }
}
