// The order of compensations, numbered: "undo 1" starts first; compensations that share a
// number start together and run in parallel. For a definition, the numbers are its reverse
// dependency layers; for a saga that compensated, they are read from its history.

function dependentsOf(steps) {
  const graph = steps.some((s) => Array.isArray(s.dependsOn));
  const dependents = new Map(steps.map((s) => [s.name, []]));
  steps.forEach((s, i) => {
    const deps = graph ? (s.dependsOn ?? []) : i ? [steps[i - 1].name] : [];
    for (const d of deps) dependents.get(d)?.push(s.name);
  });
  return dependents;
}

/**
 * A definition's plan: each step with a compensation gets 1 + the largest number among the
 * steps that depend on it (which must be undone first), or 1 when none does. `only` (a set of
 * names) limits the plan to the steps that are to be undone.
 */
export function compensationPlan(steps, only = null) {
  const dependents = dependentsOf(steps);
  const undone = (name) =>
    steps.some((s) => s.name === name && s.compensation) && (!only || only.has(name));
  const plan = new Map();
  const of = (name) => {
    if (!plan.has(name)) {
      const after = (dependents.get(name) ?? []).filter(undone).map(of);
      plan.set(name, 1 + Math.max(0, ...after));
    }
    return plan.get(name);
  };
  steps.filter((s) => undone(s.name)).forEach((s) => of(s.name));
  return plan;
}

const UNDOABLE = new Set(['succeeded', 'compensating', 'compensated', 'compensation_failed']);

/** Whether a step (as replayed) has anything to undo: it, or one of its items, succeeded. */
function hasEffect(step) {
  return UNDOABLE.has(step.status) || (step.items ?? []).some((i) => UNDOABLE.has(i.status));
}

/**
 * A saga's compensation order, `Map<step, { n, source }>`, from its replayed states (oldest
 * first). A compensation that started gets 1 + the largest number among the compensations
 * that had finished before it started (`source: 'history'`); one that has not started yet, while
 * the saga may still compensate, gets its place in the plan after those (`source: 'plan'`).
 * Empty for a saga that completed, or went past its pivot.
 */
export function sagaCompensationOrder(steps, states) {
  const order = new Map();
  const started = new Map();
  const finished = new Map();
  states.forEach((st, i) => {
    for (const s of st.steps) {
      const begun =
        s.status === 'compensating' ||
        s.status === 'compensated' ||
        s.status === 'compensation_failed' ||
        (s.items ?? []).some((it) => it.compensation !== null);
      if (begun && !started.has(s.name) && steps.some((d) => d.name === s.name && d.compensation))
        started.set(s.name, i);
      if (s.status === 'compensated' && !finished.has(s.name)) finished.set(s.name, i);
    }
  });
  const byStart = [...started].sort((a, b) => a[1] - b[1]);
  for (const [name, at] of byStart) {
    // Finished in the very transition that started it counts: that success is what let it start.
    const before = byStart.filter(
      ([other]) => other !== name && finished.has(other) && finished.get(other) <= at,
    );
    const n = 1 + Math.max(0, ...before.map(([other]) => order.get(other)?.n ?? 0));
    order.set(name, { n, source: 'history' });
  }
  const last = states[states.length - 1];
  if (!last || last.status === 'COMPLETED' || last.status === 'COMPENSATED') return order;
  if (last.status === 'FAILED') return order;
  // Still running or compensating: the steps that would be undone and have not started yet.
  const pending = new Set(
    last.steps
      .filter((s) => !started.has(s.name) && (hasEffect(s) || s.status === 'running'))
      .map((s) => s.name),
  );
  if (!pending.size) return order;
  const pivot = steps.find((s) => s.pivot);
  const pastPivot = pivot && last.steps.find((s) => s.name === pivot.name)?.status === 'succeeded';
  if (pastPivot) return order;
  const floor = Math.max(0, ...[...order.values()].map((o) => o.n));
  const plan = compensationPlan(steps, pending);
  for (const [name, n] of plan) order.set(name, { n: floor + n, source: 'plan' });
  return order;
}
