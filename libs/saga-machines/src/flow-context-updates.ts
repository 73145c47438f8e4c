// The bookkeeping of the flow machine (parallel steps, forEach items, the pivot), as plain
// functions of (definition, context, event). Whole-step changes reuse the sequential machine's
// updates; what is new here is items: started up to `concurrency` in index order, and undone
// one at a time in reverse index order, only those that succeeded.
import type { CompensationRecord, ItemRecord, SagaContext, StepRecord } from './saga-context';
import * as single from './saga-context-updates';
import type { SagaDefinition } from './saga-definition';
import type { SagaEvent, StepError } from './saga-events';
import { isHalting } from './flow-guards';
import { forEachItems } from './json-pointer';

type Update = Partial<SagaContext>;
type StepEvent = SagaEvent & { step: string; item?: number };

/** What a forEach step that was stopped before all its items ran records as its error. */
export const STOPPED_ERROR: StepError = {
  code: 'STOPPED',
  message: 'Stopped before every item ran: another step failed or the saga was cancelled.',
  retryable: false,
};

function specOf(definition: SagaDefinition, step: string) {
  const spec = definition.steps.find((s) => s.name === step);
  if (!spec) throw new RangeError(`Definition '${definition.name}' has no step '${step}'.`);
  return spec;
}

function replaceStep(context: SagaContext, record: StepRecord): StepRecord[] {
  return context.steps.map((s) => (s.name === record.name ? record : s));
}

function stepOf(context: SagaContext, name: string): StepRecord {
  return context.steps.find((s) => s.name === name) as StepRecord;
}

function attemptOf(event: SagaEvent): number {
  return 'attempt' in event ? event.attempt : 0;
}

function errorOf(event: SagaEvent): StepError | null {
  return 'error' in event ? event.error : null;
}

function freshCompensation(at: string): CompensationRecord {
  return {
    status: 'running',
    attempts: 0,
    startedAt: at,
    finishedAt: null,
    output: null,
    error: null,
  };
}

function withItem(record: StepRecord, index: number, change: Partial<ItemRecord>): StepRecord {
  const items = (record.items ?? []).map((i) => (i.index === index ? { ...i, ...change } : i));
  return { ...record, items, attempts: items.reduce((n, i) => n + i.attempts, 0) };
}

/** Starts pending items in index order while fewer than `concurrency` run (none when halting). */
function startNextItems(
  definition: SagaDefinition,
  context: SagaContext,
  record: StepRecord,
): StepRecord {
  if (isHalting({ ...context, steps: replaceStep(context, record) })) return record;
  const limit = specOf(definition, record.name).concurrency ?? 1;
  let running = (record.items ?? []).filter((i) => i.status === 'running').length;
  const items = (record.items ?? []).map((item) => {
    if (item.status !== 'pending' || running >= limit) return item;
    running++;
    return { ...item, status: 'running' as const, attempts: 0, error: null };
  });
  return { ...record, items };
}

/**
 * Once no item of a forEach step runs, the step is settled: succeeded when every item did
 * (its output the array of item outputs), failed when an item failed or the saga halted.
 */
function settleItems(context: SagaContext, record: StepRecord, at: string): Partial<StepRecord> {
  const items = record.items ?? [];
  if (items.some((i) => i.status === 'running')) return {};
  if (items.every((i) => i.status === 'succeeded')) {
    return { status: 'succeeded', finishedAt: at, error: null, output: items.map((i) => i.output) };
  }
  if (items.some((i) => i.status === 'failed') || isHalting(context)) {
    const failed = items.find((i) => i.status === 'failed');
    return { status: 'failed', finishedAt: at, error: failed?.error ?? STOPPED_ERROR };
  }
  return {};
}

function withSettled(context: SagaContext, record: StepRecord, at: string): StepRecord[] {
  const steps = replaceStep(context, record);
  return replaceStep(context, { ...record, ...settleItems({ ...context, steps }, record, at) });
}

/** The error that made the saga compensate, if this failure is the first. */
function causeUpdate(context: SagaContext, event: StepEvent): Update {
  const error = errorOf(event);
  return context.error === null && error
    ? { error: { step: event.step, code: error.code, message: error.message } }
    : {};
}

/** A step's region enters `running`: its action (or its first items) are dispatched now. */
export function startStep(
  definition: SagaDefinition,
  context: SagaContext,
  event: SagaEvent,
  step: string,
): Update {
  const spec = specOf(definition, step);
  if (spec.forEach === undefined) return single.markStepRunning(context, event, step);
  const previous = stepOf(context, step);
  // A forward RETRY resumes a stopped step: its succeeded items stay done.
  const items: ItemRecord[] = previous.items
    ? previous.items.map((i) =>
        i.status === 'succeeded' ? i : { ...i, status: 'pending', attempts: 0, error: null },
      )
    : (forEachItems(context.input, spec.forEach) ?? []).map((_, index) => ({
        index,
        status: 'pending',
        attempts: 0,
        output: null,
        error: null,
        compensation: null,
      }));
  const record: StepRecord = {
    ...previous,
    status: 'running',
    startedAt: event.at,
    finishedAt: null,
    error: null,
    items,
  };
  const started = startNextItems(definition, context, record);
  return { updatedAt: event.at, steps: withSettled(context, started, event.at) };
}

export function stepSucceeded(
  definition: SagaDefinition,
  context: SagaContext,
  event: StepEvent,
): Update {
  if (event.item === undefined) return single.markStepSucceeded(context, event);
  const record = withItem(stepOf(context, event.step), event.item, {
    status: 'succeeded',
    attempts: attemptOf(event),
    output: 'output' in event ? (event.output ?? null) : null,
    error: null,
  });
  const next = startNextItems(definition, context, record);
  return { updatedAt: event.at, steps: withSettled(context, next, event.at) };
}

export function stepAttemptFailed(context: SagaContext, event: StepEvent): Update {
  if (event.item === undefined) return single.markStepAttemptFailed(context, event);
  const record = withItem(stepOf(context, event.step), event.item, {
    attempts: attemptOf(event),
    error: errorOf(event),
  });
  return { updatedAt: event.at, steps: replaceStep(context, record) };
}

/** A step (or an item) failed for good; the first failure is why the saga stops. */
export function stepFailed(context: SagaContext, event: StepEvent): Update {
  const cause = causeUpdate(context, event);
  if (event.item === undefined) {
    return { ...single.markStepFailed(context, event, false), ...cause };
  }
  const record = withItem(stepOf(context, event.step), event.item, {
    status: 'failed',
    attempts: attemptOf(event),
    error: errorOf(event),
  });
  return { updatedAt: event.at, steps: withSettled(context, record, event.at), ...cause };
}

function nextItemToUndo(record: StepRecord): ItemRecord | undefined {
  return [...(record.items ?? [])].reverse().find((i) => i.status === 'succeeded');
}

/** A step's region enters compensation `running`: its compensation (or last item's) runs now. */
export function startUndo(
  definition: SagaDefinition,
  context: SagaContext,
  event: SagaEvent,
  step: string,
): Update {
  if (specOf(definition, step).forEach === undefined) {
    return single.markCompensationRunning(context, event, step);
  }
  const record: StepRecord = {
    ...stepOf(context, step),
    status: 'compensating',
    compensation: freshCompensation(event.at),
  };
  const item = nextItemToUndo(record);
  const started = item
    ? withItem(record, item.index, {
        status: 'compensating',
        compensation: freshCompensation(event.at),
      })
    : record;
  return { updatedAt: event.at, steps: replaceStep(context, started) };
}

export function undoSucceeded(context: SagaContext, event: StepEvent): Update {
  if (event.item === undefined) return single.markCompensationSucceeded(context, event);
  const current = stepOf(context, event.step);
  const item = current.items?.find((i) => i.index === event.item) as ItemRecord;
  let record = withItem(current, event.item, {
    status: 'compensated',
    compensation: {
      ...(item.compensation as CompensationRecord),
      status: 'succeeded',
      attempts: attemptOf(event),
      finishedAt: event.at,
      output: 'output' in event ? (event.output ?? null) : null,
      error: null,
    },
  });
  const next = nextItemToUndo(record);
  if (next) {
    record = withItem(record, next.index, {
      status: 'compensating',
      compensation: freshCompensation(event.at),
    });
  } else {
    record = {
      ...record,
      status: 'compensated',
      compensation: {
        ...(record.compensation as CompensationRecord),
        status: 'succeeded',
        finishedAt: event.at,
        error: null,
      },
    };
  }
  return { updatedAt: event.at, steps: replaceStep(context, record) };
}

export function undoAttemptFailed(context: SagaContext, event: StepEvent): Update {
  if (event.item === undefined) return single.markCompensationAttemptFailed(context, event);
  const current = stepOf(context, event.step);
  const item = current.items?.find((i) => i.index === event.item) as ItemRecord;
  const record = withItem(current, event.item, {
    compensation: {
      ...(item.compensation as CompensationRecord),
      attempts: attemptOf(event),
      error: errorOf(event),
    },
  });
  return { updatedAt: event.at, steps: replaceStep(context, record) };
}

export function undoFailed(context: SagaContext, event: StepEvent): Update {
  if (event.item === undefined) return single.markCompensationFailed(context, event);
  const error = errorOf(event);
  const current = stepOf(context, event.step);
  const item = current.items?.find((i) => i.index === event.item) as ItemRecord;
  const failure = {
    status: 'failed' as const,
    attempts: attemptOf(event),
    finishedAt: event.at,
    error,
  };
  const record: StepRecord = {
    ...withItem(current, event.item, {
      status: 'compensation_failed',
      compensation: { ...(item.compensation as CompensationRecord), ...failure },
    }),
    status: 'compensation_failed',
  };
  record.compensation = { ...(record.compensation as CompensationRecord), ...failure };
  return {
    updatedAt: event.at,
    steps: replaceStep(context, record),
    compensationError: {
      step: event.step,
      code: error?.code ?? 'COMPENSATION_FAILED',
      message: error?.message ?? 'The compensation failed.',
    },
    requiresManualIntervention: true,
  };
}

/** A step after the pivot failed for good: the saga stops FAILED and needs a person. */
export function stoppedPastPivot(_context: SagaContext, event: SagaEvent): Update {
  return { updatedAt: event.at, requiresManualIntervention: true };
}

/** RETRY past the pivot: the failed steps run again with fresh attempts, in a new round. */
export function retriedForward(context: SagaContext, event: SagaEvent): Update {
  return {
    ...single.markRetried(context, event),
    error: null,
    steps: context.steps.map((s) =>
      s.status === 'failed'
        ? { ...s, status: 'pending', attempts: 0, error: null, finishedAt: null }
        : s,
    ),
  };
}

/** RETRY after a failed compensation: it becomes undoable again and runs in a new round. */
export function retriedUndo(context: SagaContext, event: SagaEvent): Update {
  return {
    ...single.markRetried(context, event),
    steps: context.steps.map((s) => {
      if (s.status !== 'compensation_failed') return s;
      if (s.items === undefined) return { ...s, status: 'succeeded' };
      const items = s.items.map((i) =>
        i.status === 'compensation_failed' ? { ...i, status: 'succeeded' as const } : i,
      );
      const whole = items.every((i) => i.status === 'succeeded');
      return { ...s, items, status: whole ? 'succeeded' : 'failed' };
    }),
  };
}
