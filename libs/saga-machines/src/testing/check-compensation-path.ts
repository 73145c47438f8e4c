import type { PersistedSagaSnapshot } from '../persisted-saga-snapshot';
import type { SagaDefinition } from '../saga-definition';
import type { SagaEvent } from '../saga-events';
import type { HistoryRecord } from '../saga-history';
import { sagaStatePath } from '../saga-state-path';
import { applySagaEvent, replaySaga, startSaga, type SagaStepResult } from '../saga-step';
import type { CompensationPath } from './generate-compensation-paths';
import { deepEqual } from './deep-equal';

/** What one checked path did. */
export interface CompensationPathResult {
  description: string;
  status: string;
  /** Steps whose action succeeded, in order. */
  succeeded: string[];
  /** Compensations dispatched, in order (a RETRY dispatches the failed one again). */
  compensations: string[];
  /** `${source}|${event}|${target}` of every transition the path took (dotted state paths). */
  transitions: string[];
}

/** Thrown by the checks of this kit; the message names the path and the broken invariant. */
export class CompensationInvariantError extends Error {
  override readonly name = 'CompensationInvariantError';
}

function fail(path: string, message: string): never {
  throw new CompensationInvariantError(`${message}\n  path: ${path}`);
}

/**
 * Runs `path`'s events through the pure step API (startSaga / applySagaEvent) and checks the
 * compensation invariants: it ends COMPENSATED or FAILED; compensations run exactly in reverse
 * order of the steps that succeeded (a RETRY repeats only the failed one); nothing that did not
 * succeed is compensated; FAILED names the failed compensation and needs a person; steps that
 * never ran are pending with 0 attempts; replaying the history gives the same snapshot.
 *
 * @throws {@link CompensationInvariantError} on the first broken invariant.
 */
export function checkCompensationPath(
  definition: SagaDefinition,
  path: CompensationPath,
): CompensationPathResult {
  const where = path.description;
  const input = { sagaId: 'path', input: {}, createdAt: path.steps[0].state.context.createdAt };
  const events = path.steps.slice(1).map((step) => step.event);
  let result: SagaStepResult | null = null;
  const history: HistoryRecord[] = [];
  const succeeded: string[] = [];
  const executed: string[] = [];
  const compensations: string[] = [];
  const transitions: string[] = [];
  events.forEach((event: SagaEvent, i) => {
    const before = result ? sagaStatePath(result.snapshot.value) : 'STARTED';
    result =
      event.type === 'START' && !result
        ? startSaga(definition, { ...input, createdAt: event.at })
        : applySagaEvent(definition, result?.snapshot ?? initial(definition, input), event);
    if (result.ignored)
      fail(where, `event ${i + 1} (${event.type}) was ignored: ${result.ignored.reason}`);
    const after = sagaStatePath(result.snapshot.value);
    const expected = sagaStatePath(path.steps[i + 1].state.value);
    if (after !== expected)
      fail(where, `after event ${i + 1} the saga is ${after}, the model says ${expected}`);
    transitions.push(`${before}|${event.type}|${after}`);
    history.push(...result.history);
    if (event.type === 'STEP_SUCCEEDED') succeeded.push(event.step);
    for (const command of result.commands) {
      (command.kind === 'execute' ? executed : compensations).push(command.step);
    }
  });
  if (!result) fail(where, 'the path has no events');
  const { snapshot, view } = result as SagaStepResult;
  const names = definition.steps.map((s) => s.name);

  if (view.status !== 'COMPENSATED' && view.status !== 'FAILED') {
    fail(where, `ends ${view.status}, not COMPENSATED or FAILED`);
  }
  if (!deepEqual(executed, names.slice(0, executed.length))) {
    fail(where, `steps ran out of order: ${executed.join(', ')}`);
  }
  const reverse = [...succeeded].reverse();
  const distinct = compensations.filter((step, i) => step !== compensations[i - 1]);
  const expectedOrder = view.status === 'COMPENSATED' ? reverse : reverse.slice(0, distinct.length);
  if (!deepEqual(distinct, expectedOrder)) {
    fail(
      where,
      `compensated ${distinct.join(', ') || 'nothing'}, expected ${expectedOrder.join(', ') || 'nothing'} (reverse of the succeeded steps)`,
    );
  }
  for (const step of view.steps) {
    const ran = executed.includes(step.name);
    const didSucceed = succeeded.includes(step.name);
    if (!ran && (step.status !== 'pending' || step.attempts !== 0 || step.compensation !== null)) {
      fail(
        where,
        `step ${step.name} never ran but is ${step.status} with ${step.attempts} attempts`,
      );
    }
    if (ran && !didSucceed && (step.status !== 'failed' || step.compensation !== null)) {
      fail(where, `step ${step.name} did not succeed but is ${step.status}`);
    }
    if (view.status === 'COMPENSATED' && didSucceed && step.status !== 'compensated') {
      fail(where, `step ${step.name} succeeded but is ${step.status} in a COMPENSATED saga`);
    }
  }
  if (view.status === 'FAILED') {
    const failedStep = compensations[compensations.length - 1];
    if (view.error?.step !== failedStep || !view.requiresManualIntervention) {
      fail(where, `FAILED must name the failed compensation ${failedStep} and need a person`);
    }
    if (view.steps.find((s) => s.name === failedStep)?.status !== 'compensation_failed') {
      fail(where, `step ${failedStep} must be compensation_failed`);
    }
  } else if (view.requiresManualIntervention || view.finishedAt === null) {
    fail(where, 'a COMPENSATED saga is finished and needs nobody');
  }
  const replayed = replaySaga(
    definition,
    input,
    history.flatMap((record) => (record.event ? [record.event] : [])),
  );
  if (!deepEqual(replayed, snapshot)) fail(where, 'replaying the history gives another snapshot');
  if (!deepEqual(JSON.parse(JSON.stringify(snapshot)), snapshot))
    fail(where, 'snapshot is not JSON-safe');
  return { description: where, status: view.status, succeeded, compensations, transitions };
}

function initial(
  definition: SagaDefinition,
  input: { sagaId: string; input: unknown; createdAt: string },
): PersistedSagaSnapshot {
  return replaySaga(definition, input, []);
}
