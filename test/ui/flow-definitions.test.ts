// The visualizer for a flow definition (API.md Part 2, "Parallel steps, items, the pivot"; issue
// 10), in a real headless Chromium against the real service. The participant is a real HTTP
// service on loopback, scripted through the saga input. A DAG (flight and hotel at once, seats
// per passenger after flight, then the pivot charge, then ticket) is registered; one saga
// completes, one compensates after a passenger's seat fails. The pages draw the parallel regions
// side by side, mark the pivot, show each item's status and number the compensations.
import type { Browser, Page } from 'playwright-core';
import {
  startScriptedParticipant,
  type ScriptedParticipant,
} from '../support/scripted-participant';
import { startTestApp, waitForSaga, type TestApp } from '../support/test-app';
import { launchChromium, screenshot, watchErrors } from './browser';

type Json = Record<string, any>;
interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const retry = { maxAttempts: 1, backoffMs: 10, maxBackoffMs: 20 };
const step = (name: string, extra: Json = {}) => ({
  name,
  participant: 'svc',
  action: `do_${name}`,
  compensation: `undo_${name}`,
  retry,
  ...extra,
});

function tripDefinition(url: string) {
  return {
    name: 'trip',
    description: 'Flight and hotel at once, a seat per passenger, the charge (pivot), the ticket.',
    participants: { svc: { url } },
    steps: [
      step('flight', { dependsOn: [] }),
      step('hotel', { dependsOn: [] }),
      step('seats', { dependsOn: ['flight'], forEach: '/passengers', concurrency: 2 }),
      step('charge', { dependsOn: ['seats', 'hotel'], pivot: true, compensation: undefined }),
      step('ticket', { dependsOn: ['charge'], compensation: undefined }),
    ],
  };
}

/** A above B's row and not overlapping it sideways: side by side on one row. */
function sideBySide(a: Box, b: Box): boolean {
  const sameRow = Math.abs(a.top - b.top) < 1;
  const apart = a.right <= b.left || b.right <= a.left;
  return sameRow && apart;
}

describe('visualizer: a flow definition (parallel regions, items, the pivot, the undo order)', () => {
  let t: TestApp;
  let svc: ScriptedParticipant;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  let completedId: string;

  async function start(input: Json): Promise<string> {
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'trip', input },
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  const boxOf = (state: string) =>
    page.$eval(`#diagram [data-state="${state}"] > rect.frame`, (el) => {
      const r = el.getBoundingClientRect();
      return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
    });
  const badges = (cls: string) =>
    page.$$eval(`#diagram [data-badge="${cls}"]`, (els) =>
      els.map((e) => [e.closest('[data-state]')?.getAttribute('data-state'), e.textContent]),
    );
  const undoBadges = async () =>
    Object.fromEntries(
      (
        await page.$$eval('#diagram .region-badge.undo', (els) =>
          els.map((e) => [e.closest('[data-state]')?.getAttribute('data-state'), e.textContent]),
        )
      ).sort(),
    );
  const undoColumn = () =>
    page.$$eval('.steps-table tbody tr', (rows) =>
      Object.fromEntries(
        rows.map((r) => [
          r.getAttribute('data-step'),
          r.querySelector('.undo-order')?.getAttribute('data-undo'),
        ]),
      ),
    );
  const chips = (name: string) =>
    page.$$eval(`[data-items-of="${name}"] .item-chip`, (els) =>
      els.map((e) => [e.getAttribute('data-status'), e.getAttribute('data-compensation')]),
    );
  const fitOf = () =>
    page.$eval('#diagram', (box) => {
      const svg = box.querySelector('svg') as SVGSVGElement;
      return {
        pressed: document.getElementById('fit-width')!.getAttribute('aria-pressed'),
        direction: svg.getAttribute('data-direction'),
        rendered: svg.getBoundingClientRect().width,
        container: box.clientWidth,
        scrollWidth: box.scrollWidth,
      };
    });

  beforeAll(async () => {
    svc = await startScriptedParticipant();
    browser = await launchChromium();
    t = await startTestApp();
    const res = await t.api('/api/v1/definitions', {
      method: 'POST',
      json: tripDefinition(svc.url),
    });
    expect(res.status).toBe(201);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(`${t.baseUrl}/ui/#key=${encodeURIComponent(t.apiKey)}`);
    await page.waitForSelector('#app[data-ready="true"]');
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await svc?.close();
  });

  it('the definition page opens fitted: the regions that run at once side by side, each row after what it waits for; undo rows reversed', async () => {
    await page.goto(`${t.baseUrl}/ui/#/definitions/trip?version=1`);
    await page.waitForSelector('#app[data-ready="true"] #diagram svg');
    const fit = await fitOf();
    expect(fit).toMatchObject({ pressed: 'true', direction: 'DOWN' });
    expect(fit.rendered).toBeLessThanOrEqual(fit.container);
    expect(fit.scrollWidth).toBeLessThanOrEqual(fit.container);

    const [flight, hotel, seats, charge, ticket] = await Promise.all(
      ['flight', 'hotel', 'seats', 'charge', 'ticket'].map((s) => boxOf(`EXECUTING.${s}`)),
    );
    expect(sideBySide(flight, hotel)).toBe(true);
    expect(seats.top).toBeGreaterThanOrEqual(flight.bottom);
    expect(charge.top).toBeGreaterThanOrEqual(Math.max(seats.bottom, hotel.bottom));
    expect(ticket.top).toBeGreaterThanOrEqual(charge.bottom);
    const executing = await boxOf('EXECUTING');
    for (const b of [flight, hotel, seats, charge, ticket]) {
      expect(b.left).toBeGreaterThanOrEqual(executing.left);
      expect(b.right).toBeLessThanOrEqual(executing.right);
    }
    // Undo: hotel and seats first, at once; flight after seats (its dependent).
    const [uHotel, uSeats, uFlight] = await Promise.all(
      ['hotel', 'seats', 'flight'].map((s) => boxOf(`COMPENSATING.${s}`)),
    );
    expect(sideBySide(uHotel, uSeats)).toBe(true);
    expect(uFlight.top).toBeGreaterThanOrEqual(uSeats.bottom);
    expect((await boxOf('COMPENSATING')).top).toBeGreaterThanOrEqual(executing.bottom);

    // The dependencies are drawn, forward and reversed for the undo.
    const deps = await page.$$eval('#diagram path.dep', (els) =>
      els.map((e) => e.getAttribute('data-dep')).sort(),
    );
    expect(deps).toEqual(
      [
        'EXECUTING.flight→EXECUTING.seats',
        'EXECUTING.seats→EXECUTING.charge',
        'EXECUTING.hotel→EXECUTING.charge',
        'EXECUTING.charge→EXECUTING.ticket',
        'COMPENSATING.seats→COMPENSATING.flight',
      ].sort(),
    );
  });

  it('the definition page marks the pivot, says "no compensation" from it on, and numbers the undo plan', async () => {
    expect(await badges('pivot')).toEqual([['EXECUTING.charge', 'pivot']]);
    expect(await badges('no-undo')).toEqual([['EXECUTING.ticket', 'no compensation']]);
    const stubs = await page.$$eval('#diagram .region.is-stub', (els) =>
      els.map((e) => [
        e.getAttribute('data-state'),
        e.querySelector('.region-status')?.textContent,
      ]),
    );
    expect(stubs).toEqual([
      ['COMPENSATING.charge', 'no compensation: the pivot'],
      ['COMPENSATING.ticket', 'no compensation: after the pivot'],
    ]);
    expect(await undoBadges()).toEqual({
      'COMPENSATING.flight': 'undo 2',
      'COMPENSATING.hotel': 'undo 1',
      'COMPENSATING.seats': 'undo 1',
    });
    expect(
      await page.$$eval('#definition-steps tbody tr', (rows) =>
        rows.map((r) => [
          r.getAttribute('data-step'),
          r.querySelector('[data-pivot]') !== null,
          r.querySelector('.undo-order')?.textContent,
        ]),
      ),
    ).toEqual([
      ['flight', false, 'undo 2'],
      ['hotel', false, 'undo 1'],
      ['seats', false, 'undo 1'],
      ['charge', true, '—'],
      ['ticket', false, '—'],
    ]);
    expect(await page.textContent('.legend [data-legend="pivot"]')).toContain('pivot');
    await screenshot(page, 'definition-flow');
  });

  it('a completed saga: every region on the path, three item chips succeeded, nothing numbered for undo', async () => {
    completedId = await start({ passengers: ['ann', 'bob', 'cid'] });
    expect((await waitForSaga(t, completedId)).status).toBe('COMPLETED');
    await page.goto(`${t.baseUrl}/ui/#/sagas/${completedId}`);
    await page.waitForSelector('#app[data-ready="true"] #diagram svg');
    await page.waitForSelector('#diagram [data-current="true"][data-state="COMPLETED"]');
    const fit = await fitOf();
    expect(fit).toMatchObject({ pressed: 'true', direction: 'DOWN' });
    expect(fit.scrollWidth).toBeLessThanOrEqual(fit.container);
    expect(sideBySide(await boxOf('EXECUTING.flight'), await boxOf('EXECUTING.hotel'))).toBe(true);
    const tones = await page.$$eval('#diagram .region.kind-step', (els) =>
      els.map((e) => [e.getAttribute('data-state'), e.getAttribute('data-tone')]),
    );
    expect(tones).toEqual(
      ['flight', 'hotel', 'seats', 'charge', 'ticket'].map((s) => [`EXECUTING.${s}`, 'path']),
    );
    expect(await badges('pivot')).toEqual([['EXECUTING.charge', 'pivot']]);
    expect(await chips('seats')).toEqual([
      ['succeeded', 'none'],
      ['succeeded', 'none'],
      ['succeeded', 'none'],
    ]);
    expect(await page.textContent('[data-items-of="seats"] .item-summary')).toBe(
      '3/3 items succeeded',
    );
    expect(await undoBadges()).toEqual({});
    expect(await undoColumn()).toEqual({
      flight: '',
      hotel: '',
      seats: '',
      charge: 'none',
      ticket: 'none',
    });
  });

  it('a saga whose passenger seat fails, followed live: item chips move, the failed item stays failed, the compensations are numbered in the order they started', async () => {
    const id = await start({
      passengers: ['ann', 'bob', 'cid', 'dan', 'eve'],
      script: {
        seats: {
          // Item 0 answers first, item 2 then starts and fails at once, while item 1 is still
          // in flight (it finishes; no item starts after the failure): items 3 and 4 never run.
          execute: [{ status: 200, delayMs: 300, body: { seat: 'ok' } }],
          'execute:1': [{ status: 200, delayMs: 1500, body: { seat: 'ok' } }],
          'execute:2': [{ status: 409, body: { code: 'SEAT_TAKEN', message: 'seat taken' } }],
        },
        // Its undo outlasts seats' own: flight's undo starts while hotel's still runs.
        hotel: { compensate: [{ status: 200, delayMs: 2000, body: {} }] },
      },
    });
    await page.goto(`${t.baseUrl}/ui/#/sagas/${id}`);
    await page.waitForSelector('#app[data-ready="true"] #diagram svg');
    // Live: seats' items appear running before anything is final (the SSE stream moves it).
    await page.waitForSelector('[data-items-of="seats"] .item-chip[data-status="running"]', {
      timeout: 20_000,
    });
    expect(await page.textContent('#stored-state')).toMatch(/^EXECUTING/);
    await page.waitForSelector('#diagram [data-current="true"][data-state="COMPENSATED"]', {
      timeout: 30_000,
    });
    const saga = await waitForSaga(t, id);
    expect(saga.status).toBe('COMPENSATED');
    const apiItems = saga.steps.find((s: Json) => s.name === 'seats').items as Json[];
    expect(apiItems.map((i) => i.status)).toEqual([
      'compensated',
      'compensated',
      'failed',
      'pending',
      'pending',
    ]);
    await page.waitForFunction(
      () =>
        document.querySelectorAll('[data-items-of="seats"] .item-chip[data-status="compensated"]')
          .length === 2,
    );
    expect(await chips('seats')).toEqual(
      apiItems.map((i) => [i.status, i.compensation?.status ?? 'none']),
    );
    expect(await chips('seats')).toEqual([
      ['compensated', 'succeeded'],
      ['compensated', 'succeeded'],
      ['failed', 'none'],
      ['pending', 'none'],
      ['pending', 'none'],
    ]);
    expect(await page.textContent('[data-items-of="seats"] .item-summary')).toBe(
      '2/5 items succeeded, 1 failed · 2 undone',
    );
    expect(
      await page.$eval('#diagram [data-state="EXECUTING.seats"]', (e) =>
        e.getAttribute('data-tone'),
      ),
    ).toBe('failed');

    // The order the compensations started in, from the history: hotel's and seats' at once,
    // flight's once seats' (its dependent's) had finished, while hotel's still ran.
    const events = (await (await t.api(`/api/v1/sagas/${id}/events`)).json()) as Json[];
    const seq = (type: string, s: string, pick: 'first' | 'last') => {
      const found = events.filter((e) => e.type === type && e.step === s).map((e) => e.seq);
      return pick === 'first' ? found[0] : found[found.length - 1];
    };
    const seatsDone = seq('COMPENSATION_SUCCEEDED', 'seats', 'last');
    expect(seq('COMPENSATION_STARTED', 'hotel', 'first')).toBeLessThan(
      seq('COMPENSATION_SUCCEEDED', 'seats', 'first'),
    );
    expect(seq('COMPENSATION_STARTED', 'flight', 'first')).toBeGreaterThan(seatsDone);
    expect(seq('COMPENSATION_STARTED', 'flight', 'first')).toBeLessThan(
      seq('COMPENSATION_SUCCEEDED', 'hotel', 'first'),
    );
    expect(await undoBadges()).toEqual({
      'COMPENSATING.flight': 'undo 2',
      'COMPENSATING.hotel': 'undo 1',
      'COMPENSATING.seats': 'undo 1',
    });
    expect(await undoColumn()).toEqual({
      flight: '2',
      hotel: '1',
      seats: '1',
      charge: 'none',
      ticket: 'none',
    });
    expect(
      await page.$$eval('.steps-table [data-undo-source]', (els) =>
        els.map((e) => e.getAttribute('data-undo-source')),
      ),
    ).toEqual(['history', 'history', 'history']);
    expect(sideBySide(await boxOf('COMPENSATING.hotel'), await boxOf('COMPENSATING.seats'))).toBe(
      true,
    );
    await screenshot(page, 'saga-flow-compensated');
  });

  it('the numbering rules, run by the page’s own module: a chain undoes in reverse, a DAG by layer, a saga by what had finished before each undo started; nothing past the pivot', async () => {
    // Loaded by a string the browser evaluates: the test's own transpiler rewrites import().
    await page.evaluate(
      "import('/ui/compensation-order.js').then((m) => { window.__compensationOrder = m; })",
    );
    const result = await page.evaluate(() => {
      const m = (window as any).__compensationOrder;
      const chain = ['a', 'b', 'c'].map((name) => ({ name, compensation: `undo_${name}` }));
      const dag = [
        { name: 'a', compensation: 'x', dependsOn: [] },
        { name: 'b', compensation: 'x', dependsOn: [] },
        { name: 'c', compensation: 'x', dependsOn: ['a'] },
        { name: 'p', pivot: true, dependsOn: ['b', 'c'] },
      ];
      const st = (status: string, steps: [string, string][]) => ({
        status,
        steps: steps.map(([name, s]) => ({ name, status: s, compensation: null })),
      });
      const order = (states: unknown[]) =>
        Object.fromEntries(
          [...m.sagaCompensationOrder(dag, states)].map(([k, v]: any) => [k, `${v.n}:${v.source}`]),
        );
      return {
        chain: Object.fromEntries(m.compensationPlan(chain)),
        dag: Object.fromEntries(m.compensationPlan(dag)),
        // c failed: b's and a's undo (nothing depends on them that ran) start together.
        together: order([
          st('COMPENSATING', [
            ['a', 'compensating'],
            ['b', 'compensating'],
            ['c', 'failed'],
            ['p', 'pending'],
          ]),
          st('COMPENSATED', [
            ['a', 'compensated'],
            ['b', 'compensated'],
            ['c', 'failed'],
            ['p', 'pending'],
          ]),
        ]),
        // p failed: c's and b's first, a's once c's finished (b's still running).
        layered: order([
          st('COMPENSATING', [
            ['a', 'succeeded'],
            ['b', 'compensating'],
            ['c', 'compensating'],
            ['p', 'failed'],
          ]),
          st('COMPENSATING', [
            ['a', 'compensating'],
            ['b', 'compensating'],
            ['c', 'compensated'],
            ['p', 'failed'],
          ]),
          st('COMPENSATED', [
            ['a', 'compensated'],
            ['b', 'compensated'],
            ['c', 'compensated'],
            ['p', 'failed'],
          ]),
        ]),
        // Still executing: the plan over what would be undone now.
        planned: order([
          st('EXECUTING', [
            ['a', 'succeeded'],
            ['b', 'running'],
            ['c', 'running'],
            ['p', 'pending'],
          ]),
        ]),
        pastPivot: order([
          st('EXECUTING', [
            ['a', 'succeeded'],
            ['b', 'succeeded'],
            ['c', 'succeeded'],
            ['p', 'succeeded'],
          ]),
        ]),
      };
    });
    expect(result).toEqual({
      chain: { a: 3, b: 2, c: 1 },
      dag: { a: 2, b: 1, c: 1 },
      together: { a: '1:history', b: '1:history' },
      layered: { a: '2:history', b: '1:history', c: '1:history' },
      planned: { a: '2:plan', b: '1:plan', c: '1:plan' },
      pastPivot: {},
    });
  });

  it('no console errors and no page errors on any page', () => {
    expect(errors).toEqual([]);
  });
});
