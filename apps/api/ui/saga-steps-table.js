// A saga's steps as a table: status, attempts, duration, error, compensation. A flow
// definition's saga adds, per step, its items (forEach: the counts and one chip per item), the
// pivot, and its place in the compensation order ("undo 1" starts first).
import { formatDuration, h, plural } from './dom.js';
import { afterPivot } from './flow-path.js';
import { itemProgress } from './item-progress.js';
import { COMPENSATION_STATUS_WORDS, STEP_STATUS_WORDS } from './words.js';

function isFlow(definition) {
  return definition.steps.some((s) => s.dependsOn || s.forEach || s.pivot);
}

/** The cell of a step's place in the compensation order. */
function undoCell(def, order, after) {
  if (def.pivot)
    return h('td', { class: 'undo-order', 'data-undo': 'none' }, 'pivot: never undone');
  if (after.has(def.name) || !def.compensation)
    return h('td', { class: 'undo-order', 'data-undo': 'none' }, 'no compensation');
  const o = order.get(def.name);
  if (!o) return h('td', { class: 'undo-order', 'data-undo': '' }, '—');
  return h(
    'td',
    {
      class: `undo-order undo-${o.source}`,
      'data-undo': String(o.n),
      'data-undo-source': o.source,
      title:
        o.source === 'history'
          ? 'Its place in the order the compensations started (same number: started together)'
          : 'Where it would start if the saga compensated now',
    },
    `undo ${o.n}`,
    o.source === 'plan' ? h('span', { class: 'muted small' }, ' (planned)') : null,
  );
}

/** The steps table of `saga`; `order` from sagaCompensationOrder. */
export function stepsTableOf(saga, definition, order) {
  const flow = isFlow(definition);
  const defs = new Map(definition.steps.map((s) => [s.name, s]));
  const after = afterPivot(definition.steps);
  const heads = ['Step', 'Status', 'Attempts', 'Duration', 'Error', 'Compensation'];
  if (flow) heads.push('Undo order');
  return h(
    'table',
    null,
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        heads.map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      null,
      saga.steps.map((st) => {
        const def = defs.get(st.name);
        return h(
          'tr',
          { 'data-step': st.name },
          h(
            'th',
            { scope: 'row' },
            h('code', null, st.name),
            flow && def?.pivot
              ? h('span', { class: 'pill pivot-pill', 'data-pivot': 'true' }, 'pivot')
              : null,
          ),
          h(
            'td',
            null,
            h(
              'span',
              { class: `step-status st-${st.status}` },
              STEP_STATUS_WORDS[st.status] ?? st.status,
            ),
            st.items ? itemProgress(st) : null,
          ),
          h('td', null, String(st.attempts)),
          h(
            'td',
            null,
            st.startedAt && st.finishedAt
              ? formatDuration(new Date(st.finishedAt) - new Date(st.startedAt))
              : '—',
          ),
          h('td', null, st.error ? `${st.error.code}: ${st.error.message}` : '—'),
          h(
            'td',
            null,
            st.compensation
              ? `${COMPENSATION_STATUS_WORDS[st.compensation.status] ?? st.compensation.status} (${
                  // A forEach step's attempts are its items': say how many were undone.
                  st.items
                    ? `${st.items.filter((i) => i.compensation?.status === 'succeeded').length} of ${plural(st.items.filter((i) => i.compensation).length, 'item')} undone`
                    : plural(st.compensation.attempts, 'attempt')
                })${st.compensation.error ? ` — ${st.compensation.error.code}` : ''}`
              : '—',
          ),
          flow && def ? undoCell(def, order, after) : null,
        );
      }),
    ),
  );
}
