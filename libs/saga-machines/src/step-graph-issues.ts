// The rules of a definition's step graph that a field-by-field schema cannot express: known and
// acyclic dependencies, at most one pivot, and who may (and must) have a compensation.
import type { SagaStepDefinition } from './saga-definition';
import { ancestorsOf, declaredDependencies } from './step-graph';

export interface StepGraphIssue {
  path: (string | number)[];
  message: string;
}

type Step = Pick<
  SagaStepDefinition,
  'name' | 'action' | 'compensation' | 'dependsOn' | 'forEach' | 'pivot'
>;

function cycleThrough(dependencies: Map<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const trail: string[] = [];
  const visit = (name: string): string[] | null => {
    if (state.get(name) === 'done') return null;
    if (state.get(name) === 'visiting') return [...trail.slice(trail.indexOf(name)), name];
    state.set(name, 'visiting');
    trail.push(name);
    for (const dep of dependencies.get(name) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    trail.pop();
    state.set(name, 'done');
    return null;
  };
  for (const name of dependencies.keys()) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return null;
}

/** Every problem of the step graph, each with its path and the fix. */
export function stepGraphIssues(steps: readonly Step[]): StepGraphIssue[] {
  const issues: StepGraphIssue[] = [];
  const names = new Set(steps.map((s) => s.name));
  steps.forEach((step, i) => {
    const seen = new Set<string>();
    (step.dependsOn ?? []).forEach((dep, j) => {
      const path = ['steps', i, 'dependsOn', j];
      if (dep === step.name) {
        issues.push({ path, message: `Step '${step.name}' cannot depend on itself.` });
      } else if (!names.has(dep)) {
        issues.push({
          path,
          message: `Step '${step.name}' depends on '${dep}', which is not a step of this definition: list the names of steps it must wait for.`,
        });
      } else if (seen.has(dep)) {
        issues.push({ path, message: `Lists '${dep}' twice: name each step once.` });
      }
      seen.add(dep);
    });
  });
  if (issues.length > 0) return issues;

  const dependencies = new Map(steps.map((s, i) => [s.name, declaredDependencies(steps, i)]));
  const cycle = cycleThrough(dependencies);
  if (cycle) {
    const at = steps.findIndex((s) => s.name === cycle[0]);
    issues.push({
      path: ['steps', at, 'dependsOn'],
      message: `The steps ${cycle.join(' → ')} depend on each other in a cycle, so none of them could start: remove one of these dependencies.`,
    });
    return issues;
  }

  const pivots = steps.map((s, i) => ({ s, i })).filter(({ s }) => s.pivot === true);
  pivots.slice(1).forEach(({ s, i }) => {
    issues.push({
      path: ['steps', i, 'pivot'],
      message: `Step '${s.name}' is a second pivot ('${pivots[0].s.name}' is the first): a saga has one point of no return.`,
    });
  });
  const pivot = pivots[0]?.s;
  if (!pivot) {
    steps.forEach((s, i) => {
      if (s.compensation === undefined) {
        issues.push({
          path: ['steps', i, 'compensation'],
          message: `step '${s.name}' has no compensation: add \`compensation\`, the participant operation that undoes \`${s.action}\`, or mark it \`pivot: true\`.`,
        });
      }
    });
    return issues;
  }
  const pivotIndex = pivots[0].i;
  if (pivot.forEach !== undefined) {
    issues.push({
      path: ['steps', pivotIndex, 'forEach'],
      message: `The pivot '${pivot.name}' cannot be a forEach step: items that succeeded before one failed could not be undone. Make a single-call step the pivot.`,
    });
  }
  if (pivot.compensation !== undefined) {
    issues.push({
      path: ['steps', pivotIndex, 'compensation'],
      message: `The pivot '${pivot.name}' is never compensated (once it succeeded nothing is undone): remove its compensation.`,
    });
  }
  const before = ancestorsOf(dependencies, pivot.name);
  steps.forEach((s, i) => {
    if (s.name === pivot.name) return;
    const after = ancestorsOf(dependencies, s.name).has(pivot.name);
    if (before.has(s.name) && s.compensation === undefined) {
      issues.push({
        path: ['steps', i, 'compensation'],
        message: `step '${s.name}' has no compensation: add \`compensation\`, the participant operation that undoes \`${s.action}\` (it runs before the pivot '${pivot.name}', so it is undone when the pivot fails).`,
      });
    } else if (after && s.compensation !== undefined) {
      issues.push({
        path: ['steps', i, 'compensation'],
        message: `Step '${s.name}' runs after the pivot '${pivot.name}', where nothing is compensated: remove its compensation (it is retried forward instead).`,
      });
    } else if (!after && !before.has(s.name)) {
      issues.push({
        path: ['steps', i, 'dependsOn'],
        message: `Step '${s.name}' runs neither before nor after the pivot '${pivot.name}': make it depend on the pivot, or the pivot on it.`,
      });
    }
  });
  return issues;
}
