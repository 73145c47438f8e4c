import type { SagaDefinition } from '../saga-definition';
import type { SagaEvent } from '../saga-events';
import type { PersistedSagaSnapshot } from '../persisted-saga-snapshot';
import type { SagaMachineInput, StepRecord, StepStatus } from '../saga-context';
import { sagaStatePath } from '../saga-state-path';
import { applySagaEvent, initialSagaSnapshot } from '../saga-step';
import type { SagaView } from '../saga-view';
import { CompensationLedger, type InvocationKey } from './compensation-ledger';
import type { CompensationPath } from './generate-compensation-paths';
import { deepEqual } from './deep-equal';

/** What one checked path did. */
export interface CompensationPathResult {
  description: string;
  status: string;
  /** Invocations whose action succeeded, in order: `step`, or `step#index` for an item. */
  succeeded: InvocationKey[];
  /** Compensations dispatched, in order (a RETRY dispatches the failed one again). */
  compensations: InvocationKey[];
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

/** The status an invocation must end with, from what the ledger saw happen to it. */
function expectedStatus(ledger: CompensationLedger, key: InvocationKey): StepStatus {
  if (!ledger.started.has(key) && !ledger.succeeded.includes(key)) return 'pending';
  if (!ledger.succeeded.includes(key)) return 'failed';
  if ((ledger.undone.get(key) ?? 0) > 0) return 'compensated';
  return ledger.undoFailed.has(key) ? 'compensation_failed' : 'succeeded';
}

/** A forEach step's own status, from its items' (see flow-context-updates). */
function expectedStepStatus(items: StepStatus[]): StepStatus {
  if (items.every((s) => s === 'pending')) return 'pending';
  if (items.includes('compensation_failed')) return 'compensation_failed';
  if (items.every((s) => s === 'succeeded')) return 'succeeded';
  if (items.includes('compensated') && !items.includes('succeeded')) return 'compensated';
  return 'failed';
}

function checkStatuses(where: string, ledger: CompensationLedger, view: SagaView): void {
  for (const step of view.steps) {
    const invocations: (StepRecord | NonNullable<StepRecord['items']>[number])[] = step.items ?? [
      step,
    ];
    const keys = ledger.keysOf(step.name);
    const statuses = keys.map((key) => expectedStatus(ledger, key));
    if (!step.items && keys.length !== 1) {
      // A forEach step that never started has no item records yet.
      if (statuses.some((s) => s !== 'pending') || step.status !== 'pending')
        fail(where, `step ${step.name} has no items but is ${step.status}`);
      continue;
    }
    if (invocations.length !== keys.length) {
      fail(where, `${step.name} has ${invocations.length} invocations, expected ${keys.length}`);
    }
    invocations.forEach((inv, i) => {
      const expected = statuses[i];
      if (inv.status !== expected) fail(where, `${keys[i]} is ${inv.status}, expected ${expected}`);
      if (expected === 'pending' && inv.attempts !== 0)
        fail(where, `${keys[i]} never ran but has ${inv.attempts} attempts`);
      if ((expected === 'pending' || expected === 'failed') && inv.compensation !== null)
        fail(where, `${keys[i]} did not succeed but has a compensation`);
    });
    const expected = step.items ? expectedStepStatus(statuses) : statuses[0];
    if (step.status !== expected)
      fail(where, `step ${step.name} is ${step.status}, not ${expected}`);
  }
}

/** The final status the rules give, and what FAILED must say. */
function checkOutcome(where: string, ledger: CompensationLedger, view: SagaView): void {
  if (view.status !== 'COMPENSATED' && view.status !== 'FAILED') {
    fail(where, `ends ${view.status}, not COMPENSATED or FAILED`);
  }
  const still = [...ledger.running, ...ledger.undoRunning];
  if (still.length > 0) fail(where, `ends ${view.status} while ${still.join(', ')} still run`);
  const twice = [...ledger.undone].filter(([, n]) => n > 1).map(([k]) => k);
  if (twice.length > 0) fail(where, `compensated more than once: ${twice.join(', ')}`);
  const stuck = ledger.pivotSucceeded || ledger.undoFailed.size > 0;
  if (view.status === 'COMPENSATED') {
    if (stuck) fail(where, 'COMPENSATED although a compensation failed or the pivot succeeded');
    const left = ledger.succeeded.filter((k) => !ledger.undone.has(k));
    if (left.length > 0) fail(where, `COMPENSATED but ${left.join(', ')} never undone`);
    if (view.requiresManualIntervention || view.finishedAt === null)
      fail(where, 'a COMPENSATED saga is finished and needs nobody');
    return;
  }
  if (!stuck) fail(where, 'FAILED, but no compensation failed and the pivot never succeeded');
  if (!view.requiresManualIntervention) fail(where, 'a FAILED saga needs a person');
  if (ledger.pivotSucceeded) {
    // Past the pivot: the first step of this round that failed for good is the error.
    const first = ledger.failed[0]?.split('#')[0];
    if (first === undefined || view.error?.step !== first) {
      fail(where, `FAILED past the pivot must name ${first ?? 'a failed step'}`);
    }
    return;
  }
  const failedStep = ledger.lastUndoFailure?.split('#')[0];
  if (view.error?.step !== failedStep) {
    fail(where, `FAILED must name the failed compensation ${failedStep}`);
  }
}

/** The check's state after a prefix of a path's events. */
interface Reached {
  snapshot: PersistedSagaSnapshot;
  view: SagaView | null;
  ledger: CompensationLedger;
  before: string;
  after: string;
}

// The model's paths share most of their prefixes (every path to an outcome starts with the
// shortest way to some state), so what a prefix did is computed once per definition.
const reachedByDefinition = new WeakMap<SagaDefinition, Map<string, Reached>>();

const stored = <T>(value: T): T => JSON.parse(JSON.stringify(value));

function advance(
  definition: SagaDefinition,
  where: string,
  from: Reached,
  event: SagaEvent,
  n: number,
): Reached {
  const result = applySagaEvent(definition, from.snapshot, event);
  if (result.ignored)
    fail(where, `event ${n} (${event.type}) was ignored: ${result.ignored.reason}`);
  // Replay, one event at a time: the history records exactly this event (and derived entries
  // carry none), and the event applied to the stored copy of the snapshot before it gives the
  // same snapshot again. Folded over the path, that is "replaying the history gives the same
  // snapshot", without folding every path from the start twice.
  const [own, ...derived] = result.history;
  if (!deepEqual(own?.event, event) || derived.some((r) => r.event !== null)) {
    fail(where, `event ${n} (${event.type}) is not recorded as the history's one machine event`);
  }
  const again = applySagaEvent(definition, stored(from.snapshot), stored(event));
  if (!deepEqual(again.snapshot, result.snapshot)) {
    fail(where, `replaying event ${n} (${event.type}) from the stored snapshot gives another one`);
  }
  if (!deepEqual(stored(result.snapshot), result.snapshot)) {
    fail(where, `after event ${n} the snapshot is not JSON-safe`);
  }
  const ledger = from.ledger.clone();
  ledger.record(event);
  for (const command of result.commands) {
    const broken = ledger.violation(command);
    if (broken) fail(where, `after event ${n} (${event.type}): ${broken}`);
  }
  return {
    snapshot: result.snapshot,
    view: result.view,
    ledger,
    before: sagaStatePath(from.snapshot.value),
    after: sagaStatePath(result.snapshot.value),
  };
}

/**
 * Runs `path`'s events through the pure step API (applySagaEvent) and checks the compensation
 * rules with a {@link CompensationLedger} kept from the events alone: every command is allowed
 * when it is issued (a step starts only after its dependencies succeeded and while nothing
 * stops the saga; items start in index order within the concurrency; a compensation only for
 * what succeeded, once, after everything in flight settled, after every succeeded dependent
 * was undone, items in reverse index order, none once the pivot succeeded, no step's after a
 * compensation failed). At the end: COMPENSATED with every success undone exactly once, or
 * FAILED needing a person and naming the failed compensation (past the pivot: the failed
 * step); each step and item has the status its history gives; the history replays to the
 * snapshot. For a sequential definition this is "exactly the reverse order".
 *
 * @throws {@link CompensationInvariantError} on the first broken invariant.
 */
export function checkCompensationPath(
  definition: SagaDefinition,
  path: CompensationPath,
): CompensationPathResult {
  const where = path.description;
  const { sagaId, input, createdAt } = path.steps[0].state.context;
  const machineInput: SagaMachineInput = { sagaId, input, createdAt };
  const cache = reachedByDefinition.get(definition) ?? new Map<string, Reached>();
  reachedByDefinition.set(definition, cache);
  let key = JSON.stringify(machineInput);
  let at: Reached = cache.get(key) ?? {
    snapshot: initialSagaSnapshot(definition, machineInput),
    view: null,
    ledger: new CompensationLedger(definition, input),
    before: 'STARTED',
    after: 'STARTED',
  };
  cache.set(key, at);
  const transitions: string[] = [];
  path.steps.slice(1).forEach(({ event, state }, i) => {
    key += `|${JSON.stringify(event)}`;
    const next = cache.get(key) ?? advance(definition, where, at, event as SagaEvent, i + 1);
    cache.set(key, next);
    const expected = sagaStatePath(state.value);
    if (next.after !== expected)
      fail(where, `after event ${i + 1} the saga is ${next.after}, the model says ${expected}`);
    transitions.push(`${next.before}|${event.type}|${next.after}`);
    at = next;
  });
  const { view, ledger } = at;
  if (!view) fail(where, 'the path has no events');
  checkOutcome(where, ledger, view);
  checkStatuses(where, ledger, view);
  return {
    description: where,
    status: view.status,
    succeeded: [...ledger.succeeded],
    compensations: [...ledger.compensations],
    transitions,
  };
}
