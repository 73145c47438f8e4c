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
  /** `parallel`: a flow definition's EXECUTING and COMPENSATING (one region per step). */
  type: 'atomic' | 'compound' | 'parallel' | 'final';
  /**
   * `step`/`compensation`: a step's state (a flow definition: the step's region); `phase`: a
   * state inside a flow region (`pending`, `running`, … of `EXECUTING.<step>`).
   */
  kind: 'top' | 'step' | 'compensation' | 'awaiting' | 'phase';
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
  /**
   * An eventless (`always`) transition of a flow definition, taken as soon as its guard holds
   * (`event` is then `''` and `label` names the guard, e.g. `canStart [flight]`).
   */
  eventless?: true;
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
  if (node.path.length > 2) return 'phase';
  if (node.key === AWAITING_IN_FLIGHT_STEP) return 'awaiting';
  return node.path[0] === 'COMPENSATING' ? 'compensation' : 'step';
}

function typeOf(node: AnyStateNode): SagaGraphNode['type'] {
  if (node.type === 'final') return 'final';
  if (node.type === 'parallel') return 'parallel';
  return node.type === 'compound' ? 'compound' : 'atomic';
}

/** The step a guarded transition is about (from the guard's params), for edge labels. */
export function guardStep(transition: { guard?: unknown }): string | null {
  const guard = transition.guard as { params?: { step?: unknown } } | undefined;
  return typeof guard?.params?.step === 'string' ? guard.params.step : null;
}

/** An eventless transition's label: its guard, with the status it checks and its step. */
function eventlessLabel(transition: { guard?: unknown }): string {
  const guard = transition.guard as
    string | { type?: string; params?: { status?: unknown } } | undefined;
  const name = typeof guard === 'string' ? guard : (guard?.type ?? 'always');
  const status = typeof guard === 'object' ? guard.params?.status : undefined;
  const step = guardStep(transition);
  return `${name}${typeof status === 'string' ? ` ${status}` : ''}${step ? ` [${step}]` : ''}`;
}

/**
 * The eventless transitions of a state (`xstate/graph` lists only evented ones): a flow
 * definition's regions and parallel states move by them. The sequential machine has none.
 */
function eventlessEdges(node: AnyStateNode): SagaGraphEdge[] {
  return (node.always ?? []).flatMap((transition, i) =>
    (transition.target ?? []).map((target, j) => ({
      id: `${stateNodePath(node)}:always:${i}:${j}`,
      source: stateNodePath(node),
      target: stateNodePath(target),
      event: '',
      label: eventlessLabel(transition),
      internal: false,
      eventless: true as const,
    })),
  );
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
    if (node.path.length > 0) edges.push(...eventlessEdges(node));
    graphNode.children.forEach(visit);
  };
  visit(root);
  return { nodes, edges };
}
