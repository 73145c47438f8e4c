import { createActor, type AnyStateNode, type AnyTransitionDefinition } from 'xstate';
import { createSagaMachine } from '../create-saga-machine';
import type { SagaMachineInput } from '../saga-context';
import type { SagaDefinition } from '../saga-definition';
import { guardStep, stateNodePath, type SagaGraphEdge } from '../saga-machine-graph';
import { stepGraph } from '../step-graph';
import type { CompensationPath } from './generate-compensation-paths';

interface MachineTransition {
  edge: SagaGraphEdge;
  transition: AnyTransitionDefinition;
}

function guardLabel(transition: AnyTransitionDefinition): string {
  const guard = transition.guard as
    string | { type?: string; params?: Record<string, unknown> } | undefined;
  if (guard === undefined) return '';
  if (typeof guard === 'string') return guard;
  const params = Object.values(guard.params ?? {}).join(', ');
  return params ? `${guard.type}(${params})` : String(guard.type);
}

/**
 * Every transition of the machine, the eventless (`always`) ones included: `toDirectedGraph`
 * leaves those out, and in the flow machine they are the very ones that enter COMPENSATING,
 * COMPENSATED and FAILED. Event transitions keep the ids and labels of `sagaMachineGraph`.
 */
function machineTransitions(definition: SagaDefinition): MachineTransition[] {
  const found: MachineTransition[] = [];
  const visit = (node: AnyStateNode) => {
    const withEvent = [...node.transitions.values()].flat();
    [...withEvent, ...(node.always ?? [])].forEach((transition, index) => {
      const eventless = index >= withEvent.length;
      const step = guardStep(transition);
      const label = eventless
        ? `always: ${guardLabel(transition)}`
        : step
          ? `${transition.eventType} [${step}]`
          : transition.eventType;
      (transition.target ?? [node]).forEach((target, k) => {
        found.push({
          transition,
          edge: {
            id: `${node.id}:${index}:${k}`,
            source: stateNodePath(node),
            target: stateNodePath(target),
            event: transition.eventType,
            label,
            internal: !transition.target,
          },
        });
      });
    });
    Object.values(node.states).forEach(visit);
  };
  visit(createSagaMachine(definition).root);
  return found;
}

const enters = (target: string) =>
  target === 'COMPENSATING' ||
  target.startsWith('COMPENSATING.') ||
  target === 'FAILED' ||
  target === 'COMPENSATED';

/**
 * Transitions of the flow machine that no saga of `definition` can take, so they are not asked
 * for (each reason is a fact of the machine, not of a bound):
 * - the past-the-pivot ones (`settledPastPivot`, `stuckForward`) when there is no pivot;
 * - the compensation region of a step without a compensation (the pivot and the steps after
 *   it): it has an effect only once the pivot succeeded, and then nothing is compensated;
 * - a compensation region's `waiting → failed`: COMPENSATING is entered from EXECUTING (no
 *   compensation has run yet) or by a RETRY whose action turns every failed compensation back
 *   into one to run, and a waiting step's compensation cannot fail, so no region ever waits on
 *   a failed one. The machine keeps the guard as a safety net.
 */
function isDead(definition: SagaDefinition, { edge, transition }: MachineTransition): boolean {
  const guard = guardLabel(transition);
  if (stepGraph(definition).pivot === null && /^(settledPastPivot|stuckForward)$/.test(guard)) {
    return true;
  }
  const region = /^COMPENSATING\.([^.]+)\./.exec(edge.source)?.[1];
  if (region && definition.steps.find((s) => s.name === region)?.compensation === undefined) {
    return true;
  }
  return (
    edge.source.startsWith('COMPENSATING.') &&
    edge.source.endsWith('.waiting') &&
    /^stepIs\(.*, compensation_failed\)$/.test(guard)
  );
}

function compensationMachineTransitions(definition: SagaDefinition): MachineTransition[] {
  return machineTransitions(definition).filter(
    (t) => !t.edge.internal && enters(t.edge.target) && !isDead(definition, t),
  );
}

/**
 * Every transition of the machine that enters COMPENSATING (or one of its states), FAILED or
 * COMPENSATED, read from the machine itself, eventless ones included, so a new step brings its
 * own transitions. Left out: transitions no saga of the definition can take (the pivot's when
 * there is none, the compensation of a step that has none, a region waiting on a failure).
 */
export function compensationTransitions(definition: SagaDefinition): SagaGraphEdge[] {
  return compensationMachineTransitions(definition).map((t) => t.edge);
}

/** The transitions (event and eventless) xstate took for each event of `path`. */
export function transitionsTaken(
  definition: SagaDefinition,
  path: CompensationPath,
): Set<AnyTransitionDefinition> {
  const taken = new Set<AnyTransitionDefinition>();
  const { sagaId, input, createdAt } = path.steps[0].state.context;
  const machineInput: SagaMachineInput = { sagaId, input, createdAt };
  const actor = createActor(createSagaMachine(definition), {
    input: machineInput,
    inspect: (inspection) => {
      if (inspection.type === '@xstate.microstep') {
        for (const t of inspection._transitions) taken.add(t);
      }
    },
  });
  actor.start();
  for (const step of path.steps.slice(1)) actor.send(step.event);
  actor.stop();
  return taken;
}

/**
 * The compensation transitions (see {@link compensationTransitions}) that no path in `paths`
 * takes, judged by the transitions xstate itself reports taking (microsteps), so that an
 * eventless transition counts exactly when it fired. Empty means the paths cover every way
 * into compensation.
 */
export function checkCompensationTransitionCoverage(
  definition: SagaDefinition,
  paths: readonly CompensationPath[],
): SagaGraphEdge[] {
  const taken = new Set<AnyTransitionDefinition>();
  for (const path of paths) {
    for (const t of transitionsTaken(definition, path)) taken.add(t);
  }
  return compensationMachineTransitions(definition)
    .filter((t) => !taken.has(t.transition))
    .map((t) => t.edge);
}
