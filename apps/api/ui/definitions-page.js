// Definitions, built-in and registered: each one's statechart, participants and steps' settings.
// Nothing here knows any definition by name: every chart, table and list comes from the API.
import { getJson } from './api.js';
import { formatDuration, formatTime, h, mount, plural } from './dom.js';
import { legend } from './legend.js';
import { compensationPlan } from './compensation-order.js';
import { flowDefinitionLabels } from './flow-path.js';
import { definitionLabels } from './saga-path.js';
import { isFlowMachine } from './flow-layout.js';
import {
  chartDirection,
  firstStepState,
  layoutStatechart,
  renderStatechart,
  scrollToState,
  spineEdgeIds,
} from './statechart.js';

const SOURCE_WORDS = { 'built-in': 'built in', registered: 'registered' };

function retryText(r) {
  if (!r) return '—';
  return `${r.maxAttempts} attempts, backoff ${formatDuration(r.backoffMs)} → max ${formatDuration(r.maxBackoffMs)}`;
}

function sourceBadge(d) {
  return h(
    'span',
    { class: `badge-source source-${d.source}`, 'data-source': d.source },
    SOURCE_WORDS[d.source] ?? d.source,
  );
}

function retiredBadge(d) {
  return d.retiredAt
    ? h(
        'span',
        { class: 'badge-retired', title: d.retiredAt },
        `retired ${formatTime(d.retiredAt)}`,
      )
    : null;
}

/** How a step's action and compensation end: by their reply, or by a callback. */
function modeText(s) {
  if (s.async && s.compensationAsync) return 'async: both by callback';
  if (s.async) return 'async: action by callback';
  if (s.compensationAsync) return 'async: compensation by callback';
  return 'by reply';
}

/** The participants a definition calls: its HTTP ones with their URLs, then the built-in ones. */
function participantsOf(d) {
  const http = d.participants ?? {};
  const names = [...new Set(d.steps.map((s) => s.participant))];
  for (const name of Object.keys(http)) if (!names.includes(name)) names.push(name);
  return names.map((name) => ({
    name,
    url: http[name]?.url ?? null,
    steps: d.steps.filter((s) => s.participant === name).map((s) => s.name),
  }));
}

function definitionCard(d) {
  const participants = participantsOf(d);
  return h(
    'a',
    {
      class: `card def-card${d.retiredAt ? ' is-retired' : ''}`,
      href: `#/definitions/${encodeURIComponent(d.name)}?version=${d.version}`,
      'data-name': d.name,
      'data-version': d.version,
      'data-source': d.source,
      'data-retired': d.retiredAt ? 'true' : 'false',
    },
    h(
      'h2',
      null,
      `${d.name} `,
      h('span', { class: 'muted' }, `v${d.version}`),
      ' ',
      sourceBadge(d),
      ' ',
      retiredBadge(d),
    ),
    d.description ? h('p', null, d.description) : null,
    h(
      'p',
      { class: 'muted small def-steps' },
      `${plural(d.steps.length, 'step')}: `,
      d.steps.map((s, i) => [
        i ? ' → ' : '',
        h('code', { 'data-step': s.name }, s.name),
        s.async || s.compensationAsync
          ? h(
              'span',
              { class: 'pill async', title: modeText(s), 'data-async-step': s.name },
              'async',
            )
          : null,
      ]),
    ),
    h('p', { class: 'muted small def-caption' }, 'Participants'),
    h(
      'ul',
      { class: 'def-participants small', 'aria-label': `Participants of ${d.name} v${d.version}` },
      participants.map((p) =>
        h(
          'li',
          { 'data-participant': p.name },
          h('code', null, p.name),
          ' ',
          p.url
            ? h('span', { class: 'participant-url' }, p.url)
            : h('span', { class: 'muted' }, 'built in'),
        ),
      ),
    ),
    d.registeredAt
      ? h('p', { class: 'muted small' }, `Registered ${formatTime(d.registeredAt)}`)
      : null,
  );
}

export async function definitionsPage(root, _params, signal) {
  const list = await getJson('/definitions', { signal });
  const registered = list.filter((d) => d.source === 'registered');
  mount(
    root,
    h(
      'div',
      { class: 'title-row' },
      h('h1', null, 'Definitions'),
      h(
        'span',
        { class: 'muted small', id: 'definitions-note' },
        `${plural(list.length - registered.length, 'built-in version')} · ${plural(registered.length, 'registered version')}${
          registered.some((d) => d.retiredAt)
            ? ` (${registered.filter((d) => d.retiredAt).length} retired)`
            : ''
        } · register with POST /api/v1/definitions`,
      ),
    ),
    h('div', { class: 'cards', id: 'definition-cards' }, list.map(definitionCard)),
  );
  root.dataset.ready = 'true';
}

export async function definitionPage(root, { name, version }, signal) {
  const d = await getJson(
    `/definitions/${encodeURIComponent(name)}${version ? `?version=${encodeURIComponent(version)}` : ''}`,
    { signal },
  );
  // Every transition by default; the main flow alone (each step's success, each undo) on request.
  // Left to right at 1:1 by default (every transition does not fit a panel readably either way);
  // Fit to width draws it top to bottom, fitted to the panel, as the saga page opens.
  // A flow definition's regions are laid out to be read fitted (rows of steps side by side).
  const view = { all: true, fit: isFlowMachine(d.machine) };
  const layouts = new Map();
  const diagram = h('div', { class: 'diagram', id: 'diagram' });
  const title = h('h2', { id: 'chart-title' }, 'Statechart: every state and transition');
  const start = firstStepState(d.machine);
  const layoutOf = ({ all, fit }) => {
    const key = `${all}:${fit}`;
    if (!layouts.has(key)) {
      layouts.set(
        key,
        layoutStatechart(d.machine, {
          only: all ? null : spineEdgeIds(d.machine),
          direction: chartDirection(fit),
          steps: d.steps,
        }),
      );
    }
    return layouts.get(key);
  };
  const show = async () => {
    const layout = await layoutOf(view);
    const labels = layout.plan ? flowDefinitionLabels : definitionLabels;
    mount(diagram, renderStatechart(layout, labels(layout, d)));
    diagram.classList.toggle('fit', view.fit);
    diagram.dataset.view = view.all ? 'all' : 'spine';
    diagram.dataset.fit = String(view.fit);
    if (diagram.isConnected) scrollToState(diagram, layout, start, 'STARTED');
    title.textContent = view.all
      ? 'Statechart: every state and transition'
      : `Statechart: every state, the main flow only (${layout.hidden} transitions hidden)`;
  };
  await show();
  const toggle = (id, label, key, titleText) => {
    const button = h(
      'button',
      {
        type: 'button',
        class: 'small toggle',
        id,
        'aria-pressed': String(view[key]),
        title: titleText,
        onclick: () => {
          view[key] = !view[key];
          button.setAttribute('aria-pressed', String(view[key]));
          show().catch(() => undefined);
        },
      },
      label,
    );
    return button;
  };
  const allButton = toggle('all-transitions', 'All transitions', 'all', null);
  const fitButton = toggle(
    'fit-width',
    'Fit to width',
    'fit',
    'On: the chart top to bottom, fitted to the panel. Off: left to right, at 1:1.',
  );
  const participants = participantsOf(d);
  const flow = d.steps.some((s) => s.dependsOn || s.forEach || s.pivot);
  const plan = compensationPlan(d.steps);
  const anyAsync = d.steps.some((s) => s.async || s.compensationAsync);
  mount(
    root,
    h('p', { class: 'crumbs' }, h('a', { href: '#/definitions' }, '← All definitions')),
    h(
      'div',
      { class: 'title-row' },
      h('h1', null, `${d.name} `, h('span', { class: 'muted' }, `v${d.version}`)),
      sourceBadge(d),
      retiredBadge(d),
    ),
    d.description ? h('p', null, d.description) : null,
    d.retiredAt
      ? h(
          'div',
          { class: 'alert tone-warn', role: 'note', id: 'retired-note' },
          h('strong', null, 'Retired: '),
          `no new saga can start on version ${d.version} since ${formatTime(d.retiredAt)}; sagas already on it kept running on it.`,
        )
      : null,
    h(
      'dl',
      { class: 'facts' },
      h(
        'div',
        null,
        h('dt', null, 'Source'),
        h('dd', { id: 'def-source' }, SOURCE_WORDS[d.source]),
      ),
      d.registeredAt
        ? h(
            'div',
            null,
            h('dt', null, 'Registered'),
            h('dd', { title: d.registeredAt }, formatTime(d.registeredAt)),
          )
        : null,
      h('div', null, h('dt', null, 'Deadline'), h('dd', null, formatDuration(d.deadlineMs))),
      h('div', null, h('dt', null, 'States'), h('dd', null, String(d.machine.nodes.length))),
      h('div', null, h('dt', null, 'Transitions'), h('dd', null, String(d.machine.edges.length))),
      h(
        'div',
        null,
        h('dt', null, 'Sagas'),
        h(
          'dd',
          null,
          h(
            'a',
            { href: `#/sagas?definition=${encodeURIComponent(d.name)}` },
            `All ${d.name} sagas`,
          ),
        ),
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'participants-title' },
      h('h2', { id: 'participants-title' }, 'Participants'),
      h(
        'div',
        { class: 'steps-table' },
        h(
          'table',
          { id: 'definition-participants' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ['Participant', 'Where', 'Steps'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h(
            'tbody',
            null,
            participants.map((p) =>
              h(
                'tr',
                { 'data-participant': p.name },
                h('th', { scope: 'row' }, h('code', null, p.name)),
                h(
                  'td',
                  null,
                  p.url
                    ? h('code', { class: 'participant-url' }, p.url)
                    : h('span', { class: 'muted' }, 'built into the service'),
                ),
                h(
                  'td',
                  null,
                  p.steps.length ? p.steps.join(', ') : h('span', { class: 'muted' }, 'none'),
                ),
              ),
            ),
          ),
        ),
      ),
      anyAsync
        ? h(
            'p',
            { class: 'muted small' },
            'Async steps end when their participant calls back (POST /api/v1/callbacks/<token>), within the step’s timeout.',
          )
        : null,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'steps-title' },
      h(
        'h2',
        { id: 'steps-title' },
        flow
          ? 'Steps (compensations run in reverse dependency order: undo 1 first, the same number at once)'
          : 'Steps, in order (compensations run in reverse)',
      ),
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
                'Ends',
                'Timeout',
                'Retry',
                'Compensation retry',
                ...(flow ? ['Depends on', 'Undo order'] : []),
              ].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h(
            'tbody',
            null,
            d.steps.map((s, i) =>
              h(
                'tr',
                {
                  'data-step': s.name,
                  'data-async': String(s.async === true),
                  'data-compensation-async': String(s.compensationAsync === true),
                },
                h('td', null, String(i + 1)),
                h(
                  'th',
                  { scope: 'row' },
                  h('code', null, s.name),
                  s.pivot
                    ? h('span', { class: 'pill pivot-pill', 'data-pivot': 'true' }, 'pivot')
                    : null,
                  s.forEach ? h('span', { class: 'pill' }, `each of ${s.forEach}`) : null,
                ),
                h('td', null, s.participant),
                h('td', null, h('code', null, s.action)),
                h(
                  'td',
                  null,
                  s.compensation || !flow
                    ? h('code', null, s.compensation)
                    : h(
                        'span',
                        { class: 'muted' },
                        `no compensation (${s.pivot ? 'the pivot' : 'after the pivot'})`,
                      ),
                ),
                h('td', { class: 'step-mode' }, modeText(s)),
                h('td', null, formatDuration(s.timeoutMs)),
                h('td', null, retryText(s.retry)),
                h('td', null, retryText(s.compensationRetry ?? s.retry)),
                flow
                  ? h('td', null, (s.dependsOn ?? []).length ? s.dependsOn.join(', ') : '—')
                  : null,
                flow
                  ? h(
                      'td',
                      {
                        class: 'undo-order',
                        'data-undo': plan.has(s.name) ? String(plan.get(s.name)) : 'none',
                      },
                      plan.has(s.name) ? `undo ${plan.get(s.name)}` : '—',
                    )
                  : null,
              ),
            ),
          ),
        ),
      ),
    ),
    d.inputSchema
      ? h(
          'details',
          { class: 'card input-schema', id: 'input-schema' },
          h('summary', null, 'Input schema (checked when a saga starts)'),
          h('pre', null, JSON.stringify(d.inputSchema, null, 2)),
        )
      : null,
    h(
      'section',
      { class: 'card chart-card', 'aria-labelledby': 'chart-title' },
      h('div', { class: 'card-head' }, title, h('div', { class: 'tools' }, allButton, fitButton)),
      diagram,
      legend({ forSaga: false, flow: isFlowMachine(d.machine) }),
    ),
  );
  scrollToState(diagram, await layoutOf(view), start, 'STARTED');
  root.dataset.ready = 'true';
}
