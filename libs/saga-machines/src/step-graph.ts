import type { SagaDefinition, SagaStepDefinition } from './saga-definition';

/** The dependency graph of a definition's steps, computed once per definition object. */
export interface StepGraph {
  /** Steps by name. */
  steps: ReadonlyMap<string, SagaStepDefinition>;
  /** The steps each step waits for. */
  dependencies: ReadonlyMap<string, readonly string[]>;
  /** The steps that wait for each step (the reverse edges: who must be undone first). */
  dependents: ReadonlyMap<string, readonly string[]>;
  /** The pivot step, if the definition has one. */
  pivot: string | null;
}

const graphs = new WeakMap<SagaDefinition, StepGraph>();

/**
 * Whether a definition needs the flow machine (parallel regions, items, pivot) rather than
 * the sequential one: it uses `dependsOn`, `forEach` or `pivot`.
 */
export function isFlowDefinition(definition: Pick<SagaDefinition, 'steps'>): boolean {
  return definition.steps.some(
    (s) => s.dependsOn !== undefined || s.forEach !== undefined || s.pivot === true,
  );
}

/**
 * The steps `step` waits for: its `dependsOn` when the definition declares a graph (a step
 * without it then starts at once), otherwise the step before it.
 */
export function declaredDependencies(
  steps: readonly Pick<SagaStepDefinition, 'name' | 'dependsOn'>[],
  index: number,
): readonly string[] {
  const declaresGraph = steps.some((s) => s.dependsOn !== undefined);
  if (declaresGraph) return steps[index].dependsOn ?? [];
  return index === 0 ? [] : [steps[index - 1].name];
}

/** The step graph of a (valid) definition. */
export function stepGraph(definition: SagaDefinition): StepGraph {
  const cached = graphs.get(definition);
  if (cached) return cached;
  const dependencies = new Map<string, readonly string[]>();
  const dependents = new Map<string, string[]>(definition.steps.map((s) => [s.name, []]));
  definition.steps.forEach((step, i) => {
    const deps = declaredDependencies(definition.steps, i);
    dependencies.set(step.name, deps);
    for (const dep of deps) dependents.get(dep)?.push(step.name);
  });
  const graph: StepGraph = {
    steps: new Map(definition.steps.map((s) => [s.name, s])),
    dependencies,
    dependents,
    pivot: definition.steps.find((s) => s.pivot === true)?.name ?? null,
  };
  graphs.set(definition, graph);
  return graph;
}

/** Every step `step` waits for, directly or through others. */
export function ancestorsOf(
  dependencies: ReadonlyMap<string, readonly string[]>,
  step: string,
): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string) => {
    for (const dep of dependencies.get(name) ?? []) {
      if (!seen.has(dep)) {
        seen.add(dep);
        visit(dep);
      }
    }
  };
  visit(step);
  return seen;
}
