// The questions the flow machine asks of a saga's context: pure predicates, so that the machine
// file only wires them to transitions. "Halting" and "past the pivot" are derived from the
// step records rather than stored, so there is one source of truth and replay stays exact.
import type { ItemRecord, SagaContext, StepRecord } from './saga-context';
import type { SagaDefinition } from './saga-definition';
import { stepGraph } from './step-graph';

const UNDOABLE: readonly string[] = [
  'succeeded',
  'compensating',
  'compensated',
  'compensation_failed',
];

export function recordOf(context: SagaContext, step: string): StepRecord {
  const record = context.steps.find((s) => s.name === step);
  if (!record) throw new RangeError(`The saga has no step '${step}'.`);
  return record;
}

/** A step (or any of its items) failed, or a cancel arrived: no new step may start. */
export function isHalting(context: SagaContext): boolean {
  return (
    context.cancel !== null ||
    context.steps.some(
      (s) => s.status === 'failed' || (s.items ?? []).some((i) => i.status === 'failed'),
    )
  );
}

/** The pivot has succeeded: nothing is compensated any more. */
export function isPastPivot(definition: SagaDefinition, context: SagaContext): boolean {
  const pivot = stepGraph(definition).pivot;
  return pivot !== null && recordOf(context, pivot).status === 'succeeded';
}

/** Whether the pivot has started (a cancel could no longer be honoured if it succeeds). */
export function hasPivotStarted(definition: SagaDefinition, context: SagaContext): boolean {
  const pivot = stepGraph(definition).pivot;
  return pivot !== null && recordOf(context, pivot).status !== 'pending';
}

export function isRunning(context: SagaContext): boolean {
  return context.steps.some((s) => s.status === 'running');
}

export function canStart(definition: SagaDefinition, context: SagaContext, step: string): boolean {
  if (recordOf(context, step).status !== 'pending' || isHalting(context)) return false;
  const deps = stepGraph(definition).dependencies.get(step) ?? [];
  return deps.every((dep) => recordOf(context, dep).status === 'succeeded');
}

export function allSucceeded(context: SagaContext): boolean {
  return context.steps.every((s) => s.status === 'succeeded');
}

function itemDidSomething(item: ItemRecord): boolean {
  return UNDOABLE.includes(item.status);
}

/** Whether the step has an effect to undo: it succeeded, or some of its items did. */
export function hasEffect(record: StepRecord): boolean {
  return UNDOABLE.includes(record.status) || (record.items ?? []).some(itemDidSomething);
}

/** Nothing of the step is left to undo: it never took effect, or its compensation succeeded. */
export function isUndone(record: StepRecord): boolean {
  return !hasEffect(record) || record.status === 'compensated';
}

export function anyCompensationFailed(context: SagaContext): boolean {
  return context.steps.some((s) => s.status === 'compensation_failed');
}

export function isCompensating(context: SagaContext): boolean {
  return context.steps.some((s) => s.status === 'compensating');
}

/**
 * The step's compensation may start: it has an effect, every step that depends on it is undone
 * (reverse dependency order), and no compensation has failed (which stops the undoing).
 */
export function canUndo(definition: SagaDefinition, context: SagaContext, step: string): boolean {
  const record = recordOf(context, step);
  if (record.status === 'compensating' || isUndone(record) || anyCompensationFailed(context)) {
    return false;
  }
  const dependents = stepGraph(definition).dependents.get(step) ?? [];
  return dependents.every((d) => isUndone(recordOf(context, d)));
}

/** From FAILED: a step after the pivot failed for good, so RETRY resumes forward. */
export function isStuckForward(definition: SagaDefinition, context: SagaContext): boolean {
  return isPastPivot(definition, context) && context.steps.some((s) => s.status === 'failed');
}
