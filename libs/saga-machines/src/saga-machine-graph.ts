import type { AnyStateNode } from 'xstate';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';
import { AWAITING_IN_FLIGHT_STEP, createSagaMachine } from './create-saga-machine';
import type { SagaDefinition } from './saga-definition';

/** A state of the saga statechart, for a visualizer. */
export interface SagaGraphNode {
  /** Dotted path, e.g. `COMPENSATING.process_payment` (the same as a saga's `state`). */
  id: string;
  parent: string | null;
  label: string;
  type: 'atomic' | 'compound' | 'final';
  kind: 'top' | 'step' | 'compensation' | 'awaiting';
}

/** A transition of the saga statechart. A guarded event with several targets is one edge each. */
export interface SagaGraphEdge {
  id: string;
  source: string;
  target: string;
  event: string;
  label: string;
  /** True for a transition without a target: it records something and stays put. */
  internal: boolean;
}

/** The statechart of a definition as plain JSON: every state and every transition. */
export interface SagaMachineGraph {
  nodes: SagaGraphNode[];
  edges: SagaGraphEdge[];
}

/** The dotted path of a state node (`EXECUTING.process_payment`). */
export function stateNodePath(node: AnyStateNode): string {
  return node.path.join('.');
}

function kindOf(node: AnyStateNode): SagaGraphNode['kind'] {
  if (node.path.length === 1) return 'top';
  if (node.key === AWAITING_IN_FLIGHT_STEP) return 'awaiting';
  return node.path[0] === 'COMPENSATING' ? 'compensation' : 'step';
}

function typeOf(node: AnyStateNode): SagaGraphNode['type'] {
  if (node.type === 'final') return 'final';
  return node.type === 'compound' ? 'compound' : 'atomic';
}

/** The step a guarded transition is about (from the guard's params), for edge labels. */
export function guardStep(transition: { guard?: unknown }): string | null {
  const guard = transition.guard as { params?: { step?: unknown } } | undefined;
  return typeof guard?.params?.step === 'string' ? guard.params.step : null;
}

/**
 * The statechart of `definition` for a visualizer, built from `toDirectedGraph` of `xstate/graph`.
 * Node ids are the dotted state paths sagas report, so a saga's `state` highlights its node.
 */
export function sagaMachineGraph(definition: SagaDefinition): SagaMachineGraph {
  const root = toDirectedGraph(createSagaMachine(definition));
  const nodes: SagaGraphNode[] = [];
  const edges: SagaGraphEdge[] = [];
  const visit = (graphNode: DirectedGraphNode) => {
    const node = graphNode.stateNode;
    if (node.path.length > 0) {
      nodes.push({
        id: stateNodePath(node),
        parent: node.path.length > 1 ? node.path.slice(0, -1).join('.') : null,
        label: node.key,
        type: typeOf(node),
        kind: kindOf(node),
      });
    }
    for (const edge of graphNode.edges) {
      const step = guardStep(edge.transition);
      edges.push({
        id: edge.id,
        source: stateNodePath(edge.source),
        target: stateNodePath(edge.target),
        event: edge.transition.eventType,
        label: step ? `${edge.transition.eventType} [${step}]` : edge.transition.eventType,
        internal: !edge.transition.target,
      });
    }
    graphNode.children.forEach(visit);
  };
  visit(root);
  return { nodes, edges };
}
