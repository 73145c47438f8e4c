// BullMQ behind one port: step jobs and deadline jobs, on the PostgreSQL backend by default
// or on Redis when REDIS_URL is set. Job ids are deterministic (the command's dispatchId),
// so adding a job twice runs it once: recovery may re-add whatever a saga waits for.
import type { SagaCommand } from '@app/saga-machines';
import type { Job, JobsOptions } from 'bullmq';
import { BullQueue, type QueueConnection } from './bull-queue';

export { sagaBackoff, type QueueConnection, type WorkerSettings } from './bull-queue';

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

/** Retained so that a duplicate add of a finished job stays a no-op for a while. */
const KEEP_COMPLETED = { age: 24 * 3600, count: 100_000 };
const KEEP_FAILED = { age: 7 * 24 * 3600 };

/** The saga step queue (BullMQ). */
export class StepQueue extends BullQueue {
  constructor(conn: QueueConnection) {
    super(conn, STEP_QUEUE_NAME);
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
