import { h } from './dom.js';

const ITEMS = [
  ['path', 'On the path taken (step succeeded)'],
  ['failed', 'Step that failed'],
  ['compensated', 'Compensation (undo) ran'],
  ['comp-failed', 'Compensation failed — saga FAILED'],
  ['none', 'Not reached'],
];

/** The statechart's key: colours, the path numbers and the NOW marker, each in words. */
export function legend({ forSaga = true } = {}) {
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
  );
}
