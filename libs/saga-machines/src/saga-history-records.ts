import { countedAttempts } from './attempt-events';
import type { SagaCommand } from './saga-command';
import type { SagaContext } from './saga-context';
import type { SagaEvent } from './saga-events';
import type { HistoryRecord, HistoryType } from './saga-history';

function stepAndAttempt(event: SagaEvent): Pick<HistoryRecord, 'step' | 'attempt'> {
  return {
    step: 'step' in event ? event.step : null,
    attempt: 'attempt' in event ? event.attempt : null,
  };
}

/** The history entry that records an accepted machine event (replayable: `event` is set). */
export function eventRecord(event: SagaEvent, after: SagaContext): HistoryRecord {
  const base = { ...stepAndAttempt(event), at: event.at, event };
  const item = 'item' in event && event.item !== undefined ? { item: event.item } : {};
  const failure = (type: HistoryType, final: boolean): HistoryRecord => {
    const error = 'error' in event ? event.error : null;
    return {
      ...base,
      type,
      data: {
        ...item,
        code: error?.code ?? null,
        message: error?.message ?? null,
        // An attempt failure is retryable by definition: it says another attempt follows.
        retryable: final ? (error?.retryable ?? false) : true,
        final,
      },
    };
  };
  switch (event.type) {
    case 'START':
      return {
        ...base,
        type: 'SAGA_STARTED',
        data: { definition: after.definition, version: after.definitionVersion },
      };
    case 'STEP_SUCCEEDED':
      return { ...base, type: 'STEP_SUCCEEDED', data: { ...item, output: event.output ?? null } };
    case 'STEP_ATTEMPT_FAILED':
      return failure('STEP_FAILED', false);
    case 'STEP_FAILED':
      return failure('STEP_FAILED', true);
    case 'COMPENSATION_SUCCEEDED':
      return {
        ...base,
        type: 'COMPENSATION_SUCCEEDED',
        data: { ...item, output: event.output ?? null },
      };
    case 'COMPENSATION_ATTEMPT_FAILED':
      return failure('COMPENSATION_FAILED', false);
    case 'COMPENSATION_FAILED':
      return failure('COMPENSATION_FAILED', true);
    case 'CANCEL':
      return {
        ...base,
        type: event.reason === 'deadline' ? 'DEADLINE_EXCEEDED' : 'CANCEL_REQUESTED',
        data: { reason: event.reason },
      };
    case 'RETRY':
      return { ...base, type: 'RETRY_REQUESTED', data: { retryRound: after.retryRound } };
  }
}

/** The entry for an event the machine did not accept (it is replayed, and ignored again). */
export function ignoredRecord(event: SagaEvent, reason: string, fallbackAt: string): HistoryRecord {
  const raw = event as Partial<SagaEvent> & { type?: unknown };
  return {
    type: 'EVENT_IGNORED',
    step:
      typeof (raw as { step?: unknown }).step === 'string' ? (raw as { step: string }).step : null,
    attempt:
      typeof (raw as { attempt?: unknown }).attempt === 'number'
        ? (raw as { attempt: number }).attempt
        : null,
    data: { reason, eventType: typeof raw.type === 'string' ? raw.type : null },
    at: typeof raw.at === 'string' ? raw.at : fallbackAt,
    event,
  };
}

/**
 * The attempt a dispatch starts: one past the attempts already counted for the step (or its
 * compensation) in this round. Entering the state resets that count, so this is 1 for a first
 * dispatch and for the first attempt of the fresh round a RETRY from FAILED starts.
 */
function startingAttempt(command: SagaCommand, context: SagaContext): number {
  return countedAttempts(context, command) + 1;
}

/**
 * The derived entry for a dispatched command (STEP_STARTED or COMPENSATION_STARTED), with the
 * attempt it starts; `context` is the saga's context after the transition that dispatched it.
 */
export function commandRecord(
  command: SagaCommand,
  at: string,
  context: SagaContext,
): HistoryRecord {
  return {
    type: command.kind === 'execute' ? 'STEP_STARTED' : 'COMPENSATION_STARTED',
    step: command.step,
    attempt: startingAttempt(command, context),
    data: {
      participant: command.participant,
      operation: command.operation,
      idempotencyKey: command.idempotencyKey,
      dispatchId: command.dispatchId,
      ...(command.item ? { item: command.item.index } : {}),
    },
    at,
    event: null,
  };
}

/** The derived entry for reaching a final status, or null for any other state. */
export function finalRecord(
  status: string,
  context: SagaContext,
  output: Record<string, unknown> | null,
): HistoryRecord | null {
  const at = context.updatedAt;
  const base = { step: null, attempt: null, at, event: null };
  if (status === 'COMPLETED') return { ...base, type: 'SAGA_COMPLETED', data: { output } };
  if (status === 'COMPENSATED') {
    return { ...base, type: 'SAGA_COMPENSATED', data: { error: context.error } };
  }
  if (status === 'FAILED') {
    return {
      ...base,
      // A compensation that failed, or (past the pivot) the step that could not go forward.
      step: context.compensationError?.step ?? context.error?.step ?? null,
      type: 'SAGA_FAILED',
      data: { error: context.compensationError, cause: context.error },
    };
  }
  return null;
}
