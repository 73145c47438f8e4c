// What a flow saga's chart highlights: each region's inner state at the chosen moment, the
// regions that are running (NOW, several at once), the transitions each region took, the pivot,
// the compensation order and each forEach step's items. Built from the replayed states.
import { compensationPlan } from './compensation-order.js';
import { plural } from './dom.js';
import { itemCounts } from './item-progress.js';
import { pathOf } from './saga-path.js';
import { COMPENSATION_STATUS_WORDS, STEP_STATUS_WORDS } from './words.js';

const UNDOABLE = new Set(['succeeded', 'compensating', 'compensated', 'compensation_failed']);

/** The steps after the pivot (they wait for it, directly or not): nothing of them is undone. */
export function afterPivot(steps) {
  const pivot = steps.find((s) => s.pivot)?.name;
  const after = new Set();
  if (!pivot) return after;
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of steps) {
      const on = s.dependsOn ?? [];
      if (!after.has(s.name) && on.some((d) => d === pivot || after.has(d))) {
        after.add(s.name);
        grew = true;
      }
    }
  }
  return after;
}

/** Badges of a step's region in EXECUTING: the pivot, and "no compensation" after it. */
export function stepBadges(step, after) {
  if (step.pivot) return [{ text: 'pivot', cls: 'pivot' }];
  if (after.has(step.name)) return [{ text: 'no compensation', cls: 'no-undo' }];
  return [];
}

/** Badges of a step's region in COMPENSATING: its place in the order, or none to undo. */
export function undoBadges(step, order) {
  // A stub region says it in its status line: a badge would not fit beside its name.
  if (!step.compensation) return [];
  const o = order.get(step.name);
  if (!o) return [];
  return [{ text: `undo ${o.n}`, cls: `undo${o.source === 'plan' ? ' planned' : ''}` }];
}

/** Each region's inner state in replayed state `st`: `Map<regionId, phase>`. */
export function regionPhases(st) {
  const phases = new Map();
  const top = st.status;
  for (const s of st.steps) {
    const forward = s.status === 'pending' || s.status === 'running' || s.status === 'failed';
    // A forEach step whose item failed ended failed, even once its other items are undone.
    const itemFailed = (s.items ?? []).some((i) => i.status === 'failed') && s.status !== 'running';
    phases.set(`EXECUTING.${s.name}`, itemFailed ? 'failed' : forward ? s.status : 'succeeded');
    if (top !== 'COMPENSATING' && !st.steps.some((x) => x.compensation)) continue;
    const c = s.compensation?.status;
    const effect = UNDOABLE.has(s.status) || (s.items ?? []).some((i) => UNDOABLE.has(i.status));
    phases.set(
      `COMPENSATING.${s.name}`,
      c === 'running' ? 'running' : c === 'failed' ? 'failed' : c || !effect ? 'done' : 'waiting',
    );
  }
  // The machine's own word where the saga is in a parallel state.
  for (const [region, phase] of Object.entries(st.regions ?? {}))
    phases.set(`${top}.${region}`, phase);
  return phases;
}

/** Per region, the inner states it went through, in order. */
function phaseHistory(states) {
  const seen = new Map();
  for (const st of states) {
    if (st.status === 'STARTED') continue;
    for (const [region, phase] of regionPhases(st)) {
      const list = seen.get(region) ?? [];
      if (list[list.length - 1] !== phase) list.push(phase);
      seen.set(region, list);
    }
  }
  return seen;
}

/** The top-level states the saga went through, in order. */
function topPath(states) {
  const tops = ['STARTED'];
  for (const st of states) if (tops[tops.length - 1] !== st.status) tops.push(st.status);
  return tops;
}

/** The machine's transitions the saga took (for the path view's layout), as edge ids. */
export function flowTakenEdgeIds(machine, states) {
  const ids = new Set();
  const hops = new Set();
  const tops = topPath(states);
  for (let i = 1; i < tops.length; i++) hops.add(`${tops[i - 1]}→${tops[i]}`);
  for (const [region, list] of phaseHistory(states)) {
    const start = region.startsWith('EXECUTING.') ? 'pending' : 'waiting';
    const full = list[0] === start ? list : [start, ...list];
    for (let i = 1; i < full.length; i++) hops.add(`${region}.${full[i - 1]}→${region}.${full[i]}`);
  }
  for (const e of machine.edges) if (hops.has(`${e.source}→${e.target}`)) ids.add(e.id);
  return ids;
}

function toneOfHop(target) {
  if (target === 'FAILED' || target.endsWith('.failed'))
    return target.startsWith('EXECUTING') ? 'failed' : 'comp-failed';
  if (target.startsWith('COMPENSATING') || target === 'COMPENSATED') return 'compensated';
  return 'path';
}

/**
 * Highlight data for renderStatechart: `current` (the first running region, for scrolling) and
 * `currents` (every running region, or the one top-level state).
 */
export function flowHighlightOf(layout, states, { steps, order }) {
  const path = pathOf(states);
  const last = states[states.length - 1];
  const parts = (last?.state ?? 'STARTED').split(',');
  const currents = new Set(parts);
  const byName = new Map((last?.steps ?? []).map((s) => [s.name, s]));
  const defs = new Map(steps.map((s) => [s.name, s]));
  const after = afterPivot(steps);
  const tops = topPath(states);
  const history = phaseHistory(states);
  const phasesNow = last ? regionPhases(last) : new Map();
  const nodes = new Map();
  for (const [id, box] of layout.boxes) {
    const n = box.node;
    if (n.kind === 'top') {
      const visits = path.flatMap((p, i) => (p.state.split(/[.,]/)[0] === id ? [i + 1] : []));
      if (!visits.length) continue;
      const tone =
        { FAILED: 'comp-failed', COMPENSATED: 'compensated', COMPENSATING: 'compensated' }[id] ??
        'path';
      nodes.set(id, {
        tone,
        visits,
        status: currents.has(id) ? 'current state' : 'passed through',
      });
      continue;
    }
    if (n.kind === 'phase') {
      const visited = history.get(n.parent)?.includes(n.label);
      if (!visited) continue;
      // The inner state a region is in now, while the saga is in that region's parallel state.
      const now = phasesNow.get(n.parent) === n.label && n.parent.startsWith(`${last.status}.`);
      nodes.set(id, { tone: toneOfHop(id), visits: [], now });
      continue;
    }
    const step = byName.get(n.label);
    const def = defs.get(n.label);
    if (!step || !def) continue;
    if (n.kind === 'step') {
      const ran = step.status !== 'pending';
      const c = step.items ? itemCounts(step.items) : null;
      const items = c
        ? ` · ${c.succeeded}/${c.total} items ok${c.failed ? `, ${c.failed} failed` : ''}`
        : '';
      nodes.set(id, {
        tone: phasesNow.get(id) === 'failed' ? 'failed' : ran ? 'path' : null,
        visits: [],
        status: `${STEP_STATUS_WORDS[step.status] ?? step.status}${step.items ? items : step.attempts ? ` · ${plural(step.attempts, 'attempt')}` : ''}`,
        badges: stepBadges(def, after),
        phase: phasesNow.get(id),
      });
    } else if (n.kind === 'compensation') {
      const c = step.compensation;
      const undoneItems = (step.items ?? []).filter((i) => i.compensation?.status === 'succeeded');
      nodes.set(id, {
        tone: c ? (c.status === 'failed' ? 'comp-failed' : 'compensated') : null,
        visits: [],
        status: !def.compensation
          ? def.pivot
            ? 'no compensation: the pivot'
            : 'no compensation: after the pivot'
          : c
            ? `${COMPENSATION_STATUS_WORDS[c.status] ?? c.status}${step.items ? ` · ${undoneItems.length} items undone` : c.attempts ? ` · ${plural(c.attempts, 'attempt')}` : ''}`
            : 'not compensated',
        badges: undoBadges(def, order),
        phase: phasesNow.get(id),
      });
    }
  }
  const edges = new Map();
  const hop = (from, to) => {
    const g = layout.edges.find((x) => !x.loop && x.source === from && x.target === to);
    if (g) edges.set(g.id, toneOfHop(to));
  };
  for (let i = 1; i < tops.length; i++) hop(tops[i - 1], tops[i]);
  for (const [region, list] of history) {
    const start = region.startsWith('EXECUTING.') ? 'pending' : 'waiting';
    const full = list[0] === start ? list : [start, ...list];
    for (let i = 1; i < full.length; i++) hop(`${region}.${full[i - 1]}`, `${region}.${full[i]}`);
  }
  // A path entry of a flow saga may name several regions: its colour is its top state's.
  const TOP_TONE = {
    COMPENSATING: 'compensated',
    COMPENSATED: 'compensated',
    FAILED: 'comp-failed',
  };
  const pathTones = new Map(
    path.map((p) => [p.state, TOP_TONE[p.state.split(/[.,]/)[0]] ?? 'path']),
  );
  const current = parts[0];
  return { nodes, edges, current, currents, path, pathTones };
}

/** Highlight data for a flow definition alone: each region's call, the pivot, the undo plan. */
export function flowDefinitionLabels(layout, definition) {
  const defs = new Map(definition.steps.map((s) => [s.name, s]));
  const after = afterPivot(definition.steps);
  const order = new Map(
    [...compensationPlan(definition.steps)].map(([name, n]) => [name, { n, source: 'definition' }]),
  );
  const nodes = new Map();
  for (const [id, box] of layout.boxes) {
    const def = defs.get(box.node.label);
    if (!def || box.node.kind === 'phase') continue;
    if (box.node.kind === 'step') {
      nodes.set(id, {
        visits: [],
        status: `${def.participant}.${def.action}${def.forEach ? ` · each of ${def.forEach}` : ''}`,
        badges: stepBadges(def, after),
      });
    } else if (box.node.kind === 'compensation') {
      nodes.set(id, {
        visits: [],
        status: def.compensation
          ? `${def.participant}.${def.compensation}`
          : `no compensation: ${def.pivot ? 'the pivot' : 'after the pivot'}`,
        badges: undoBadges(def, order),
      });
    }
  }
  return { nodes, edges: new Map(), current: null, path: [] };
}
