import type { PersistedSagaSnapshot } from './persisted-saga-snapshot';
import type { SagaCommand } from './saga-command';
import type { CompensationRecord, SagaContext, StepRecord, StepStatus } from './saga-context';
import type { SagaDefinition } from './saga-definition';
import { forEachItems } from './json-pointer';

/**
 * The command for running `step`'s action (`execute`) or compensation (`compensate`), for one
 * item of a forEach step when `itemIndex` is given. The idempotency key is the same for every
 * attempt and every round; the dispatch id changes with the retry round, so a RETRY from
 * FAILED becomes a new job rather than a deduplicated one.
 */
export function sagaCommand(
  definition: SagaDefinition,
  context: SagaContext,
  kind: SagaCommand['kind'],
  step: string,
  itemIndex?: number,
): SagaCommand {
  const stepIndex = definition.steps.findIndex((s) => s.name === step);
  const spec = definition.steps[stepIndex];
  if (!spec) throw new RangeError(`Definition '${definition.name}' has no step '${step}'.`);
  const item =
    itemIndex === undefined || spec.forEach === undefined
      ? undefined
      : { index: itemIndex, value: (forEachItems(context.input, spec.forEach) ?? [])[itemIndex] };
  const suffix = item ? `:${item.index}` : '';
  return {
    kind,
    sagaId: context.sagaId,
    step,
    stepIndex,
    participant: spec.participant,
    operation: kind === 'execute' ? spec.action : (spec.compensation ?? ''),
    ...(item ? { item } : {}),
    idempotencyKey: `${context.sagaId}:${step}:${kind}${suffix}`,
    dispatchId: `${context.sagaId}.${step}.${kind}.${context.retryRound}${item ? `.${item.index}` : ''}`,
    timeoutMs: spec.timeoutMs,
    async: (kind === 'execute' ? spec.async : spec.compensationAsync) === true,
    retry: { ...(kind === 'execute' ? spec.retry : (spec.compensationRetry ?? spec.retry)) },
  };
}

/** An invocation of a step: the step itself, or one item of a forEach step. */
interface Invocation {
  status: StepStatus;
  compensation: CompensationRecord | null;
  index?: number;
}

function invocations(record: StepRecord | undefined): Invocation[] {
  if (!record) return [];
  return record.items ?? [record];
}

const compensationRuns = (i: Invocation | undefined) => i?.compensation?.status === 'running';

/**
 * The commands a transition asks for: every invocation (a step, or an item) whose action or
 * compensation started running between `before` and `after`, in definition order.
 */
export function commandsBetween(
  definition: SagaDefinition,
  before: SagaContext,
  after: SagaContext,
): SagaCommand[] {
  const commands: SagaCommand[] = [];
  after.steps.forEach((record, i) => {
    const previous = before.steps[i];
    const earlier = new Map(invocations(previous).map((inv) => [inv.index, inv]));
    for (const inv of invocations(record)) {
      const was = earlier.get(inv.index);
      if (inv.status === 'running' && was?.status !== 'running') {
        commands.push(sagaCommand(definition, after, 'execute', record.name, inv.index));
      }
      if (compensationRuns(inv) && !compensationRuns(was)) {
        commands.push(sagaCommand(definition, after, 'compensate', record.name, inv.index));
      }
    }
  });
  return commands;
}

/**
 * The commands the saga is waiting on, with the dispatch ids they were first issued with: for
 * crash recovery, which re-enqueues them (deduplicated by dispatch id). Every invocation whose
 * action or compensation runs is awaited, including the one a cancel waits for.
 */
export function pendingCommands(
  definition: SagaDefinition,
  persisted: PersistedSagaSnapshot,
): SagaCommand[] {
  const { context } = persisted;
  const commands: SagaCommand[] = [];
  for (const record of context.steps) {
    for (const inv of invocations(record)) {
      if (inv.status === 'running') {
        commands.push(sagaCommand(definition, context, 'execute', record.name, inv.index));
      }
      if (compensationRuns(inv)) {
        commands.push(sagaCommand(definition, context, 'compensate', record.name, inv.index));
      }
    }
  }
  return commands;
}
