import type { PersistedSagaSnapshot } from './persisted-saga-snapshot';
import type { SagaDefinition } from './saga-definition';
import type { SagaEvent } from './saga-events';
import { childOfPath, sagaStatePath, statusOfPath } from './saga-state-path';
import { AWAITING_IN_FLIGHT_STEP } from './create-saga-machine';

/** Says in words why the machine did not accept `event` in the saga's current state. */
export function describeIgnoredEvent(
  definition: SagaDefinition,
  persisted: PersistedSagaSnapshot,
  event: SagaEvent,
): string {
  const path = sagaStatePath(persisted.value);
  const status = statusOfPath(path);
  const child = childOfPath(path);
  const step = 'step' in event ? event.step : null;
  if (status === 'COMPLETED' || status === 'COMPENSATED') {
    return `The saga is ${status}, a final state: ${event.type} changes nothing.`;
  }
  if (status === 'FAILED') {
    return `The saga is FAILED: only RETRY is accepted, not ${event.type}.`;
  }
  if (event.type === 'CANCEL' && status === 'EXECUTING') {
    return 'The saga is already stopping (a step failed or a cancel came), or its pivot has started and can no longer be undone: the cancel changes nothing.';
  }
  if (event.type === 'CANCEL') {
    return `The saga is ${status}: a cancel is only accepted in STARTED or EXECUTING.`;
  }
  if (event.type === 'RETRY') return `The saga is ${status}: RETRY is only accepted in FAILED.`;
  if (step !== null && !definition.steps.some((s) => s.name === step)) {
    return `${event.type} names step '${step}', which definition '${definition.name}' does not have.`;
  }
  if (step !== null && child !== null) {
    const awaited =
      child === AWAITING_IN_FLIGHT_STEP
        ? persisted.context.steps.find((s) => s.status === 'running')?.name
        : child;
    return `${event.type} for step '${step}' does not fit state ${path} (awaiting '${awaited}').`;
  }
  return `${event.type} is not accepted in state ${path}.`;
}
