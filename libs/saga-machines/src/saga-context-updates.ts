// The bookkeeping behind the machine's assign actions, as plain functions of (context, event):
// they hold the "what" of every transition so that the machine file only says "when".
import type { CompensationRecord, SagaContext, StepRecord } from './saga-context';
import type { SagaEvent, StepError } from './saga-events';

type Update = Partial<SagaContext>;

function withStep(
  context: SagaContext,
  name: string,
  change: (step: StepRecord) => Partial<StepRecord>,
): StepRecord[] {
  return context.steps.map((step) => (step.name === name ? { ...step, ...change(step) } : step));
}

function withCompensation(
  step: StepRecord,
  change: Partial<CompensationRecord>,
): CompensationRecord {
  // Only called while a compensation runs, which entering its state guarantees.
  return { ...(step.compensation as CompensationRecord), ...change };
}

function attemptOf(event: SagaEvent): number {
  return 'attempt' in event ? event.attempt : 0;
}

function errorOf(event: SagaEvent): StepError | null {
  return 'error' in event ? event.error : null;
}

/** Entering EXECUTING.<step>: the step's action is dispatched now. */
export function markStepRunning(context: SagaContext, event: SagaEvent, step: string): Update {
  return {
    updatedAt: event.at,
    steps: withStep(context, step, () => ({ status: 'running', attempts: 0, startedAt: event.at })),
  };
}

export function markStepSucceeded(
  context: SagaContext,
  event: SagaEvent & { step: string },
): Update {
  return {
    updatedAt: event.at,
    steps: withStep(context, event.step, () => ({
      status: 'succeeded',
      attempts: attemptOf(event),
      finishedAt: event.at,
      output: 'output' in event ? event.output : null,
      error: null,
    })),
  };
}

/** A retryable attempt failed: counted and recorded, the step keeps running. */
export function markStepAttemptFailed(
  context: SagaContext,
  event: SagaEvent & { step: string },
): Update {
  return {
    updatedAt: event.at,
    steps: withStep(context, event.step, () => ({
      attempts: attemptOf(event),
      error: errorOf(event),
    })),
  };
}

/** The step failed for good. `asCause`: it is why the saga compensates (not after a cancel). */
export function markStepFailed(
  context: SagaContext,
  event: SagaEvent & { step: string },
  asCause: boolean,
): Update {
  const error = errorOf(event);
  return {
    updatedAt: event.at,
    steps: withStep(context, event.step, () => ({
      status: 'failed',
      attempts: attemptOf(event),
      finishedAt: event.at,
      error,
    })),
    ...(asCause && error
      ? { error: { step: event.step, code: error.code, message: error.message } }
      : {}),
  };
}

export function markCancelled(_context: SagaContext, event: SagaEvent): Update {
  const reason = event.type === 'CANCEL' ? event.reason : 'requested';
  return {
    updatedAt: event.at,
    cancel: { reason, at: event.at },
    error:
      reason === 'deadline'
        ? { step: null, code: 'DEADLINE_EXCEEDED', message: 'The saga passed its deadline.' }
        : { step: null, code: 'CANCELLED', message: 'The saga was cancelled on request.' },
  };
}

/** Entering COMPENSATING.<step>: its compensation is dispatched now, with fresh attempts. */
export function markCompensationRunning(
  context: SagaContext,
  event: SagaEvent,
  step: string,
): Update {
  return {
    updatedAt: event.at,
    steps: withStep(context, step, () => ({
      status: 'compensating',
      compensation: {
        status: 'running',
        attempts: 0,
        startedAt: event.at,
        finishedAt: null,
        output: null,
        error: null,
      },
    })),
  };
}

export function markCompensationSucceeded(
  context: SagaContext,
  event: SagaEvent & { step: string },
): Update {
  return {
    updatedAt: event.at,
    steps: withStep(context, event.step, (step) => ({
      status: 'compensated',
      compensation: withCompensation(step, {
        status: 'succeeded',
        attempts: attemptOf(event),
        finishedAt: event.at,
        output: 'output' in event ? event.output : null,
        error: null,
      }),
    })),
  };
}

export function markCompensationAttemptFailed(
  context: SagaContext,
  event: SagaEvent & { step: string },
): Update {
  return {
    updatedAt: event.at,
    steps: withStep(context, event.step, (step) => ({
      compensation: withCompensation(step, {
        attempts: attemptOf(event),
        error: errorOf(event),
      }),
    })),
  };
}

/** A compensation failed for good: the saga stops and needs a person (never swallowed). */
export function markCompensationFailed(
  context: SagaContext,
  event: SagaEvent & { step: string },
): Update {
  const error = errorOf(event);
  return {
    updatedAt: event.at,
    steps: withStep(context, event.step, (step) => ({
      status: 'compensation_failed',
      compensation: withCompensation(step, {
        status: 'failed',
        attempts: attemptOf(event),
        finishedAt: event.at,
        error,
      }),
    })),
    compensationError: {
      step: event.step,
      code: error?.code ?? 'COMPENSATION_FAILED',
      message: error?.message ?? 'The compensation failed.',
    },
    requiresManualIntervention: true,
  };
}

/** RETRY from FAILED: a new round, so that the retried compensation is a new job. */
export function markRetried(context: SagaContext, event: SagaEvent): Update {
  return {
    updatedAt: event.at,
    retryRound: context.retryRound + 1,
    requiresManualIntervention: false,
    compensationError: null,
    finishedAt: null,
  };
}

/** Entering COMPLETED, COMPENSATED or FAILED. */
export function markFinished(_context: SagaContext, event: SagaEvent): Update {
  return { updatedAt: event.at, finishedAt: event.at };
}
