// Definitions: each one's statechart and its steps' settings.
import { getJson } from './api.js';
import { formatDuration, h, mount } from './dom.js';
import { legend } from './legend.js';
import { definitionLabels } from './saga-path.js';
import { layoutStatechart, renderStatechart, scrollToState, spineEdgeIds } from './statechart.js';

function retryText(r) {
  if (!r) return '—';
  return `${r.maxAttempts} attempts, backoff ${formatDuration(r.backoffMs)} → max ${formatDuration(r.maxBackoffMs)}`;
}

export async function definitionsPage(root, _params, signal) {
  const list = await getJson('/definitions', { signal });
  mount(
    root,
    h('h1', null, 'Definitions'),
    h(
      'div',
      { class: 'cards' },
      list.map((d) =>
        h(
          'a',
          {
            class: 'card def-card',
            href: `#/definitions/${encodeURIComponent(d.name)}?version=${d.version}`,
          },
          h('h2', null, `${d.name} `, h('span', { class: 'muted' }, `v${d.version}`)),
          h('p', null, d.description ?? ''),
          h(
            'p',
            { class: 'muted small' },
            `${d.steps.length} steps: ${d.steps.map((s) => s.name).join(' → ')}`,
          ),
        ),
      ),
    ),
  );
  root.dataset.ready = 'true';
}

export async function definitionPage(root, { name, version }, signal) {
  const d = await getJson(
    `/definitions/${encodeURIComponent(name)}${version ? `?version=${encodeURIComponent(version)}` : ''}`,
    { signal },
  );
  // Every transition by default; the main flow alone (each step's success, each undo) on request.
  const layouts = new Map();
  const diagram = h('div', { class: 'diagram', id: 'diagram' });
  const title = h('h2', { id: 'chart-title' }, 'Statechart: every state and transition');
  const show = async (all) => {
    if (!layouts.has(all))
      layouts.set(all, layoutStatechart(d.machine, { only: all ? null : spineEdgeIds(d.machine) }));
    const layout = await layouts.get(all);
    mount(diagram, renderStatechart(layout, definitionLabels(layout, d)));
    if (diagram.isConnected) scrollToState(diagram, layout, 'EXECUTING.validate_order', 'STARTED');
    diagram.dataset.view = all ? 'all' : 'spine';
    title.textContent = all
      ? 'Statechart: every state and transition'
      : `Statechart: every state, the main flow only (${layout.hidden} transitions hidden)`;
  };
  await show(true);
  const allButton = h(
    'button',
    {
      type: 'button',
      class: 'small toggle',
      id: 'all-transitions',
      'aria-pressed': 'true',
      onclick: () => {
        const all = allButton.getAttribute('aria-pressed') !== 'true';
        allButton.setAttribute('aria-pressed', String(all));
        show(all).catch(() => undefined);
      },
    },
    'All transitions',
  );
  const fitButton = h(
    'button',
    {
      type: 'button',
      class: 'small toggle',
      id: 'fit-width',
      'aria-pressed': 'false',
      onclick: () => {
        const fit = fitButton.getAttribute('aria-pressed') !== 'true';
        fitButton.setAttribute('aria-pressed', String(fit));
        diagram.classList.toggle('fit', fit);
      },
    },
    'Fit to width',
  );
  mount(
    root,
    h('p', { class: 'crumbs' }, h('a', { href: '#/definitions' }, '← All definitions')),
    h(
      'div',
      { class: 'title-row' },
      h('h1', null, `${d.name} `, h('span', { class: 'muted' }, `v${d.version}`)),
    ),
    h('p', null, d.description ?? ''),
    h(
      'dl',
      { class: 'facts' },
      h('div', null, h('dt', null, 'Deadline'), h('dd', null, formatDuration(d.deadlineMs))),
      h('div', null, h('dt', null, 'States'), h('dd', null, String(d.machine.nodes.length))),
      h('div', null, h('dt', null, 'Transitions'), h('dd', null, String(d.machine.edges.length))),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'steps-title' },
      h('h2', { id: 'steps-title' }, 'Steps, in order (compensations run in reverse)'),
      h(
        'div',
        { class: 'steps-table' },
        h(
          'table',
          { id: 'definition-steps' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              [
                '#',
                'Step',
                'Participant',
                'Action',
                'Compensation',
                'Timeout',
                'Retry',
                'Compensation retry',
              ].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h(
            'tbody',
            null,
            d.steps.map((s, i) =>
              h(
                'tr',
                { 'data-step': s.name },
                h('td', null, String(i + 1)),
                h('th', { scope: 'row' }, h('code', null, s.name)),
                h('td', null, s.participant),
                h('td', null, h('code', null, s.action)),
                h('td', null, h('code', null, s.compensation)),
                h('td', null, formatDuration(s.timeoutMs)),
                h('td', null, retryText(s.retry)),
                h('td', null, retryText(s.compensationRetry ?? s.retry)),
              ),
            ),
          ),
        ),
      ),
    ),
    h(
      'section',
      { class: 'card chart-card', 'aria-labelledby': 'chart-title' },
      h('div', { class: 'card-head' }, title, h('div', { class: 'tools' }, allButton, fitButton)),
      diagram,
      legend({ forSaga: false }),
    ),
  );
  const first = await layouts.get(true);
  scrollToState(diagram, first, 'EXECUTING.validate_order', 'STARTED');
  root.dataset.ready = 'true';
}
