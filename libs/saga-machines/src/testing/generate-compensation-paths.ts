import type { StatePath } from 'xstate/graph';
import { createTestModel } from 'xstate/graph';
import { createSagaMachine, type SagaMachine } from '../create-saga-machine';
import type { SagaDefinition } from '../saga-definition';
import type { SagaEvent } from '../saga-events';
import { sagaStatePath } from '../saga-state-path';
import {
  DEFAULT_MODEL_AT,
  compensationModelEvents,
  isCompensationOutcome,
  serializeCompensationState,
  type CompensationModelOptions,
} from './compensation-model';
import { compensationModelInput } from './compensation-model-input';

/** A machine snapshot as xstate/graph hands it out. */
export type SagaMachineSnapshot = ReturnType<SagaMachine['resolveState']>;

/** A path from the initial state to COMPENSATED or FAILED, as xstate/graph describes paths. */
export interface CompensationPath extends StatePath<SagaMachineSnapshot, SagaEvent> {
  /** Readable, e.g. `START → STEP_FAILED(reserve_inventory) → … ⇒ COMPENSATED`. */
  description: string;
}

type Step = CompensationPath['steps'][number];

function describe(steps: Step[], end: SagaMachineSnapshot): string {
  const events = steps.slice(1).map(({ event }) => {
    if (!('step' in event)) return event.type;
    return `${event.type}(${event.step}${event.item === undefined ? '' : `#${event.item}`})`;
  });
  return `${events.join(' → ')} ⇒ ${sagaStatePath(end.value)}`;
}

const edgeKey = (from: SagaMachineSnapshot, event: SagaEvent) =>
  `${serializeCompensationState(from)}|${JSON.stringify(event)}`;

/**
 * Every compensation path of `definition`, generated with `xstate/graph` (`createTestModel`):
 *
 * 1. the shortest path to every distinct outcome (COMPENSATED or FAILED, told apart by each
 *    step's status, the retry round and the cancel): failure at each step, cancel at each step
 *    with the in-flight step succeeding or failing, each failed compensation, RETRY, …;
 * 2. for every transition of the model that those paths do not take (a retryable failed
 *    attempt, say), the shortest path to it, the transition, and the shortest way on to an
 *    outcome: so every explored transition that can lead to compensation is in some path.
 *
 * The events explored per state come from {@link compensationModelEvents}; the options bound them.
 */
export function generateCompensationPaths(
  definition: SagaDefinition,
  options: CompensationModelOptions = {},
): CompensationPath[] {
  const machine = createSagaMachine(definition);
  const events = compensationModelEvents(definition, options);
  const model = createTestModel(machine, {
    events: (snapshot) => events(snapshot),
    serializeState: (snapshot) => serializeCompensationState(snapshot),
    // createTestModel adds a bare `{ type }` for every other event the state handles: drop them.
    filterEvents: (_snapshot, event) => 'at' in event,
    stopWhen: (snapshot) => events(snapshot).length === 0,
    input: {
      sagaId: 'model',
      input: options.input ?? compensationModelInput(definition),
      createdAt: options.at ?? DEFAULT_MODEL_AT,
    },
  });
  const found: CompensationPath[] = model
    .getShortestPaths({ toState: isCompensationOutcome, allowDuplicatePaths: true })
    .map((path) => ({ ...path, description: describe(path.steps, path.state) }));

  const taken = new Set<string>();
  const markTaken = (path: CompensationPath) =>
    path.steps.slice(1).forEach((step, i) => taken.add(edgeKey(path.steps[i].state, step.event)));
  found.forEach(markTaken);

  const adjacency = model.getAdjacencyMap() as unknown as Adjacency;
  const prefixes = new Map(
    model
      .getShortestPaths({ allowDuplicatePaths: true })
      .map((path) => [serializeCompensationState(path.state), path]),
  );
  const onward = shortestWayToOutcome(adjacency);
  for (const [key, { state, transitions }] of Object.entries(adjacency)) {
    for (const { event, state: next } of Object.values(transitions)) {
      const nextKey = serializeCompensationState(next);
      if (next === state || taken.has(edgeKey(state, event)) || !onward.has(nextKey)) continue;
      const prefix = prefixes.get(key);
      if (!prefix) continue;
      const steps: Step[] = [...prefix.steps, { state: next, event }];
      for (let at = nextKey; onward.get(at);) {
        const hop = onward.get(at) as { event: SagaEvent; to: string };
        steps.push({ state: adjacency[hop.to].state, event: hop.event });
        at = hop.to;
      }
      const end = steps[steps.length - 1].state;
      const path = { state: end, steps, weight: steps.length - 1 };
      const withDescription = { ...path, description: describe(steps, end) };
      markTaken(withDescription);
      found.push(withDescription);
    }
  }
  return found;
}

// xstate/graph brands its keys; plain strings are all this file needs.
type Adjacency = Record<
  string,
  {
    state: SagaMachineSnapshot;
    transitions: Record<string, { event: SagaEvent; state: SagaMachineSnapshot }>;
  }
>;

/** For each state that can reach an outcome: the first hop of a shortest way there (null: is one). */
function shortestWayToOutcome(
  adjacency: Adjacency,
): Map<string, { event: SagaEvent; to: string } | null> {
  const incoming = new Map<string, { from: string; event: SagaEvent }[]>();
  const way = new Map<string, { event: SagaEvent; to: string } | null>();
  const queue: string[] = [];
  for (const [key, { state, transitions }] of Object.entries(adjacency)) {
    if (isCompensationOutcome(state)) {
      way.set(key, null);
      queue.push(key);
    }
    for (const { event, state: next } of Object.values(transitions)) {
      if (next === state) continue;
      const to = serializeCompensationState(next);
      incoming.set(to, [...(incoming.get(to) ?? []), { from: key, event }]);
    }
  }
  while (queue.length > 0) {
    const to = queue.shift() as string;
    for (const { from, event } of incoming.get(to) ?? []) {
      if (way.has(from)) continue;
      way.set(from, { event, to });
      queue.push(from);
    }
  }
  return way;
}
