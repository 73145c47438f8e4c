// A forEach step's items: how many succeeded, failed, run; one chip per item, coloured by its
// status, with its compensation's status beside it (colour is never the only signal: each chip
// carries its index and a title in words).
import { h } from './dom.js';
import { COMPENSATION_STATUS_WORDS, STEP_STATUS_WORDS } from './words.js';

const DID_SUCCEED = new Set(['succeeded', 'compensating', 'compensated', 'compensation_failed']);

/** Counts of a step's items: total, succeeded (at some point), failed, running, undone. */
export function itemCounts(items) {
  const count = (f) => items.filter(f).length;
  return {
    total: items.length,
    succeeded: count((i) => DID_SUCCEED.has(i.status)),
    failed: count((i) => i.status === 'failed'),
    running: count((i) => i.status === 'running'),
    undone: count((i) => i.compensation?.status === 'succeeded'),
    undoFailed: count((i) => i.compensation?.status === 'failed'),
  };
}

/** "3/5 items succeeded, 1 failed" (and running, undone), in words. */
export function itemSummary(items) {
  const c = itemCounts(items);
  const parts = [`${c.succeeded}/${c.total} items succeeded`];
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.running) parts.push(`${c.running} running`);
  const undo = [];
  if (c.undone) undo.push(`${c.undone} undone`);
  if (c.undoFailed) undo.push(`${c.undoFailed} undo failed`);
  return `${parts.join(', ')}${undo.length ? ` · ${undo.join(', ')}` : ''}`;
}

/** The item's chip: its index, coloured by status; a ring for its compensation. */
function chip(item) {
  const c = item.compensation?.status ?? null;
  const words = `item ${item.index}: ${STEP_STATUS_WORDS[item.status] ?? item.status}${
    item.attempts ? ` (${item.attempts} attempt${item.attempts === 1 ? '' : 's'})` : ''
  }${c ? ` — compensation ${COMPENSATION_STATUS_WORDS[c] ?? c}` : ''}${
    item.error ? ` — ${item.error.code}: ${item.error.message}` : ''
  }`;
  return h(
    'li',
    {
      class: `item-chip st-${item.status}${c ? ` undo-${c}` : ''}`,
      'data-index': item.index,
      'data-status': item.status,
      'data-compensation': c ?? 'none',
      title: words,
      'aria-label': words,
    },
    String(item.index),
  );
}

/** At most this many chips; the rest are counted. */
const MAX_CHIPS = 200;

/** The items of a forEach step: the summary line and the chips. */
export function itemProgress(step) {
  const items = step.items ?? [];
  return h(
    'div',
    { class: 'item-progress', 'data-items-of': step.name },
    h('span', { class: 'item-summary small' }, itemSummary(items)),
    h(
      'ol',
      { class: 'item-chips', 'aria-label': `Items of ${step.name}` },
      items.slice(0, MAX_CHIPS).map(chip),
      items.length > MAX_CHIPS
        ? h('li', { class: 'item-more muted small' }, `+${items.length - MAX_CHIPS} more`)
        : null,
    ),
  );
}
