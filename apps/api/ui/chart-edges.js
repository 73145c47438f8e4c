// What the chart's transitions say, and which of them are the definition's main flow.

/** What a transition's event is called on the chart: short words, not the event's name. */
const SHORT = {
  START: 'start',
  STEP_SUCCEEDED: 'succeeded',
  STEP_FAILED: 'failed',
  STEP_ATTEMPT_FAILED: 'failed',
  CANCEL: 'cancel',
  DEADLINE_EXCEEDED: 'deadline',
  COMPENSATION_SUCCEEDED: 'undone',
  COMPENSATION_FAILED: 'undo failed',
  COMPENSATION_ATTEMPT_FAILED: 'undo failed',
  RETRY: 'retry',
};

/**
 * The definition's main spine: start, each step's success to the next step (through EXECUTING)
 * and each compensation's success to the previous one (through COMPENSATING).
 */
export function spineEdgeIds(machine) {
  const kind = new Map(machine.nodes.map((n) => [n.id, n.kind]));
  // A flow definition's regions move by eventless transitions: start, finish, undo, settle.
  const flowSpine = (e) =>
    e.eventless &&
    /^(canStart|canUndo|allSucceeded|settled|allUndone|stepIs (succeeded|compensated)) /.test(
      `${e.label} `,
    ) &&
    !(
      kind.get(e.source) === 'phase' &&
      /pending|waiting/.test(e.source.split('.').pop()) &&
      e.label.startsWith('stepIs')
    );
  return new Set(
    machine.edges
      .filter(
        (e) =>
          e.event === 'START' ||
          (e.event === 'STEP_SUCCEEDED' &&
            ['step', 'phase'].includes(kind.get(e.source)) &&
            !e.internal) ||
          (e.event === 'COMPENSATION_SUCCEEDED' &&
            ['compensation', 'phase'].includes(kind.get(e.source)) &&
            !e.internal) ||
          flowSpine(e),
      )
      .map((e) => e.id),
  );
}

/** What a flow definition's eventless transitions are called on the chart, by their guard. */
const EVENTLESS = {
  canStart: 'start',
  canUndo: 'undo',
  isUndone: 'nothing to undo',
  allSucceeded: 'all succeeded',
  settled: 'failed or cancelled',
  settledPastPivot: 'failed past the pivot',
  allUndone: 'all undone',
  undoStuck: 'undo failed',
};

/** What an edge says, short: the guard's step only when it is not one of the ends' own step. */
export function edgeText(edge, byId) {
  const guard = edge.label.split(' ')[0];
  const word = edge.eventless
    ? (EVENTLESS[guard] ?? `when ${edge.label.replace(/^stepIs /, '').replace(/ \[.*$/, '')}`)
    : (SHORT[edge.event] ?? edge.event.toLowerCase());
  const step = /\[(.+)\]$/.exec(edge.label)?.[1];
  if (!step) return word;
  const own = [edge.source, edge.target].flatMap((id) => {
    const n = byId.get(id);
    return [n?.label, byId.get(n?.parent)?.label];
  });
  return own.includes(step) ? word : `${step} ${word}`;
}
