// Turns replayed states (GET /sagas/:id/states) into what the statechart highlights: the path
// in order, the state at the chosen moment, failed step and compensations in their colours.
import { COMPENSATION_STATUS_WORDS, STEP_STATUS_WORDS } from './words.js';
import { plural } from './dom.js';

const ATTEMPT_FAILED = new Set(['STEP_ATTEMPT_FAILED', 'COMPENSATION_ATTEMPT_FAILED']);

/** The distinct states the saga went through up to `states`' last entry, oldest first. */
export function pathOf(states) {
  const path = [{ state: 'STARTED', seq: 0, eventType: null }];
  for (const st of states) {
    if (st.state !== path[path.length - 1].state)
      path.push({ state: st.state, seq: st.seq, eventType: st.eventType });
  }
  return path;
}

/**
 * The ids of the definition's transitions that the saga took (all of its history, so that time
 * travel only recolours the chart): each change of state, and retried attempts' self-loops.
 */
export function takenEdgeIds(machine, states) {
  const path = pathOf(states);
  const ids = new Set();
  for (let i = 1; i < path.length; i++) {
    const from = path[i - 1].state;
    const candidates = machine.edges.filter(
      (e) =>
        e.target === path[i].state &&
        e.event === path[i].eventType &&
        (e.source === from || from.startsWith(`${e.source}.`)),
    );
    const exact = candidates.filter((e) => e.source === from);
    for (const e of exact.length ? exact : candidates) ids.add(e.id);
  }
  for (const st of states) {
    if (!ATTEMPT_FAILED.has(st.eventType) || st.ignored) continue;
    for (const e of machine.edges)
      if (e.source === st.state && e.target === st.state && e.event === st.eventType) ids.add(e.id);
  }
  return ids;
}

function findGroup(layout, from, to, eventType) {
  const candidates = layout.edges.filter(
    (g) =>
      g.target === to &&
      (g.source === from || from.startsWith(`${g.source}.`)) &&
      g.edges.some((e) => e.event === eventType),
  );
  return candidates.find((g) => g.source === from) ?? candidates[0] ?? null;
}

function edgeTone(to, eventType) {
  if (to === 'FAILED') return 'comp-failed';
  if (eventType === 'STEP_FAILED') return 'failed';
  if (to.startsWith('COMPENSATING') || to === 'COMPENSATED') return 'compensated';
  return 'path';
}

/** Highlight data for renderStatechart from the replayed states up to the chosen moment. */
export function highlightOf(layout, states) {
  const path = pathOf(states);
  const current = path[path.length - 1].state;
  const last = states[states.length - 1];
  const stepsByName = new Map((last?.steps ?? []).map((st) => [st.name, st]));
  const nodes = new Map();
  path.forEach((p, i) => {
    const info = nodes.get(p.state) ?? { visits: [] };
    info.visits.push(i + 1);
    nodes.set(p.state, info);
  });
  for (const [id, box] of layout.boxes) {
    const n = box.node;
    if (n.type === 'compound') continue;
    const info = nodes.get(id) ?? { visits: [] };
    const visited = info.visits.length > 0;
    const step = stepsByName.get(n.label);
    if (n.kind === 'step' && step) {
      info.tone = visited ? (step.status === 'failed' ? 'failed' : 'path') : null;
      info.status = `${STEP_STATUS_WORDS[step.status] ?? step.status}${step.attempts ? ` · ${plural(step.attempts, 'attempt')}` : ''}`;
    } else if (n.kind === 'compensation' && step) {
      const c = step.compensation;
      info.tone = visited ? (c?.status === 'failed' ? 'comp-failed' : 'compensated') : null;
      info.status = c
        ? `${COMPENSATION_STATUS_WORDS[c.status] ?? c.status}${c.attempts ? ` · ${plural(c.attempts, 'attempt')}` : ''}`
        : 'not compensated';
    } else if (visited) {
      info.tone =
        { FAILED: 'comp-failed', COMPENSATED: 'compensated' }[id] ??
        (n.kind === 'awaiting' ? 'compensated' : 'path');
      info.status = id === current ? 'current state' : 'passed through';
    }
    if (visited || info.status) nodes.set(id, info);
  }
  const edges = new Map();
  for (let i = 1; i < path.length; i++) {
    const g = findGroup(layout, path[i - 1].state, path[i].state, path[i].eventType);
    if (g) edges.set(g.id, edgeTone(path[i].state, path[i].eventType));
  }
  // Failed attempts that were retried stay in their state: their self-loop is highlighted too.
  for (const st of states) {
    if (!ATTEMPT_FAILED.has(st.eventType) || st.ignored) continue;
    const g = layout.edges.find((x) => x.loop && x.source === st.state);
    if (g) edges.set(g.id, 'failed');
  }
  return { nodes, edges, current, path };
}

/** Highlight data for a definition alone: each step state says which participant call it makes. */
export function definitionLabels(layout, definition) {
  const nodes = new Map();
  const byName = new Map(definition.steps.map((st) => [st.name, st]));
  for (const [id, box] of layout.boxes) {
    const st = byName.get(box.node.label);
    if (box.node.kind === 'step' && st)
      nodes.set(id, { visits: [], status: `${st.participant}.${st.action}` });
    if (box.node.kind === 'compensation' && st)
      nodes.set(id, { visits: [], status: `${st.participant}.${st.compensation}` });
    if (box.node.kind === 'awaiting')
      nodes.set(id, { visits: [], status: 'cancel: waits for the step' });
  }
  return { nodes, edges: new Map(), current: null, path: [] };
}
