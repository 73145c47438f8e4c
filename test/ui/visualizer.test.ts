// The statechart visualizer (issue 4) in a real headless Chromium, against the real service
// (PostgreSQL + BullMQ): sign-in, list counts, figures and alert banners, list filters, a
// compensated and a failed saga's path, timeline and time travel, definitions, a narrow
// screen, and no console errors.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { orderInput, startTestApp, waitForSaga, type TestApp } from '../support/test-app';
import { launchChromium, screenshot, watchErrors } from './browser';

const COMPENSATED_PATH = [
  'STARTED',
  'EXECUTING.validate_order',
  'EXECUTING.reserve_inventory',
  'EXECUTING.process_payment',
  'EXECUTING.arrange_shipping',
  'COMPENSATING.process_payment',
  'COMPENSATING.reserve_inventory',
  'COMPENSATING.validate_order',
  'COMPENSATED',
];
const FAILED_PATH = [...COMPENSATED_PATH.slice(0, 6), 'FAILED'];

describe('statechart visualizer at /ui (issue 4)', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  let compensatedId: string;
  let failedId: string;

  async function startOrder(postalCode: string): Promise<string> {
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'order', input: orderInput({ postalCode }) },
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  async function openSaga(id: string): Promise<void> {
    await page.goto(`${t.baseUrl}/ui/#/sagas/${id}`);
    await page.waitForSelector('#app[data-ready="true"] #diagram svg');
  }

  const pathShown = () =>
    page.$$eval('#path li', (els) => els.map((e) => e.getAttribute('data-state')));
  const currentState = () =>
    page.$eval('#diagram [data-current="true"]', (e) => e.getAttribute('data-state'));
  const toneOf = (state: string) =>
    page.$eval(`#diagram [data-state="${state}"]`, (e) => e.getAttribute('data-tone'));
  const drawnEdges = () =>
    page.$$eval('#diagram path.edge', (els) =>
      els.map((e) => ({
        edge: e.getAttribute('data-edge'),
        events: e.getAttribute('data-events'),
        taken: e.classList.contains('taken'),
      })),
    );
  /** How the chart sits in its panel: fitted (the default) or 1:1, in CSS pixels. */
  const fitOf = () =>
    page.$eval('#diagram', (box) => {
      const svg = box.querySelector('svg') as SVGSVGElement;
      const now = box.querySelector('[data-current="true"] rect.box')?.getBoundingClientRect();
      const panel = box.getBoundingClientRect();
      return {
        pressed: document.getElementById('fit-width')!.getAttribute('aria-pressed'),
        direction: svg.getAttribute('data-direction'),
        rendered: svg.getBoundingClientRect().width,
        natural: svg.viewBox.baseVal.width,
        container: box.clientWidth,
        scrollWidth: box.scrollWidth,
        nowInView: now
          ? now.top >= panel.top &&
            now.bottom <= panel.bottom &&
            now.left >= panel.left &&
            now.right <= panel.right
          : null,
      };
    });
  /** The smallest node label as rendered on screen, in CSS pixels (the SVG may be scaled). */
  const smallestLabelPx = () =>
    page.$eval('#diagram svg', (svg) => {
      const scale =
        svg.getBoundingClientRect().width / (svg as SVGSVGElement).viewBox.baseVal.width;
      const sizes = [...svg.querySelectorAll('.state text.label')].map(
        (t) => parseFloat(getComputedStyle(t).fontSize) * scale,
      );
      return Math.min(...sizes);
    });

  beforeAll(async () => {
    browser = await launchChromium();
    t = await startTestApp({ env: { SAGA_FAULTS: 'enabled' } });
    compensatedId = await startOrder('000000');
    await waitForSaga(t, compensatedId);
    const fault = await t.api('/api/v1/faults', {
      method: 'POST',
      json: { participant: 'payment', action: 'refund', mode: 'fail', times: 1 },
    });
    expect(fault.status).toBe(201);
    failedId = await startOrder('000000');
    expect((await waitForSaga(t, failedId)).status).toBe('FAILED');
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    watchErrors(page, errors);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('/ui/#key=<key> opens signed in, keeps the key in sessionStorage and strips it from the URL', async () => {
    await page.goto(`${t.baseUrl}/ui/#key=${encodeURIComponent(t.apiKey)}`);
    await page.waitForSelector('#app[data-ready="true"] #saga-list tbody tr');
    expect(page.url()).not.toContain('key=');
    expect(page.url()).toMatch(/\/ui\/#\/sagas$/);
    expect(await page.evaluate(() => sessionStorage.getItem('sagachart.apiKey'))).toBe(t.apiKey);
    const ids = await page.$$eval('#saga-list tbody tr', (rows) =>
      rows.map((r) => r.getAttribute('data-id')),
    );
    expect(ids).toEqual([failedId, compensatedId]); // newest first
    await page.waitForSelector('#counts .count[data-status="FAILED"]');
    expect(
      await page.$eval('#counts .count[data-status="FAILED"] .count-n', (e) => e.textContent),
    ).toBe('1');
    expect(
      await page.$eval('#counts .count[data-status="COMPENSATED"] .count-n', (e) => e.textContent),
    ).toBe('1');
  });

  it('the list shows the counts of /sagas/counts, the figures of /stats and a banner per firing alert', async () => {
    const api = (await (await t.api('/api/v1/sagas/counts')).json()) as Record<string, number>;
    expect(api).toEqual({
      STARTED: 0,
      EXECUTING: 0,
      COMPENSATING: 0,
      COMPLETED: 0,
      FAILED: 1,
      COMPENSATED: 1,
    });
    const shown = await page.$$eval('#counts .count', (els) =>
      Object.fromEntries(
        els.map((e) => [
          e.getAttribute('data-status'),
          Number(e.querySelector('.count-n')!.textContent),
        ]),
      ),
    );
    expect(shown).toEqual(api);

    const storm = '#alerts .alert-banner[data-name="SagaCompensationStorm"]';
    await page.waitForSelector(storm);
    const stats = (await (await t.api('/api/v1/stats?window=1h')).json()) as {
      compensationRate: number;
      alerts: { name: string; severity: string }[];
    };
    expect(stats.compensationRate).toBeGreaterThan(0.2);
    const banners = await page.$$eval('#alerts .alert-banner', (els) =>
      els.map((e) => ({
        name: e.getAttribute('data-name'),
        severity: e.getAttribute('data-severity'),
      })),
    );
    expect(banners).toEqual(stats.alerts.map((a) => ({ name: a.name, severity: a.severity })));
    const banner = await page.$eval(storm, (e) => ({
      text: e.textContent,
      colour: getComputedStyle(e).borderLeftColor,
    }));
    expect(banner.text).toContain('Warning');
    expect(banner.text).toContain('SagaCompensationStorm');
    expect(banner.text).toContain('50.0% vs threshold 20.0%');
    expect(banner.text).toContain('were compensated');
    expect(banner.colour).toBe('rgb(161, 98, 7)'); // amber for a warning
    const critical = await page.$eval(
      '#alerts .alert-banner[data-name="SagaHighFailureRate"]',
      (e) => ({ text: e.textContent, colour: getComputedStyle(e).borderLeftColor }),
    );
    expect(critical.text).toContain('Critical');
    expect(critical.colour).toBe('rgb(220, 38, 38)'); // red for critical

    const figure = (name: string) =>
      page.$eval(`#stats [data-stat="${name}"]`, (e) => ({
        value: e.getAttribute('data-value'),
        text: e.querySelector('.stat-value')!.textContent,
        alert: e.getAttribute('data-alert'),
      }));
    const rate = await figure('compensationRate');
    expect(Number(rate.value)).toBeGreaterThan(0);
    expect(rate.text).toBe('50.0%');
    expect(rate.alert).toBe('true');
    expect((await figure('successRate')).text).toBe('0.0%');
    expect((await figure('failureRate')).text).toBe('50.0%');
    expect((await figure('active')).text).toBe('0');
    expect((await figure('stuck')).text).toBe('0');
    expect((await figure('p95DurationMs')).text).toMatch(/\d (ms|s)$/);
    expect(
      await page.$$eval('#stats [data-stat="stepFailures"] li', (els) =>
        els.map((e) => e.getAttribute('data-step')),
      ),
    ).toContain('arrange_shipping');
    expect(await page.textContent('#stats-note')).toContain('2 alerts firing');
    await screenshot(page, 'sagas-list');

    await page.selectOption('#stats-window', '15m');
    await page.waitForSelector('#stats[data-window="15m"]');
    expect(page.url()).toContain('window=15m');
    expect(await page.$(storm)).not.toBeNull();
    await page.selectOption('#stats-window', '1h');
    await page.waitForSelector('#stats[data-window="1h"]');
  });

  it('the list filters by status and searches by id', async () => {
    await page.selectOption('#filter-status', 'COMPENSATED');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#saga-list tbody tr')].every(
        (r) => r.getAttribute('data-status') === 'COMPENSATED',
      ),
    );
    expect(
      await page.$$eval('#saga-list tbody tr', (rows) =>
        rows.map((r) => r.getAttribute('data-id')),
      ),
    ).toEqual([compensatedId]);
    await page.selectOption('#filter-status', '');
    await page.fill('#search', failedId.slice(0, 6));
    await page.waitForFunction((id) => {
      const rows = [...document.querySelectorAll('#saga-list tbody tr')];
      return rows.length === 1 && rows[0].getAttribute('data-id') === id;
    }, failedId);
    await page.fill('#search', '');
  });

  it('a compensated saga: path numbered in order, failed step red, compensations, NOW on COMPENSATED', async () => {
    await openSaga(compensatedId);
    // It opens fitted to the panel's width (top to bottom), NOW scrolled into view.
    const fit = await fitOf();
    expect(fit).toMatchObject({ pressed: 'true', direction: 'DOWN', nowInView: true });
    expect(fit.rendered).toBeLessThanOrEqual(fit.container);
    expect(fit.scrollWidth).toBeLessThanOrEqual(fit.container);
    expect(await pathShown()).toEqual(COMPENSATED_PATH);
    expect(await currentState()).toBe('COMPENSATED');
    expect(await toneOf('EXECUTING.arrange_shipping')).toBe('failed');
    expect(await toneOf('EXECUTING.process_payment')).toBe('path');
    expect(await toneOf('COMPENSATING.reserve_inventory')).toBe('compensated');
    expect(await toneOf('EXECUTING.send_notification')).toBe('none');
    expect(
      await page.$eval('#diagram [data-state="COMPENSATING.process_payment"]', (e) =>
        e.getAttribute('data-visits'),
      ),
    ).toBe('6');
    const types = await page.$$eval('#timeline li', (els) =>
      els.map((e) => e.getAttribute('data-type')),
    );
    expect(types[0]).toBe('SAGA_STARTED');
    expect(types[types.length - 1]).toBe('SAGA_COMPENSATED');
    const failure = await page.$eval('#timeline li[data-type="STEP_FAILED"]', (e) => e.textContent);
    expect(failure).toContain('arrange_shipping');
    expect(failure).toContain('ADDRESS_NOT_SERVICEABLE');
    await screenshot(page, 'saga-compensated');
  });

  it("the saga's path view: every state, but only the main flow and the transitions taken; All transitions draws the rest", async () => {
    const def = (await (await t.api('/api/v1/definitions/order')).json()) as {
      machine: { nodes: unknown[]; edges: unknown[] };
    };
    expect(await page.$eval('#all-transitions', (e) => e.getAttribute('aria-pressed'))).toBe(
      'false',
    );
    expect(await page.$$eval('#diagram [data-state]', (e) => e.length)).toBe(
      def.machine.nodes.length,
    );
    const few = await drawnEdges();
    // START, 4 + 1 successes, 4 + 1 undos, the failure into COMPENSATING: nothing else.
    expect(few).toHaveLength(12);
    expect(few.filter((e) => e.taken).map((e) => e.edge)).toEqual(
      expect.arrayContaining([
        'EXECUTING.arrange_shipping→COMPENSATING.process_payment',
        'COMPENSATING.validate_order→COMPENSATED',
      ]),
    );
    expect(few.filter((e) => e.taken)).toHaveLength(COMPENSATED_PATH.length - 1);
    const labels = await page.$$eval('#diagram .edge-label', (els) =>
      els.map((e) => e.textContent),
    );
    expect(labels).toHaveLength(few.length);
    expect(new Set(labels)).toEqual(new Set(['start', 'succeeded', 'failed', 'undone']));
    expect(await page.textContent('#view-note')).toContain('transitions hidden');
    expect(await smallestLabelPx()).toBeGreaterThanOrEqual(12);

    // Fit to width off: the same chart left to right at 1:1, scrolling sideways to NOW.
    await page.click('#fit-width');
    await page.waitForSelector('#diagram[data-fit="false"] svg[data-direction="RIGHT"]');
    const natural = await fitOf();
    expect(natural.pressed).toBe('false');
    expect(Math.abs(natural.rendered - natural.natural)).toBeLessThanOrEqual(1);
    expect(natural.scrollWidth).toBeGreaterThan(natural.container);
    expect(natural.nowInView).toBe(true);
    expect(await drawnEdges()).toHaveLength(12);
    expect(await smallestLabelPx()).toBeGreaterThanOrEqual(14);
    await screenshot(page, 'saga-compensated-1to1');
    await page.click('#fit-width');
    await page.waitForSelector('#diagram[data-fit="true"] svg[data-direction="DOWN"]');

    await page.click('#all-transitions');
    await page.waitForSelector('#diagram[data-view="all"]');
    const all = await drawnEdges();
    expect(all.length).toBeGreaterThan(few.length);
    // Parallel transitions are merged: one arrow per pair of states (plus self-loops).
    expect(new Set(all.map((e) => e.edge)).size).toBe(all.length);
    expect(all.filter((e) => e.taken)).toHaveLength(COMPENSATED_PATH.length - 1);
    expect(await pathShown()).toEqual(COMPENSATED_PATH);
    expect(await currentState()).toBe('COMPENSATED');
    // Every transition is wider than the panel even top to bottom: it stays readable and
    // scrolls sideways, NOW in view.
    expect(await smallestLabelPx()).toBeGreaterThanOrEqual(12);
    expect((await fitOf()).nowInView).toBe(true);
    await screenshot(page, 'saga-compensated-all');
    await page.click('#all-transitions');
    await page.waitForSelector('#diagram[data-view="path"]');
  });

  it('time travel: choosing an early event moves NOW to the replayed state of that moment', async () => {
    const states = (await (await t.api(`/api/v1/sagas/${compensatedId}/states`)).json()) as {
      states: { seq: number; type: string; state: string }[];
    };
    const early = states.states.find((s) => s.type === 'STEP_SUCCEEDED')!;
    expect(early.state).toBe('EXECUTING.reserve_inventory');
    await page.click(`#timeline li[data-seq="${early.seq}"] button`);
    await page.waitForFunction(
      (seq) =>
        document.querySelector('#timeline li[aria-current="step"]')?.getAttribute('data-seq') ===
        String(seq),
      early.seq,
    );
    expect(await currentState()).toBe('EXECUTING.reserve_inventory');
    expect(await pathShown()).toEqual(COMPENSATED_PATH.slice(0, 3));
    expect(await toneOf('EXECUTING.arrange_shipping')).toBe('none');
    expect(await page.textContent('#travel')).toContain(`after event #${early.seq}`);
    await screenshot(page, 'saga-time-travel');
    await page.click('#latest');
    expect(await currentState()).toBe('COMPENSATED');
  });

  it('a saga whose compensation failed: path ends in FAILED, the failed compensation marked', async () => {
    await openSaga(failedId);
    expect(await pathShown()).toEqual(FAILED_PATH);
    expect(await currentState()).toBe('FAILED');
    expect(await toneOf('COMPENSATING.process_payment')).toBe('comp-failed');
    expect(await toneOf('FAILED')).toBe('comp-failed');
    expect(await toneOf('EXECUTING.arrange_shipping')).toBe('failed');
    const compFailure = await page.$eval(
      '#timeline li[data-type="COMPENSATION_FAILED"]',
      (e) => e.textContent,
    );
    expect(compFailure).toContain('process_payment');
    expect(await page.textContent('.saga-header')).toContain('A person must act');
    const taken = (await drawnEdges()).filter((e) => e.taken).map((e) => e.edge);
    expect(taken).toContain('COMPENSATING.process_payment→FAILED');
    expect(taken).toHaveLength(FAILED_PATH.length - 1);
    const fit = await fitOf();
    expect(fit).toMatchObject({ pressed: 'true', nowInView: true });
    expect(fit.scrollWidth).toBeLessThanOrEqual(fit.container);
    await screenshot(page, 'saga-failed');
    await page.click('#fit-width');
    await page.waitForSelector('#diagram[data-fit="false"]');
    expect((await fitOf()).nowInView).toBe(true);
    await screenshot(page, 'saga-failed-1to1');
    await page.click('#fit-width');
    await page.waitForSelector('#diagram[data-fit="true"]');
  });

  it('a definition: the full statechart and each step’s settings', async () => {
    await page.goto(`${t.baseUrl}/ui/#/definitions/order`);
    await page.waitForSelector('#app[data-ready="true"] #diagram svg');
    const def = (await (await t.api('/api/v1/definitions/order')).json()) as {
      machine: { nodes: unknown[]; edges: unknown[] };
    };
    expect(await page.$$eval('#diagram [data-state]', (e) => e.length)).toBe(
      def.machine.nodes.length,
    );
    // Every transition by default, parallel ones merged into one labelled arrow.
    expect(await page.$eval('#all-transitions', (e) => e.getAttribute('aria-pressed'))).toBe(
      'true',
    );
    const arrows = await drawnEdges();
    const merged = arrows.reduce((n, e) => n + (e.events ?? '').split(' ').length, 0);
    expect(merged).toBe(def.machine.edges.length);
    expect(await smallestLabelPx()).toBeGreaterThanOrEqual(12);
    expect(
      await page.$eval(
        '#diagram [data-state="EXECUTING.process_payment"] text.status',
        (e) => e.textContent,
      ),
    ).toBe('payment.charge');
    const rows = await page.$$eval('#definition-steps tbody tr', (els) =>
      els.map((e) => e.textContent),
    );
    expect(rows).toHaveLength(5);
    expect(rows[2]).toContain('payment');
    expect(rows[2]).toContain('refund');
    expect(rows[2]).toContain('4 attempts');
    await screenshot(page, 'definition-order');
    // The definition page opens 1:1 (left to right); Fit to width draws it top to bottom.
    expect(await page.$eval('#fit-width', (e) => e.getAttribute('aria-pressed'))).toBe('false');
    await page.click('#fit-width');
    await page.waitForSelector('#diagram[data-fit="true"] svg[data-direction="DOWN"]');
    expect(await smallestLabelPx()).toBeGreaterThanOrEqual(12);
    await screenshot(page, 'definition-order-fit');
    await page.click('#fit-width');
    await page.waitForSelector('#diagram[data-fit="false"] svg[data-direction="RIGHT"]');
    await page.click('#all-transitions');
    await page.waitForSelector('#diagram[data-view="spine"]');
    expect((await drawnEdges()).length).toBe(11);
  });

  it('on a 400px screen the panels stack and the diagram scrolls inside its box', async () => {
    await page.setViewportSize({ width: 400, height: 800 });
    await page.goto(`${t.baseUrl}/ui/#/sagas`);
    await page.waitForSelector('#app[data-ready="true"] #alerts .alert-banner');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      400,
    );
    await screenshot(page, 'sagas-list-narrow');
    await openSaga(failedId);
    const widths = await page.evaluate(() => {
      const d = document.getElementById('diagram')!;
      return {
        doc: document.documentElement.scrollWidth,
        inner: d.scrollWidth,
        box: d.clientWidth,
      };
    });
    expect(widths.doc).toBeLessThanOrEqual(400);
    // Fitted, but never below the readable size: narrower than that, the chart scrolls sideways
    // inside its box (the page itself does not), NOW in view.
    expect(widths.inner).toBeGreaterThan(widths.box);
    expect(await smallestLabelPx()).toBeGreaterThanOrEqual(12);
    expect((await fitOf()).nowInView).toBe(true);
    await screenshot(page, 'saga-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('asks for the key when none is stored, and refuses a wrong one', async () => {
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const p = await fresh.newPage();
    const own: string[] = [];
    watchErrors(p, own);
    await p.goto(`${t.baseUrl}/ui/`);
    await p.fill('#api-key', 'not-the-key');
    await p.click('button[type="submit"]');
    await p.waitForFunction(() =>
      document.querySelector('.signin [role="alert"]')?.textContent?.includes('refused'),
    );
    await screenshot(p, 'sign-in');
    await p.fill('#api-key', t.apiKey);
    await p.click('button[type="submit"]');
    await p.waitForSelector('#app[data-ready="true"] #saga-list tbody tr');
    await fresh.close();
    // The wrong key's 401 is logged by the browser itself; nothing else may be.
    expect(own.filter((e) => !e.includes('401'))).toEqual([]);
  });

  it('no console errors and no page errors on any page', () => {
    expect(errors).toEqual([]);
  });
});
