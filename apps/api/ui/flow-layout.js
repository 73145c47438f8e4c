// How a flow definition (dependsOn, forEach, pivot) is laid out. Its EXECUTING and COMPENSATING
// are parallel states with one region per step; the regions are placed in rows (ELK partitions)
// by dependency layer: the steps that may run at once side by side, each row after the steps it
// waits for. Inside COMPENSATING the rows are the undo layers, in reverse dependency order, and
// the steps that have no compensation (the pivot and the steps after it) are one row of stubs
// (their regions never run anything). Dashed edges say who waits for whom.
import { compensationPlan } from './compensation-order.js';

/** A region's inner state (pending, running, …): small, its region says which step it is. */
export const PHASE = { width: 88, height: 28 };
/** A region of a step with no compensation, drawn without its inner states. */
export const STUB = { width: 176, height: 58 };

/** The order of a region's inner states, laid out even when no drawn edge says so. */
const PHASE_ORDER = [
  ['pending', 'running'],
  ['running', 'succeeded'],
  ['running', 'failed'],
  ['waiting', 'running'],
  ['running', 'done'],
];

export function isFlowMachine(machine) {
  return machine.nodes.some((n) => n.type === 'parallel');
}

/**
 * Each step's dependencies, as the engine reads them: the declared graph when any step has
 * `dependsOn` (a step without it starts at once), else the step before.
 */
export function dependenciesOf(steps) {
  const graph = steps.some((s) => Array.isArray(s.dependsOn));
  return new Map(
    steps.map((s, i) => [s.name, graph ? (s.dependsOn ?? []) : i ? [steps[i - 1].name] : []]),
  );
}

/** 0 for a step that waits for nothing, else one past the deepest step it waits for. */
export function forwardLayers(steps) {
  const deps = dependenciesOf(steps);
  const layer = new Map();
  const of = (name) => {
    if (!layer.has(name)) layer.set(name, 1 + Math.max(-1, ...(deps.get(name) ?? []).map(of)));
    return layer.get(name);
  };
  steps.forEach((s) => of(s.name));
  return layer;
}

/**
 * The layout plan of a flow chart, or null for a sequential one (drawn as before). `steps`:
 * the definition's steps (`name`, `dependsOn`, `compensation`).
 */
export function flowLayoutPlan(machine, steps) {
  if (!isFlowMachine(machine) || !steps) return null;
  const byId = new Map(machine.nodes.map((n) => [n.id, n]));
  const forward = forwardLayers(steps);
  const undo = compensationPlan(steps);
  const withUndo = new Set(steps.filter((s) => s.compensation).map((s) => s.name));
  const stubs = new Set(
    steps.filter((s) => !withUndo.has(s.name)).map((s) => `COMPENSATING.${s.name}`),
  );
  const partition = new Map();
  for (const s of steps) {
    partition.set(`EXECUTING.${s.name}`, forward.get(s.name));
    partition.set(`COMPENSATING.${s.name}`, undo.get(s.name) ?? 0);
  }
  const deps = dependenciesOf(steps);
  const extra = [];
  for (const [step, on] of deps) {
    for (const dep of on) {
      extra.push({
        id: `dep:EXECUTING.${dep}→EXECUTING.${step}`,
        from: `EXECUTING.${dep}`,
        to: `EXECUTING.${step}`,
      });
      // The undo of `dep` waits for the undo of `step` (only steps that are undone at all).
      if (withUndo.has(step) && withUndo.has(dep))
        extra.push({
          id: `dep:COMPENSATING.${step}→COMPENSATING.${dep}`,
          from: `COMPENSATING.${step}`,
          to: `COMPENSATING.${dep}`,
        });
    }
  }
  const order = [];
  for (const n of machine.nodes) {
    if (n.kind !== 'phase' || stubs.has(n.parent)) continue;
    for (const [a, b] of PHASE_ORDER) {
      if (n.label === a && byId.has(`${n.parent}.${b}`))
        order.push({ id: `ord:${n.id}→${n.parent}.${b}`, from: n.id, to: `${n.parent}.${b}` });
    }
  }
  const regionOf = (id) => (byId.get(id)?.kind === 'phase' ? byId.get(id).parent : null);
  return {
    /** Whether the state is laid out and drawn (a stub region's inner states are not). */
    shows: (id) => !stubs.has(byId.get(id)?.parent),
    isStub: (id) => stubs.has(id),
    partition: (id) => partition.get(id),
    /** An edge inside one region: drawn without a label (its target's name says it all). */
    quiet: (source, target) => regionOf(source) !== null && regionOf(source) === regionOf(target),
    /** Dependency edges (drawn dashed) and the inner states' order (laid out, not drawn). */
    dependencies: extra,
    ordering: order,
    undo,
  };
}

/** ELK options of a parallel state: its regions in rows, by partition. */
export function parallelOptions(direction) {
  return {
    'elk.padding': '[top=44,left=18,bottom=18,right=18]',
    'elk.direction': direction,
    // Every edge of a flow chart stays within one level (region to region, state to state
    // within a region), so the regions can be laid out on their own, where ELK honours the
    // partitions (it does not across a hierarchy laid out as a whole).
    'elk.hierarchyHandling': 'SEPARATE_CHILDREN',
    'elk.partitioning.activate': 'true',
    // One graph, so that the partitions are rows across all regions (a region alone would
    // otherwise be packed beside the rest as a component of its own).
    'elk.separateConnectedComponents': 'false',
    'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    'elk.layered.crossingMinimization.forceNodeModelOrder': 'true',
    'elk.spacing.nodeNode': '24',
    'elk.layered.spacing.nodeNodeBetweenLayers': '34',
  };
}

/** ELK options of a region: its header holds the step's name, status and badges. */
export function regionOptions(direction, partition) {
  return {
    'elk.padding': '[top=50,left=12,bottom=12,right=12]',
    'elk.direction': direction,
    'elk.partitioning.partition': String(partition ?? 0),
    'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    'elk.spacing.nodeNode': '12',
    'elk.layered.spacing.nodeNodeBetweenLayers': '22',
  };
}
