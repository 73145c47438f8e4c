import { AWAITING_IN_FLIGHT_STEP } from './create-saga-machine';
import type { PersistedSagaSnapshot } from './persisted-saga-snapshot';
import type { SagaCommand } from './saga-command';
import type { SagaContext } from './saga-context';
import type { SagaDefinition } from './saga-definition';
import { childOfPath, sagaStatePath, statusOfPath } from './saga-state-path';

/**
 * The command for running `step`'s action (`execute`) or compensation (`compensate`).
 * The idempotency key is the same for every attempt and every round; the dispatch id changes
 * with the retry round, so a RETRY from FAILED becomes a new job rather than a deduplicated one.
 */
export function sagaCommand(
  definition: SagaDefinition,
  context: SagaContext,
  kind: SagaCommand['kind'],
  step: string,
): SagaCommand {
  const stepIndex = definition.steps.findIndex((s) => s.name === step);
  const spec = definition.steps[stepIndex];
  if (!spec) throw new RangeError(`Definition '${definition.name}' has no step '${step}'.`);
  return {
    kind,
    sagaId: context.sagaId,
    step,
    stepIndex,
    participant: spec.participant,
    operation: kind === 'execute' ? spec.action : spec.compensation,
    idempotencyKey: `${context.sagaId}:${step}:${kind}`,
    dispatchId: `${context.sagaId}.${step}.${kind}.${context.retryRound}`,
    timeoutMs: spec.timeoutMs,
    async: (kind === 'execute' ? spec.async : spec.compensationAsync) === true,
    retry: { ...(kind === 'execute' ? spec.retry : (spec.compensationRetry ?? spec.retry)) },
  };
}

/** What entering the state at `path` asks the runtime to do (nothing for waits and finals). */
export function commandsOnEntry(
  definition: SagaDefinition,
  path: string,
  context: SagaContext,
): SagaCommand[] {
  const child = childOfPath(path);
  if (child === null || child === AWAITING_IN_FLIGHT_STEP) return [];
  const status = statusOfPath(path);
  if (status === 'EXECUTING') return [sagaCommand(definition, context, 'execute', child)];
  if (status === 'COMPENSATING') return [sagaCommand(definition, context, 'compensate', child)];
  return [];
}

/**
 * The command(s) the saga is waiting on, with the dispatch ids they were first issued with:
 * for crash recovery, which re-enqueues them (deduplicated by dispatch id). While a cancel
 * waits for the step in flight, that step's execution is what is awaited.
 */
export function pendingCommands(
  definition: SagaDefinition,
  persisted: PersistedSagaSnapshot,
): SagaCommand[] {
  const path = sagaStatePath(persisted.value);
  if (childOfPath(path) === AWAITING_IN_FLIGHT_STEP) {
    const inFlight = persisted.context.steps.find((s) => s.status === 'running');
    return inFlight ? [sagaCommand(definition, persisted.context, 'execute', inFlight.name)] : [];
  }
  return commandsOnEntry(definition, path, persisted.context);
}
