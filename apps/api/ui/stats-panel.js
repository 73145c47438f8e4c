// The list page's figures (GET /api/v1/stats) and a banner per firing alert.
import { formatDuration, h, mount, plural } from './dom.js';

export const STATS_WINDOWS = [
  ['15m', 'Last 15 minutes'],
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
];

const SEVERITY_WORDS = { critical: 'Critical', warning: 'Warning' };

/** Which figure each alert is about, to mark that figure while the alert fires. */
const ALERT_FIGURE = {
  SagaHighFailureRate: 'failureRate',
  SagaCompensationStorm: 'compensationRate',
  SagaStuckInProgress: 'stuck',
};

const pct = (x) => `${(x * 100).toFixed(1)}%`;

/** An alert's value and threshold in the alert's own unit: a rate, or a number of sagas. */
function alertFigure(alert, x) {
  return alert.name === 'SagaStuckInProgress' ? plural(x, 'saga') : pct(x);
}

/**
 * Replaces the banners only when the firing alerts changed, so that a refresh neither
 * flickers nor makes a screen reader read them again.
 */
export function renderAlerts(container, alerts) {
  const key = JSON.stringify(alerts.map((a) => [a.name, a.severity, a.value, a.threshold]));
  if (container.dataset.key === key) return;
  container.dataset.key = key;
  container.hidden = alerts.length === 0;
  mount(
    container,
    alerts.map((a) =>
      h(
        'div',
        {
          class: `alert-banner sev-${a.severity}`,
          'data-name': a.name,
          'data-severity': a.severity,
        },
        h(
          'div',
          { class: 'alert-head' },
          h('span', { class: 'sev-badge' }, SEVERITY_WORDS[a.severity] ?? a.severity),
          h('strong', { class: 'alert-name' }, a.name),
          h(
            'span',
            { class: 'alert-value' },
            h('b', null, alertFigure(a, a.value)),
            ` vs threshold ${alertFigure(a, a.threshold)}`,
          ),
        ),
        h('p', { class: 'alert-message' }, a.message),
      ),
    ),
  );
}

function stat(name, label, value, sub, opts = {}) {
  return h(
    'div',
    {
      class: `stat${opts.tone ? ` tone-${opts.tone}` : ''}${opts.wide ? ' wide' : ''}`,
      'data-stat': name,
      'data-value': opts.raw ?? null,
      'data-alert': opts.alert ? 'true' : null,
    },
    h('dt', null, label),
    h('dd', { class: 'stat-value' }, value),
    sub ? h('dd', { class: 'stat-sub' }, sub) : null,
  );
}

/** The figures of one window: rates over finished sagas, durations, active, stuck, failing steps. */
export function renderStats(grid, s) {
  const finished = s.finished ?? s.completed + s.compensated + s.failed;
  const firing = new Set(s.alerts.map((a) => ALERT_FIGURE[a.name]));
  const rate = (name, label, n, tone) =>
    stat(
      name,
      label,
      finished ? pct(s[name]) : '—',
      finished ? `${n} of ${finished} finished` : 'none finished yet',
      { tone: firing.has(name) ? tone : null, raw: s[name], alert: firing.has(name) },
    );
  const failures = Object.entries(s.stepFailures ?? {})
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3);
  mount(
    grid,
    rate('successRate', 'Success rate', s.completed, 'ok'),
    rate('compensationRate', 'Compensation rate', s.compensated, 'compensated'),
    rate('failureRate', 'Failure rate', s.failed, 'failed'),
    stat('averageDurationMs', 'Average duration', formatDuration(s.averageDurationMs), 'to final', {
      raw: s.averageDurationMs,
    }),
    stat('p95DurationMs', 'p95 duration', formatDuration(s.p95DurationMs), '95% within', {
      raw: s.p95DurationMs,
    }),
    stat('active', 'Active', String(s.active), `of ${s.started} started`, {
      raw: s.active,
    }),
    stat('stuck', 'Stuck', String(s.stuck), 'overdue, any age', {
      tone: s.stuck > 0 ? 'failed' : null,
      raw: s.stuck,
      alert: firing.has('stuck'),
    }),
    stat(
      'stepFailures',
      'Top step failures',
      failures.length
        ? h(
            'ol',
            { class: 'step-failures' },
            failures.map(([step, n]) =>
              h('li', { 'data-step': step }, h('code', null, step), h('span', null, String(n))),
            ),
          )
        : 'none',
      null,
      { wide: true },
    ),
  );
}
