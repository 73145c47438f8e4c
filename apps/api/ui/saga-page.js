// One saga: its statechart with the path it took, its timeline, time travel, live updates.
import { Unauthorized, getJson, streamEvents } from './api.js';
import { ago, formatDuration, formatTime, h, mount, plural } from './dom.js';
import { legend } from './legend.js';
import { ACCEPTED, acceptedText, durations } from './timeline-timing.js';
import { sagaCompensationOrder } from './compensation-order.js';
import { isFlowMachine } from './flow-layout.js';
import { flowHighlightOf, flowTakenEdgeIds } from './flow-path.js';
import { highlightOf, takenEdgeIds } from './saga-path.js';
import { stepsTableOf } from './saga-steps-table.js';
import {
  chartDirection,
  layoutStatechart,
  renderStatechart,
  scrollToState,
  spineEdgeIds,
} from './statechart.js';
import { SAGA_STATUS_WORDS, historyHeadline, historyTone, statusTone } from './words.js';

const FINAL = new Set(['COMPLETED', 'COMPENSATED', 'FAILED']);
const machines = new Map();
const layouts = new Map();

/** A definition version's machine, fetched once per page load. */
function machineFor(saga) {
  const key = `${saga.definition}@${saga.definitionVersion}`;
  if (!machines.has(key)) {
    machines.set(
      key,
      getJson(
        `/definitions/${encodeURIComponent(saga.definition)}?version=${saga.definitionVersion}`,
      ),
    );
  }
  return machines.get(key);
}

/**
 * The layout for a view of the chart: 'all' lays out every transition; 'path' lays out the
 * definition's main spine and the transitions this saga took (its whole history, so that time
 * travel only recolours). `fit`: top to bottom, to fit the panel (else left to right, 1:1).
 * Computed once per definition version, view, direction and set of transitions.
 */
async function layoutFor(saga, view, states, fit) {
  const definition = await machineFor(saga);
  const { machine } = definition;
  const taken = isFlowMachine(machine) ? flowTakenEdgeIds : takenEdgeIds;
  const only =
    view === 'all' ? null : new Set([...spineEdgeIds(machine), ...taken(machine, states)]);
  const direction = chartDirection(fit);
  const key = `${saga.definition}@${saga.definitionVersion}:${direction}:${only ? [...only].sort().join(',') : 'all'}`;
  if (!layouts.has(key))
    layouts.set(key, layoutStatechart(machine, { only, direction, steps: definition.steps }));
  return layouts.get(key);
}

export function statusBadge(status) {
  return h(
    'span',
    { class: `badge-status tone-${statusTone(status)}`, 'data-status': status },
    SAGA_STATUS_WORDS[status] ?? status,
  );
}

export async function sagaPage(root, { id }, signal) {
  const state = {
    saga: null,
    definition: null,
    events: [],
    replay: null,
    selected: null,
    view: 'path',
    layout: null,
    scroll: true,
    // The NOW state last scrolled into view.
    shownCurrent: null,
    // Fitted to the panel's width by default; the toggle shows the 1:1 chart.
    fit: true,
  };
  const diagram = h('div', { class: 'diagram fit', id: 'diagram' });
  const timeline = h('ol', { class: 'timeline', id: 'timeline', 'aria-label': 'History' });
  const header = h('div', { class: 'saga-header' });
  const travel = h('div', { class: 'travel', id: 'travel', role: 'status' });
  const pathList = h('ol', { class: 'path-list', id: 'path', 'aria-label': 'Path taken' });
  const stepsTable = h('div', { class: 'steps-table' });
  const legendBox = h('div', { class: 'legend-box' });
  const viewNote = h('p', { class: 'view-note muted small', id: 'view-note' });
  const allButton = h(
    'button',
    {
      type: 'button',
      class: 'small toggle',
      id: 'all-transitions',
      'aria-pressed': 'false',
      onclick: () => toggleAll().catch(() => undefined),
    },
    'All transitions',
  );
  const fitButton = h(
    'button',
    {
      type: 'button',
      class: 'small toggle',
      id: 'fit-width',
      'aria-pressed': 'true',
      title: 'On: the chart top to bottom, fitted to the panel. Off: left to right, at 1:1.',
      onclick: () => toggleFit().catch(() => undefined),
    },
    'Fit to width',
  );
  mount(
    root,
    h('p', { class: 'crumbs' }, h('a', { href: '#/sagas' }, '← All sagas')),
    header,
    h(
      'div',
      { class: 'saga-grid' },
      h(
        'section',
        { class: 'card chart-card', 'aria-labelledby': 'chart-title' },
        h(
          'div',
          { class: 'card-head' },
          h('h2', { id: 'chart-title' }, 'Statechart'),
          h('div', { class: 'tools' }, allButton, fitButton),
        ),
        travel,
        diagram,
        viewNote,
        h('h3', null, 'Path taken'),
        pathList,
        legendBox,
      ),
      h(
        'section',
        { class: 'card timeline-card', 'aria-labelledby': 'timeline-title' },
        h(
          'div',
          { class: 'card-head' },
          h('h2', { id: 'timeline-title' }, 'Timeline'),
          h('span', { class: 'muted small' }, 'Select an event to see the saga at that moment'),
        ),
        timeline,
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'steps-title' },
      h('h2', { id: 'steps-title' }, 'Steps'),
      stepsTable,
    ),
  );

  /** Fitted (top to bottom, scaled to the panel) or 1:1 (left to right, natural size). */
  async function toggleFit() {
    state.fit = !state.fit;
    fitButton.setAttribute('aria-pressed', String(state.fit));
    state.layout = await layoutFor(state.saga, state.view, state.replay?.states ?? [], state.fit);
    diagram.classList.toggle('fit', state.fit);
    state.scroll = true;
    renderChart();
  }

  async function toggleAll() {
    state.view = state.view === 'all' ? 'path' : 'all';
    allButton.setAttribute('aria-pressed', String(state.view === 'all'));
    state.layout = await layoutFor(state.saga, state.view, state.replay?.states ?? [], state.fit);
    state.scroll = true;
    renderChart();
  }

  function shownStates() {
    const all = state.replay?.states ?? [];
    if (state.selected === null) return all;
    return all.filter((st) => st.seq <= state.selected);
  }

  function renderHeader() {
    const s = state.saga;
    const duration = (s.finishedAt ? new Date(s.finishedAt) : new Date()) - new Date(s.createdAt);
    mount(
      header,
      h(
        'div',
        { class: 'title-row' },
        h('h1', null, 'Saga ', h('code', { class: 'saga-id' }, s.id)),
        statusBadge(s.status),
      ),
      h(
        'dl',
        { class: 'facts' },
        h(
          'div',
          null,
          h('dt', null, 'Definition'),
          h(
            'dd',
            null,
            h(
              'a',
              {
                href: `#/definitions/${encodeURIComponent(s.definition)}?version=${s.definitionVersion}`,
              },
              `${s.definition} v${s.definitionVersion}`,
            ),
          ),
        ),
        h(
          'div',
          null,
          h('dt', null, 'Current state'),
          h('dd', null, h('code', { id: 'stored-state' }, s.state)),
        ),
        h(
          'div',
          null,
          h('dt', null, 'Created'),
          h('dd', { title: s.createdAt }, `${formatTime(s.createdAt)} (${ago(s.createdAt)})`),
        ),
        h(
          'div',
          null,
          h('dt', null, FINAL.has(s.status) ? 'Took' : 'Running for'),
          h('dd', null, formatDuration(duration)),
        ),
      ),
      s.error
        ? h(
            'div',
            {
              class: `alert tone-${s.status === 'FAILED' ? 'comp-failed' : 'failed'}`,
              role: 'note',
            },
            h('strong', null, s.status === 'FAILED' ? 'Compensation failed' : 'Why it compensated'),
            ': ',
            s.error.step ? h('code', null, s.error.step) : 'the saga',
            ` — ${s.error.code}: ${s.error.message}`,
          )
        : null,
      s.requiresManualIntervention
        ? h(
            'div',
            { class: 'alert tone-comp-failed' },
            h('strong', null, 'A person must act: '),
            'fix the cause, then retry the saga (POST /api/v1/sagas/:id/retry).',
          )
        : null,
    );
  }

  function renderChart() {
    if (!state.layout || !state.replay) return;
    const states = shownStates();
    const hl = state.layout.plan
      ? flowHighlightOf(state.layout, states, {
          steps: state.definition.steps,
          order: sagaCompensationOrder(state.definition.steps, states),
        })
      : highlightOf(state.layout, states);
    mount(diagram, renderStatechart(state.layout, hl));
    diagram.dataset.view = state.view;
    diagram.dataset.fit = String(state.fit);
    mount(
      viewNote,
      state.view === 'all'
        ? 'Every transition of the definition; those this saga took are coloured.'
        : `This saga's path and the definition's main flow (each step's success, each undo). ${plural(state.layout.hidden, 'other transition')} hidden: see All transitions.`,
    );
    // Follow NOW: a new layout, a chosen moment, or the live saga moving on scrolls it into
    // view; a re-render that changes neither leaves the reader's own scrolling alone.
    if (state.scroll || hl.current !== state.shownCurrent) {
      state.scroll = false;
      state.shownCurrent = hl.current;
      scrollToState(diagram, state.layout, hl.current, hl.path[hl.path.length - 2]?.state);
    }
    mount(
      pathList,
      hl.path.map((p, i) =>
        h(
          'li',
          {
            'data-state': p.state,
            class: `tone-${hl.pathTones?.get(p.state) ?? hl.nodes.get(p.state)?.tone ?? 'path'}`,
          },
          h('span', { class: 'num' }, String(i + 1)),
          h('code', null, p.state),
          p.eventType ? h('span', { class: 'muted small' }, ` via ${p.eventType}`) : null,
        ),
      ),
    );
    const latest = state.selected === null;
    const at = states[states.length - 1];
    const entry = state.events.find((e) => e.seq === at?.seq);
    mount(
      travel,
      latest
        ? h(
            'span',
            null,
            FINAL.has(state.saga.status)
              ? 'Final state, replayed from the stored history.'
              : h('span', { class: 'live-dot' }, 'Live: follows the saga as it runs.'),
          )
        : h(
            'span',
            null,
            h('strong', null, `Time travel: after event #${at.seq}`),
            entry ? ` (${historyHeadline(entry)}${entry.step ? `, ${entry.step}` : ''})` : '',
            ` — state `,
            h('code', null, at.state),
            ', replayed from the stored history. ',
            h(
              'button',
              { type: 'button', class: 'small', id: 'latest', onclick: () => select(null) },
              'Back to latest',
            ),
          ),
      state.replay.consistent
        ? null
        : h(
            'span',
            { class: 'warn-text' },
            ` Replay ends in ${state.replay.replayedState}, but the stored state is ${state.replay.storedState}.`,
          ),
    );
  }

  function renderTimeline() {
    const took = durations(state.events);
    const t0 = state.events[0] ? new Date(state.events[0].at) : null;
    const current = state.selected ?? state.events[state.events.length - 1]?.seq;
    mount(
      timeline,
      state.events.map((e) => {
        const d = e.data ?? {};
        const replayed = state.replay?.states.find((st) => st.seq === e.seq);
        return h(
          'li',
          {
            class: `entry tone-${historyTone(e)}`,
            'data-seq': e.seq,
            'data-type': e.type,
            'aria-current': e.seq === current ? 'step' : null,
          },
          h(
            'button',
            {
              type: 'button',
              class: 'entry-button',
              onclick: () => select(e.seq),
              'aria-label': `Show the saga after event ${e.seq}: ${historyHeadline(e)}`,
            },
            h('span', { class: 'seq' }, `#${e.seq}`),
            h(
              'span',
              { class: 'entry-main' },
              h(
                'span',
                { class: 'entry-title' },
                historyHeadline(e),
                e.step ? h('code', null, e.step) : null,
                e.attempt ? h('span', { class: 'pill' }, `attempt ${e.attempt}`) : null,
              ),
              d.code
                ? h(
                    'span',
                    { class: 'entry-error' },
                    `${d.code}: ${d.message ?? ''}`,
                    h('span', { class: 'pill' }, d.final ? 'final' : 'will retry'),
                  )
                : null,
              e.type === 'STEP_STARTED' || e.type === 'COMPENSATION_STARTED'
                ? h('span', { class: 'muted small' }, `${d.participant}.${d.operation}`)
                : null,
              ACCEPTED.has(e.type)
                ? h(
                    'span',
                    {
                      class: 'entry-accepted muted small',
                      title: d.awaitingCallbackUntil
                        ? `The participant accepted the work; its callback must come by ${d.awaitingCallbackUntil}, else the attempt times out.`
                        : null,
                    },
                    acceptedText(e),
                  )
                : null,
              e.type === 'EVENT_IGNORED'
                ? h('span', { class: 'muted small' }, String(d.reason ?? ''))
                : null,
              replayed
                ? h(
                    'span',
                    { class: 'entry-state muted small' },
                    '→ ',
                    h('code', null, replayed.state),
                  )
                : null,
            ),
            h(
              'span',
              { class: 'entry-time' },
              h(
                'time',
                { datetime: e.at, title: e.at },
                t0 ? `+${formatDuration(new Date(e.at) - t0)}` : '',
              ),
              took.has(e.seq)
                ? h('span', { class: 'took' }, `took ${formatDuration(took.get(e.seq))}`)
                : null,
            ),
          ),
        );
      }),
    );
  }

  function renderSteps() {
    mount(
      stepsTable,
      stepsTableOf(
        state.saga,
        state.definition,
        sagaCompensationOrder(state.definition.steps, state.replay.states),
      ),
    );
  }

  function select(seq) {
    const lastSeq = state.events[state.events.length - 1]?.seq ?? null;
    state.selected = seq === lastSeq ? null : seq;
    state.scroll = true;
    renderChart();
    renderTimeline();
  }

  async function refresh() {
    const [saga, replay] = await Promise.all([
      getJson(`/sagas/${id}`, { signal }),
      getJson(`/sagas/${id}/states`, { signal }),
    ]);
    state.saga = saga;
    state.replay = replay;
    state.definition = await machineFor(saga);
    mount(legendBox, legend({ flow: isFlowMachine(state.definition.machine) }));
    const layout = await layoutFor(saga, state.view, replay.states, state.fit);
    if (layout !== state.layout) state.scroll = true;
    state.layout = layout;
    renderHeader();
    renderSteps();
    renderChart();
    renderTimeline();
  }

  const [saga, events] = await Promise.all([
    getJson(`/sagas/${id}`, { signal }),
    getJson(`/sagas/${id}/events`, { signal }),
  ]);
  state.saga = saga;
  state.events = events;
  await refresh();
  root.dataset.ready = 'true';
  if (FINAL.has(saga.status)) return;

  // Live: the SSE stream appends entries; the chart is re-replayed from the server each time.
  let pending = null;
  const onEvent = (e) => {
    if (state.events.some((x) => x.seq === e.seq)) return;
    state.events.push(e);
    renderTimeline();
    clearTimeout(pending);
    pending = setTimeout(() => refresh().catch(() => undefined), 120);
  };
  const follow = async () => {
    for (let round = 0; round < 20 && !signal.aborted; round++) {
      try {
        await streamEvents(id, state.events[state.events.length - 1]?.seq ?? 0, onEvent, signal);
        await refresh();
        if (FINAL.has(state.saga.status)) return;
      } catch (err) {
        if (signal.aborted || err instanceof Unauthorized) return;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  void follow();
}
