// The list of sagas: filters, search by id, newest first with "load more", live counts per
// status (GET /sagas/counts), the figures of a window and any firing alert (GET /stats).
import { getJson } from './api.js';
import { ago, formatDuration, formatTime, h, mount, plural } from './dom.js';
import { statusBadge } from './saga-page.js';
import { STATS_WINDOWS, renderAlerts, renderStats } from './stats-panel.js';
import { SAGA_STATUSES, SAGA_STATUS_WORDS } from './words.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Requests cut short by leaving the page are expected; anything else is shown. */
function ignoreAbort(err) {
  if (err?.name !== 'AbortError') console.warn('sagachart:', err);
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export async function sagasPage(root, params, signal) {
  const filters = {
    status: params.status ?? '',
    definition: params.definition ?? '',
    search: params.search ?? '',
    window: STATS_WINDOWS.some(([w]) => w === params.window) ? params.window : '1h',
  };
  let items = [];
  let nextCursor = null;
  let pages = 0;

  const alerts = h('div', {
    class: 'alerts',
    id: 'alerts',
    role: 'region',
    'aria-label': 'Firing alerts',
    'aria-live': 'polite',
    hidden: true,
  });
  const windowSelect = h(
    'select',
    {
      id: 'stats-window',
      'aria-label': 'Window of the figures',
      onchange: () => setFilter('window', windowSelect.value),
    },
    STATS_WINDOWS.map(([w, words]) =>
      h('option', { value: w, selected: w === filters.window }, words),
    ),
  );
  const statsGrid = h('dl', { class: 'stats-grid', id: 'stats-figures' });
  const statsNote = h('span', { class: 'muted small', id: 'stats-note' });
  const stats = h(
    'section',
    { class: 'card stats', id: 'stats', 'aria-labelledby': 'stats-title' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { id: 'stats-title' }, 'Figures'),
      windowSelect,
      statsNote,
    ),
    statsGrid,
  );
  const counts = h('div', {
    class: 'counts',
    id: 'counts',
    role: 'group',
    'aria-label': 'Sagas per status',
  });
  const statusSelect = h(
    'select',
    { id: 'filter-status', onchange: () => setFilter('status', statusSelect.value) },
    h('option', { value: '' }, 'All statuses'),
    SAGA_STATUSES.map((st) =>
      h('option', { value: st, selected: st === filters.status }, SAGA_STATUS_WORDS[st]),
    ),
  );
  const definitionSelect = h(
    'select',
    { id: 'filter-definition', onchange: () => setFilter('definition', definitionSelect.value) },
    h('option', { value: '' }, 'All definitions'),
  );
  const search = h('input', {
    id: 'search',
    type: 'search',
    placeholder: 'Saga id (full id, or the start of one)',
    value: filters.search,
    autocomplete: 'off',
    spellcheck: 'false',
    oninput: () => {
      filters.search = search.value.trim();
      load(true).catch(ignoreAbort);
    },
  });
  const table = h('div', { class: 'list', id: 'saga-list' });
  const more = h(
    'button',
    {
      type: 'button',
      id: 'load-more',
      hidden: true,
      onclick: () => load(false).catch(ignoreAbort),
    },
    'Load more',
  );
  const note = h('p', { class: 'muted small', id: 'list-note' });

  mount(
    root,
    h(
      'div',
      { class: 'title-row' },
      h('h1', null, 'Sagas'),
      h(
        'span',
        { class: 'muted small' },
        'Newest first · counts, figures and alerts refresh every 3 s',
      ),
    ),
    alerts,
    stats,
    counts,
    h(
      'form',
      { class: 'filters', role: 'search', onsubmit: (ev) => ev.preventDefault() },
      h('label', null, h('span', null, 'Status'), statusSelect),
      h('label', null, h('span', null, 'Definition'), definitionSelect),
      h('label', { class: 'grow' }, h('span', null, 'Search by id'), search),
    ),
    h('section', { class: 'card' }, table, note, more),
  );

  function setFilter(key, value) {
    filters[key] = value;
    const p = {
      status: filters.status,
      definition: filters.definition,
      window: filters.window === '1h' ? '' : filters.window,
    };
    window.history.replaceState(null, '', `#/sagas${query(p)}`);
    if (key === 'window') {
      loadStats().catch(ignoreAbort);
      return;
    }
    load(true).catch(ignoreAbort);
    loadCounts().catch(ignoreAbort);
  }

  function matches(s) {
    return !filters.search || s.id.toLowerCase().startsWith(filters.search.toLowerCase());
  }

  function render() {
    const shown = items.filter(matches);
    if (!shown.length) {
      mount(
        table,
        h(
          'p',
          { class: 'empty' },
          filters.search
            ? `No saga id starting with “${filters.search}” among those loaded.`
            : 'No sagas match these filters yet.',
        ),
      );
    } else {
      mount(
        table,
        h(
          'table',
          { class: 'sagas' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ['Status', 'Saga', 'Definition', 'State', 'Problem', 'Created', 'Took'].map((t) =>
                h('th', { scope: 'col' }, t),
              ),
            ),
          ),
          h(
            'tbody',
            null,
            shown.map((s) =>
              h(
                'tr',
                { 'data-id': s.id, 'data-status': s.status },
                h('td', null, statusBadge(s.status)),
                h(
                  'td',
                  null,
                  h(
                    'a',
                    { href: `#/sagas/${s.id}`, class: 'saga-link' },
                    h('code', { title: s.id }, s.id.slice(0, 8)),
                    '…',
                  ),
                ),
                h('td', null, `${s.definition} v${s.definitionVersion}`),
                h('td', null, h('code', null, s.state)),
                h(
                  'td',
                  { class: 'problem' },
                  s.error ? `${s.error.step ?? ''} ${s.error.code}`.trim() : '—',
                ),
                h('td', { title: s.createdAt }, ago(s.createdAt)),
                h(
                  'td',
                  null,
                  s.finishedAt
                    ? formatDuration(new Date(s.finishedAt) - new Date(s.createdAt))
                    : '…',
                ),
              ),
            ),
          ),
        ),
      );
    }
    more.hidden = !nextCursor;
    note.textContent =
      filters.search && nextCursor
        ? 'Searching the sagas loaded so far; load more to search further.'
        : '';
  }

  async function load(reset) {
    if (reset && UUID.test(filters.search)) {
      try {
        items = [await getJson(`/sagas/${filters.search}`, { signal })];
      } catch {
        items = [];
      }
      nextCursor = null;
      pages = 1;
      return render();
    }
    const base = { status: filters.status, definition: filters.definition, limit: '25' };
    const page = await getJson(`/sagas${query({ ...base, cursor: reset ? '' : nextCursor })}`, {
      signal,
    });
    items = reset ? page.items : [...items, ...page.items];
    nextCursor = page.nextCursor;
    pages = reset ? 1 : pages + 1;
    render();
  }

  async function loadCounts() {
    const n = await getJson(`/sagas/counts${query({ definition: filters.definition })}`, {
      signal,
    });
    mount(
      counts,
      SAGA_STATUSES.map((st) =>
        h(
          'button',
          {
            type: 'button',
            class: `count tone-${st}`,
            'data-status': st,
            'aria-pressed': String(filters.status === st),
            onclick: () => {
              statusSelect.value = filters.status === st ? '' : st;
              setFilter('status', statusSelect.value);
            },
          },
          h('span', { class: 'count-n' }, String(n[st] ?? 0)),
          h('span', { class: 'count-label' }, SAGA_STATUS_WORDS[st]),
        ),
      ),
    );
  }

  /** The figures are over every definition: the stats API has no definition filter. */
  async function loadStats() {
    const asked = filters.window;
    const s = await getJson(`/stats${query({ window: asked })}`, { signal });
    if (asked !== filters.window) return; // a newer window was chosen meanwhile
    renderAlerts(alerts, s.alerts);
    renderStats(statsGrid, s);
    stats.dataset.window = s.window;
    const firing = s.alerts.length;
    statsNote.textContent = `${plural(s.started, 'saga')} started since ${formatTime(s.since)} · all definitions · ${
      firing ? `${plural(firing, 'alert')} firing` : 'no alert firing'
    }`;
  }

  const definitions = await getJson('/definitions', { signal });
  for (const name of [...new Set(definitions.map((d) => d.name))]) {
    definitionSelect.append(
      h('option', { value: name, selected: name === filters.definition }, name),
    );
  }
  await Promise.all([load(true), loadCounts(), loadStats()]);
  root.dataset.ready = 'true';
  const timer = setInterval(() => {
    void loadCounts().catch(() => undefined);
    void loadStats().catch(() => undefined);
    // Only the first page refreshes by itself: pages loaded with "load more" stay put.
    if (pages === 1 && !UUID.test(filters.search)) void load(true).catch(() => undefined);
  }, 3000);
  signal.addEventListener('abort', () => clearInterval(timer));
}
