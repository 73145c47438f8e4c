import { h } from './dom.js';

const ITEMS = [
  ['path', 'On the path taken (step succeeded)'],
  ['failed', 'Step that failed'],
  ['compensated', 'Compensation (undo) ran'],
  ['comp-failed', 'Compensation failed — saga FAILED'],
  ['none', 'Not reached'],
];

/** The statechart's key: colours, the path numbers and the NOW marker, each in words. */
/** A flow definition's marks: parallel regions, dependencies, the pivot, the undo order. */
function flowItems() {
  return [
    h(
      'li',
      null,
      h('span', { class: 'swatch shape-parallel' }),
      'Parallel state: one region per step',
    ),
    h('li', null, h('span', { class: 'legend-dep' }), 'Waits for (dependsOn; undo: reversed)'),
    h(
      'li',
      { 'data-legend': 'pivot' },
      h('span', { class: 'legend-pill pivot' }, 'pivot'),
      'Point of no return: nothing is undone once it succeeded',
    ),
    h(
      'li',
      { 'data-legend': 'undo' },
      h('span', { class: 'legend-pill undo' }, 'undo 1'),
      'Compensation order (the same number: at once)',
    ),
    h(
      'li',
      { 'data-legend': 'no-undo' },
      h('span', { class: 'legend-pill no-undo' }, 'no compensation'),
      'The pivot and the steps after it',
    ),
  ];
}

export function legend({ forSaga = true, flow = false } = {}) {
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    forSaga
      ? ITEMS.map(([tone, words]) =>
          h('li', null, h('span', { class: `swatch tone-${tone}` }), words),
        )
      : null,
    forSaga
      ? h(
          'li',
          null,
          h('span', { class: 'legend-badge' }, '1'),
          'Order in which states were entered',
        )
      : null,
    forSaga
      ? h('li', null, h('span', { class: 'legend-now' }, 'NOW'), 'State at the selected moment')
      : null,
    h('li', null, h('span', { class: 'swatch shape-final' }), 'Final state (double border)'),
    h('li', null, h('span', { class: 'swatch shape-compound' }), 'Compound state and its children'),
    flow ? flowItems() : null,
  );
}
