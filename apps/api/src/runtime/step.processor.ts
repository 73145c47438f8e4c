// The step worker: takes a job, checks the saga still waits for it, calls the participant
// (one attempt), and turns the outcome into an event for the machine.
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import {
  attemptFailedEvent,
  attemptSucceededEvent,
  countedAttempts,
  isFinalFailure,
  pendingCommands,
  sagaView,
  type PersistedSagaSnapshot,
  type SagaCommand,
  type SagaEvent,
  type StepError,
} from '@app/saga-machines';
import { DelayedError, type Worker } from 'bullmq';
import { CallbackTokens } from '../callbacks/callback-tokens';
import { CallbackUrls } from '../callbacks/callback-urls';
import type { SagaInstanceEntity } from '../database/saga-instance.entity';
import { setMaxListeners } from 'node:events';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { SagaException } from '../errors/saga-exception';
import { ParticipantInvoker, toStepError } from './participant-invoker';
import { SagaObserver } from './saga-observer';
import { SagaRuntime } from './saga-runtime.service';
import {
  sagaBackoff,
  StepQueue,
  type DeadlineJobData,
  type SagaJob,
  type StepJobData,
} from './step-queue';

export type StepJobResult =
  { outcome: 'succeeded' | 'failed' | 'deadline' } | { outcome: 'skipped'; reason: string };

@Injectable()
export class StepProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger(StepProcessor.name);
  private worker: Worker | null = null;
  private readonly shutdown = new AbortController();
  private readonly stopStarting = new AbortController();
  private starting: Promise<void> = Promise.resolve();

  constructor(
    private readonly runtime: SagaRuntime,
    private readonly invoker: ParticipantInvoker,
    @Inject(StepQueue) private readonly queue: StepQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly observer: SagaObserver,
    private readonly tokens?: CallbackTokens,
    private readonly callbackUrls?: CallbackUrls,
  ) {
    // Every attempt in flight listens on this one signal until it ends: up to `concurrency`
    // listeners is the normal case, not the leak Node warns about past 10.
    setMaxListeners(Math.max(10, config.workerConcurrency), this.shutdown.signal);
  }

  onApplicationBootstrap(): void {
    if (this.config.role === 'api') return;
    // In the background: a worker started while the queue's database is away is made again
    // until one starts (step-queue.ts, failsReadiness); the process serves meanwhile.
    this.starting = this.startWorker();
  }

  private async startWorker(): Promise<void> {
    const worker = await this.queue.createReadyWorker(
      (job, token) => this.process(job as SagaJob, token),
      {
        concurrency: this.config.workerConcurrency,
        stalledIntervalMs: this.config.stalledIntervalMs,
      },
      this.stopStarting.signal,
      (err) => this.log.warn(`step worker could not start (${err.message}); trying again`),
    );
    if (!worker) return;
    this.worker = worker;
    worker.on('error', (err) => this.log.error(`worker error: ${err.message}`));
    void worker.run();
  }

  /** Stops taking jobs and lets in-flight attempts finish within the shutdown grace. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopStarting.abort();
    await this.starting;
    if (!this.worker) return;
    const closing = this.worker.close();
    const grace = new Promise((r) => setTimeout(r, this.config.shutdownGraceMs).unref());
    if ((await Promise.race([closing.then(() => 'closed'), grace])) !== 'closed') {
      // Past the grace: abort the calls still running; their jobs stay active in the queue
      // and are picked up again (idempotently) after the stall interval.
      this.shutdown.abort();
      await this.worker.close(true);
    }
  }

  async process(job: SagaJob, token?: string): Promise<StepJobResult> {
    if (job.name === 'deadline') return this.deadline(job.data as DeadlineJobData);
    return this.step(job, job.data as StepJobData, token);
  }

  private async deadline(data: DeadlineJobData): Promise<StepJobResult> {
    const event: SagaEvent = { type: 'CANCEL', reason: 'deadline', at: new Date().toISOString() };
    try {
      await this.runtime.apply(data.sagaId, event, 'system');
    } catch (err) {
      if (err instanceof SagaException && err.code === 'SAGA_NOT_FOUND') {
        return { outcome: 'skipped', reason: 'saga not found' };
      }
      throw err;
    }
    return { outcome: 'deadline' };
  }

  private async step(job: SagaJob, data: StepJobData, token?: string): Promise<StepJobResult> {
    const saga = await this.runtime.load(data.sagaId).catch((err: unknown) => {
      if (err instanceof SagaException && err.code === 'SAGA_NOT_FOUND') return null;
      throw err;
    });
    if (!saga) return { outcome: 'skipped', reason: 'saga not found' };
    const definition = await this.runtime.definitionOf(saga);
    const command = pendingCommands(definition, saga.snapshot as never).find(
      (c) => c.dispatchId === data.dispatchId,
    );
    // A redelivered or retried job for a step the saga has moved past does nothing.
    if (!command) return { outcome: 'skipped', reason: 'the saga no longer waits for this step' };

    const view = sagaView(definition, saga.snapshot as never);
    const outputs: Record<string, unknown> = {};
    for (const s of view.steps)
      if (s.status !== 'pending' && s.status !== 'running' && s.status !== 'failed')
        outputs[s.name] = s.output;
    const stepRecord = view.steps.find((s) => s.name === command.step);
    // Compensating one item of a forEach step undoes that item's output.
    const forwardRecord = command.item
      ? stepRecord?.items?.find((i) => i.index === command.item?.index)
      : stepRecord;
    const execute = command.kind === 'execute';
    // An async attempt ends by callback or timeout, not by this job failing, so its number is
    // the saga's own count (which every outcome, callback or not, advances).
    const counted = countedAttempts((saga.snapshot as PersistedSagaSnapshot).context, command);
    if (command.async && data.awaiting && counted < data.awaiting.attempt) {
      // Woken before the attempt's deadline (a retry of this job after a failed park, or a
      // moved delay) while still no outcome: keep waiting. Only the deadline times it out.
      if (Date.now() < data.awaiting.until) {
        return this.delayJob(job, token, data, data.awaiting.until);
      }
      return this.asyncTimedOut(job, token, saga, command, data.awaiting.attempt);
    }
    const attempt = command.async ? counted + 1 : job.attemptsMade + 1;
    const callbackUrl =
      command.async && this.tokens && this.callbackUrls
        ? this.callbackUrls.forToken(
            this.tokens.issue({
              sagaId: command.sagaId,
              step: command.step,
              kind: command.kind,
              item: command.item?.index ?? null,
              round: (saga.snapshot as PersistedSagaSnapshot).context.retryRound,
            }),
          )
        : undefined;
    const began = performance.now();
    let output: unknown;
    let failure: { error: unknown } | null = null;
    try {
      output = await this.invoker.invoke(
        command,
        {
          sagaId: command.sagaId,
          step: command.step,
          kind: command.kind,
          idempotencyKey: command.idempotencyKey,
          input: (saga.snapshot as { context?: { input?: unknown } }).context?.input ?? null,
          outputs,
          forwardOutput: execute ? undefined : forwardRecord?.output,
          attempt,
          callbackUrl,
          item: command.item,
        },
        this.shutdown.signal,
        definition,
      );
    } catch (error) {
      failure = { error };
    }
    // The participant call's own duration, not including our write of its outcome.
    const durationMs = performance.now() - began;
    const observe = (outcome: 'succeeded' | 'failed' | 'retrying', errorCode: string | null) =>
      this.observer.emit('attempt', {
        command,
        definition: saga.definition,
        attempt,
        durationMs,
        outcome,
        errorCode,
      });
    const at = new Date().toISOString();
    // Writing an outcome may itself fail (database down): that throws out of here, BullMQ
    // runs the attempt again, and the participant answers the repeat from its idempotency key.
    if (!failure && command.async) {
      // Accepted: the outcome comes by callback. The job waits, delayed, until the attempt's
      // deadline; a callback that arrives first moves the saga on, and the job then finds
      // nothing left to do when it wakes.
      const until = Math.round(Date.now() + Math.max(0, command.timeoutMs - durationMs));
      await this.runtime.note(saga.id, {
        type: execute ? 'STEP_ACCEPTED' : 'COMPENSATION_ACCEPTED',
        step: command.step,
        attempt,
        at,
        data: { awaitingCallbackUntil: new Date(until).toISOString(), reply: output ?? null },
        event: null,
      });
      observe('succeeded', null);
      await this.delayJob(job, token, { ...data, awaiting: { attempt, until } }, until);
    }
    if (!failure) {
      await this.runtime.apply(
        saga.id,
        attemptSucceededEvent(command, attempt, output, at),
        'worker',
        { lastRead: saga },
      );
      observe('succeeded', null);
      return { outcome: 'succeeded' };
    }
    const error = toStepError(failure.error);
    const event = attemptFailedEvent(command, attempt, error, at);
    const final = isFinalFailure(event);
    await this.runtime.apply(saga.id, event, 'worker', { lastRead: saga });
    observe(final ? 'failed' : 'retrying', error.code);
    if (final) return { outcome: 'failed' };
    // Recorded; now let BullMQ schedule the next attempt with backoff (which honours a
    // participant's Retry-After: see the queue's backoff strategy).
    throw failure.error;
  }

  /** An async attempt whose callback did not come before its deadline. */
  private async asyncTimedOut(
    job: SagaJob,
    token: string | undefined,
    saga: SagaInstanceEntity,
    command: SagaCommand,
    attempt: number,
  ): Promise<StepJobResult> {
    const error: StepError = {
      code: 'TIMEOUT',
      message: `${command.step} ${command.kind}: no callback within ${command.timeoutMs} ms of attempt ${attempt}`,
      retryable: true,
    };
    const event = attemptFailedEvent(command, attempt, error, new Date().toISOString());
    const outcome = await this.runtime.apply(saga.id, event, 'worker', { lastRead: saga });
    if (!outcome.applied || isFinalFailure(event)) return { outcome: 'failed' };
    const data = { ...(job.data as StepJobData), awaiting: undefined };
    const backoff = sagaBackoff(attempt, command.retry.backoffMs, command.retry.maxBackoffMs);
    return this.delayJob(job, token, data, Date.now() + backoff);
  }

  /**
   * Parks the job (BullMQ's delayed state, holding no worker slot) until `until`, with `data`.
   * Throws DelayedError, which tells BullMQ the job was moved rather than finished.
   */
  private async delayJob(
    job: SagaJob,
    token: string | undefined,
    data: StepJobData,
    until: number,
  ): Promise<never> {
    if (!token) throw new Error('a step job can only be delayed by the worker holding it');
    await job.updateData(data);
    await job.moveToDelayed(Math.round(until), token);
    throw new DelayedError();
  }
}
