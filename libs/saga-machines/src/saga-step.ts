import { initialTransition, transition } from 'xstate';
import { createSagaMachine, type SagaMachine } from './create-saga-machine';
import { describeIgnoredEvent } from './describe-ignored-event';
import type { PersistedSagaSnapshot } from './persisted-saga-snapshot';
import type { SagaCommand } from './saga-command';
import { commandRecord, eventRecord, finalRecord, ignoredRecord } from './saga-history-records';
import { commandsBetween } from './saga-commands';
import type { SagaMachineInput } from './saga-context';
import type { SagaDefinition } from './saga-definition';
import { sagaEventSchema } from './saga-event-schema';
import type { SagaEvent } from './saga-events';
import type { HistoryRecord } from './saga-history';
import { sagaStatePath, statusOfPath } from './saga-state-path';
import { isFinalStatus } from './is-final-status';
import { sagaOutput, sagaView, type SagaView } from './saga-view';

/** What one event did to a saga: the runtime persists `snapshot` + `history`, then runs `commands`. */
export interface SagaStepResult {
  /** JSON-safe persisted snapshot; the same object that was passed in when the event was ignored. */
  snapshot: PersistedSagaSnapshot;
  view: SagaView;
  /** What the new state asks for: every action or compensation that started running. */
  commands: SagaCommand[];
  /** The event's own entry first (`event` set), then derived entries (`event` null). */
  history: HistoryRecord[];
  /** Set when the event did not fit the saga's state; nothing else changed then. */
  ignored: { reason: string } | null;
}

type MachineSnapshot = ReturnType<SagaMachine['resolveState']>;

function persist(machine: SagaMachine, snapshot: MachineSnapshot): PersistedSagaSnapshot {
  // One JSON pass: what the runtime stores is then exactly what a later call gets back.
  return JSON.parse(JSON.stringify(machine.getPersistedSnapshot(snapshot)));
}

function restore(machine: SagaMachine, persisted: PersistedSagaSnapshot): MachineSnapshot {
  return machine.resolveState(persisted as Parameters<SagaMachine['resolveState']>[0]);
}

function step(
  definition: SagaDefinition,
  machine: SagaMachine,
  persisted: PersistedSagaSnapshot,
  event: SagaEvent,
): SagaStepResult {
  const ignore = (reason: string): SagaStepResult => ({
    snapshot: persisted,
    view: sagaView(definition, persisted),
    commands: [],
    history: [ignoredRecord(event, reason, persisted.context.updatedAt)],
    ignored: { reason },
  });
  const parsed = sagaEventSchema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return ignore(`Malformed event: ${issue.path.join('.') || '(event)'}: ${issue.message}`);
  }
  const before = restore(machine, persisted);
  const [after] = transition(machine, before, event);
  // xstate hands back the very same snapshot object when no transition was enabled.
  if (after === before) return ignore(describeIgnoredEvent(definition, persisted, event));

  const prevPath = sagaStatePath(persisted.value);
  const snapshot = persist(machine, after);
  const path = sagaStatePath(snapshot.value);
  const entered = path !== prevPath;
  const commands = commandsBetween(definition, persisted.context, snapshot.context);
  const history = [eventRecord(event, snapshot.context)];
  history.push(...commands.map((command) => commandRecord(command, event.at, snapshot.context)));
  const status = statusOfPath(path);
  if (entered && isFinalStatus(status)) {
    const output = status === 'COMPLETED' ? sagaOutput(snapshot.context) : null;
    const record = finalRecord(status, snapshot.context, output);
    if (record) history.push(record);
  }
  return { snapshot, view: sagaView(definition, snapshot), commands, history, ignored: null };
}

/** The snapshot of a saga that exists but has not started (state STARTED). */
export function initialSagaSnapshot(
  definition: SagaDefinition,
  input: SagaMachineInput,
): PersistedSagaSnapshot {
  const machine = createSagaMachine(definition);
  const [initial] = initialTransition(machine, input);
  return persist(machine, initial);
}

/**
 * Creates a saga and starts it (START at `input.createdAt`): the result asks for its first step.
 * Pure: no clock, no I/O.
 *
 * @throws {@link SagaDefinitionError} when the definition is invalid.
 */
export function startSaga(definition: SagaDefinition, input: SagaMachineInput): SagaStepResult {
  const machine = createSagaMachine(definition);
  return step(definition, machine, initialSagaSnapshot(definition, input), {
    type: 'START',
    at: input.createdAt,
  });
}

/**
 * Applies one event to a persisted saga. An event that does not fit the current state (wrong
 * step, duplicate, late, malformed) is ignored: the same snapshot comes back with `ignored` set
 * and a single EVENT_IGNORED history entry. This is a pure function.
 */
export function applySagaEvent(
  definition: SagaDefinition,
  persisted: PersistedSagaSnapshot,
  event: SagaEvent,
): SagaStepResult {
  return step(definition, createSagaMachine(definition), persisted, event);
}

/**
 * Folds `events` (a saga's history entries' `event`s, in order) over a fresh saga. Gives the
 * stored snapshot back: that is how a saga is debugged after the fact.
 */
export function replaySaga(
  definition: SagaDefinition,
  input: SagaMachineInput,
  events: readonly SagaEvent[],
): PersistedSagaSnapshot {
  return events.reduce(
    (snapshot, event) => applySagaEvent(definition, snapshot, event).snapshot,
    initialSagaSnapshot(definition, input),
  );
}
