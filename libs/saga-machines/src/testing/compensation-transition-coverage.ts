import { sagaMachineGraph, type SagaGraphEdge } from '../saga-machine-graph';
import type { SagaDefinition } from '../saga-definition';
import type { SagaEvent } from '../saga-events';
import { sagaStatePath } from '../saga-state-path';
import type { CompensationPath } from './generate-compensation-paths';

/**
 * Every transition of the machine that enters a COMPENSATING.* state, FAILED or COMPENSATED,
 * read from the machine itself (`toDirectedGraph`), so a new step brings its own transitions.
 */
export function compensationTransitions(definition: SagaDefinition): SagaGraphEdge[] {
  return sagaMachineGraph(definition).edges.filter(
    (edge) =>
      !edge.internal &&
      (edge.target.startsWith('COMPENSATING.') ||
        edge.target === 'FAILED' ||
        edge.target === 'COMPENSATED'),
  );
}

function takes(edge: SagaGraphEdge, source: string, event: SagaEvent, target: string): boolean {
  const guardStep = /\[(.+)\]$/.exec(edge.label)?.[1];
  return (
    (source === edge.source || source.startsWith(`${edge.source}.`)) &&
    edge.event === event.type &&
    target === edge.target &&
    // Step events are guarded by their step; RETRY's guard reads the context, its target decides.
    (guardStep === undefined || !('step' in event) || event.step === guardStep)
  );
}

/**
 * The compensation transitions (see {@link compensationTransitions}) that no path in `paths`
 * takes. Empty means the paths cover every way into compensation.
 */
export function checkCompensationTransitionCoverage(
  definition: SagaDefinition,
  paths: readonly CompensationPath[],
): SagaGraphEdge[] {
  const hops = paths.flatMap((path) =>
    path.steps.slice(1).map((step, i) => ({
      source: sagaStatePath(path.steps[i].state.value),
      event: step.event,
      target: sagaStatePath(step.state.value),
    })),
  );
  return compensationTransitions(definition).filter(
    (edge) => !hops.some((hop) => takes(edge, hop.source, hop.event, hop.target)),
  );
}
