import type { SagaCommand } from './saga-command';
import type { SagaContext } from './saga-context';
import type { SagaEvent, StepError } from './saga-events';

type Attempted = Pick<SagaCommand, 'kind' | 'step' | 'retry' | 'item'>;

const itemOf = (command: Pick<SagaCommand, 'item'>) =>
  command.item ? { item: command.item.index } : {};

/**
 * The event for an attempt of `command` that failed: final (STEP_FAILED / COMPENSATION_FAILED)
 * when the error is not retryable or the attempts are spent, else an attempt failure.
 */
export function attemptFailedEvent(
  command: Attempted,
  attempt: number,
  error: StepError,
  at: string,
): SagaEvent & { type: `${string}FAILED` } {
  const final = !error.retryable || attempt >= command.retry.maxAttempts;
  const prefix = command.kind === 'execute' ? 'STEP' : 'COMPENSATION';
  const type = final ? (`${prefix}_FAILED` as const) : (`${prefix}_ATTEMPT_FAILED` as const);
  return { type, step: command.step, ...itemOf(command), attempt, error, at };
}

/** Whether an attempt-failed event ends the step (or compensation) for good. */
export function isFinalFailure(event: SagaEvent): boolean {
  return event.type === 'STEP_FAILED' || event.type === 'COMPENSATION_FAILED';
}

/** The event for an attempt of `command` that succeeded with `output`. */
export function attemptSucceededEvent(
  command: Pick<SagaCommand, 'kind' | 'step' | 'item'>,
  attempt: number,
  output: unknown,
  at: string,
): SagaEvent {
  const type = command.kind === 'execute' ? 'STEP_SUCCEEDED' : 'COMPENSATION_SUCCEEDED';
  return { type, step: command.step, ...itemOf(command), attempt, output: output ?? null, at };
}

/** The attempts a step (or its compensation) has counted so far in this round. */
export function countedAttempts(
  context: Pick<SagaContext, 'steps'>,
  command: Pick<SagaCommand, 'step' | 'kind' | 'item'>,
): number {
  const step = context.steps.find((s) => s.name === command.step);
  const target = command.item ? step?.items?.find((i) => i.index === command.item?.index) : step;
  return (command.kind === 'execute' ? target?.attempts : target?.compensation?.attempts) ?? 0;
}
