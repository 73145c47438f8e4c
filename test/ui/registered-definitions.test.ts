// The visualizer with a definition registered over the API (API.md, Part 2), in a real headless
// Chromium against the real service: its participants are a tiny node:http server on loopback
// that answers 200 {} to every POST (an async step's outcome then comes by the callback the
// test sends). The definitions page lists it beside the built-in `order`, with its source,
// version, participants and async step, and draws its statechart; its sagas' pages draw their
// paths, read the async acceptance, follow the callback live, and open fitted to the panel.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, waitForSaga, type TestApp } from '../support/test-app';
import { launchChromium, screenshot, watchErrors } from './browser';

type Json = Record<string, any>;

interface Received {
  path: string;
  body: Json;
}

/** Answers 200 {} to every POST and keeps what it was sent (for the async step's callbackUrl). */
async function startAcceptingParticipant(): Promise<{
  url: string;
  received: Received[];
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Json = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
      } catch {
        // kept as {}
      }
      received.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const STEPS = ['book_flight', 'book_hotel', 'send_ticket'];

function tripDefinition(url: string) {
  return {
    name: 'trip',
    description: 'Flight, hotel (confirmed by callback), then the ticket.',
    participants: { flight: { url }, hotel: { url } },
    inputSchema: {
      type: 'object',
      required: ['traveller'],
      properties: { traveller: { type: 'string' } },
    },
    steps: [
      { name: 'book_flight', participant: 'flight', action: 'book', compensation: 'cancel' },
      {
        name: 'book_hotel',
        participant: 'hotel',
        action: 'reserve',
        compensation: 'release',
        async: true,
        timeoutMs: 120_000,
      },
      { name: 'send_ticket', participant: 'flight', action: 'ticket', compensation: 'void' },
    ],
  };
}

const COMPLETED_PATH = [
  'STARTED',
  'EXECUTING.book_flight',
  'EXECUTING.book_hotel',
  'EXECUTING.send_ticket',
  'COMPLETED',
];
const CANCELLED_PATH = [
  'STARTED',
  'EXECUTING.book_flight',
  'EXECUTING.book_hotel',
  'COMPENSATING.awaiting_in_flight_step',
  'COMPENSATING.book_hotel',
  'COMPENSATING.book_flight',
  'COMPENSATED',
];

describe('visualizer: a registered definition, drawn like a built-in one', () => {
  let t: TestApp;
  let participant: Awaited<ReturnType<typeof startAcceptingParticipant>>;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  let machine: { nodes: { id: string; kind: string }[]; edges: unknown[] };
  let completedId: string;
  let cancelledId: string;

  async function startTrip(traveller: string): Promise<string> {
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'trip', input: { traveller } },
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  /** Waits until the async hotel step was accepted; its request's callbackUrl. */
  async function acceptedHotel(sagaId: string): Promise<string> {
    await waitForSaga(t, sagaId, (s) => s.state === 'EXECUTING.book_hotel');
    const deadline = Date.now() + 20_000;
    for (;;) {
      const events = (await (await t.api(`/api/v1/sagas/${sagaId}/events`)).json()) as Json[];
      const call = participant.received.find(
        (r) => r.body.sagaId === sagaId && r.body.step === 'book_hotel',
      );
      if (call && events.some((e) => e.type === 'STEP_ACCEPTED')) {
        expect(call.path).toBe('/reserve');
        expect(call.body.callbackUrl).toMatch(/\/api\/v1\/callbacks\/[^/]+$/);
        return call.body.callbackUrl as string;
      }
      if (Date.now() > deadline) throw new Error(`book_hotel of ${sagaId} was never accepted`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function callBack(callbackUrl: string): Promise<void> {
    const res = await fetch(callbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'succeeded', output: { ref: 'H-1' } }),
    });
    expect(res.status).toBe(202);
  }

  async function openSaga(id: string): Promise<void> {
    await page.goto(`${t.baseUrl}/ui/#/sagas/${id}`);
    await page.waitForSelector('#app[data-ready="true"] #diagram svg');
  }

  const pathShown = () =>
    page.$$eval('#path li', (els) => els.map((e) => e.getAttribute('data-state')));
  const currentState = () =>
    page.$eval('#diagram [data-current="true"]', (e) => e.getAttribute('data-state'));
  const takenEdges = () =>
    page.$$eval('#diagram path.edge.taken', (els) => els.map((e) => e.getAttribute('data-edge')));
  /** How the chart sits in its panel, in CSS pixels. */
  const fitOf = () =>
    page.$eval('#diagram', (box) => {
      const svg = box.querySelector('svg') as SVGSVGElement;
      const rendered = svg.getBoundingClientRect().width;
      const scale = rendered / svg.viewBox.baseVal.width;
      const labels = [...svg.querySelectorAll('.state text.label')].map(
        (el) => parseFloat(getComputedStyle(el).fontSize) * scale,
      );
      const now = box.querySelector('[data-current="true"] rect.box')?.getBoundingClientRect();
      const panel = box.getBoundingClientRect();
      return {
        pressed: document.getElementById('fit-width')!.getAttribute('aria-pressed'),
        direction: svg.getAttribute('data-direction'),
        rendered,
        natural: svg.viewBox.baseVal.width,
        container: box.clientWidth,
        scrollWidth: box.scrollWidth,
        scrollLeft: box.scrollLeft,
        smallestLabelPx: Math.min(...labels),
        nowInView: now
          ? now.top >= panel.top &&
            now.bottom <= panel.bottom &&
            now.left >= panel.left &&
            now.right <= panel.right
          : null,
      };
    });

  beforeAll(async () => {
    participant = await startAcceptingParticipant();
    browser = await launchChromium();
    t = await startTestApp();
    const res = await t.api('/api/v1/definitions', {
      method: 'POST',
      json: tripDefinition(participant.url),
    });
    expect(res.status).toBe(201);
    const registered = (await res.json()) as Json;
    expect(registered).toMatchObject({ name: 'trip', version: 1, source: 'registered' });
    machine = registered.machine;
    // A second definition, registered and retired at once (no saga ever ran on it).
    const legacy = await t.api('/api/v1/definitions', {
      method: 'POST',
      json: {
        name: 'legacy-trip',
        description: 'Superseded.',
        participants: { flight: { url: participant.url } },
        steps: [
          { name: 'book_flight', participant: 'flight', action: 'book', compensation: 'cancel' },
        ],
      },
    });
    expect(legacy.status).toBe(201);
    expect(
      (await t.api('/api/v1/definitions/legacy-trip?version=1', { method: 'DELETE' })).status,
    ).toBe(200);

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(`${t.baseUrl}/ui/#key=${encodeURIComponent(t.apiKey)}`);
    await page.waitForSelector('#app[data-ready="true"]');
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await participant?.close();
  });

  it('the definitions page lists the registered definitions beside the built-in one: source, version, retired, participants and their URLs, async steps', async () => {
    await page.goto(`${t.baseUrl}/ui/#/definitions`);
    await page.waitForSelector('#app[data-ready="true"] #definition-cards');
    const cards = await page.$$eval('#definition-cards .def-card', (els) =>
      els.map((e) => ({
        name: e.getAttribute('data-name'),
        version: e.getAttribute('data-version'),
        source: e.getAttribute('data-source'),
        retired: e.getAttribute('data-retired'),
        badge: e.querySelector('.badge-source')?.textContent,
      })),
    );
    expect(cards).toEqual([
      { name: 'order', version: '1', source: 'built-in', retired: 'false', badge: 'built in' },
      {
        name: 'legacy-trip',
        version: '1',
        source: 'registered',
        retired: 'true',
        badge: 'registered',
      },
      { name: 'trip', version: '1', source: 'registered', retired: 'false', badge: 'registered' },
    ]);
    const trip = '#definition-cards .def-card[data-name="trip"]';
    expect(
      await page.$$eval(`${trip} .def-steps code`, (els) => els.map((e) => e.textContent)),
    ).toEqual(STEPS);
    // Only book_hotel is async, and the card says so next to it.
    expect(
      await page.$$eval(`${trip} [data-async-step]`, (els) =>
        els.map((e) => [e.getAttribute('data-async-step'), e.textContent]),
      ),
    ).toEqual([['book_hotel', 'async']]);
    expect(
      await page.$$eval(`${trip} .def-participants li`, (els) =>
        els.map((e) => [
          e.getAttribute('data-participant'),
          e.querySelector('.participant-url')?.textContent,
        ]),
      ),
    ).toEqual([
      ['flight', participant.url],
      ['hotel', participant.url],
    ]);
    expect(
      await page.$eval(
        '#definition-cards .def-card[data-name="legacy-trip"]',
        (e) => e.textContent,
      ),
    ).toContain('retired');
    expect(
      await page.$eval(
        '#definition-cards .def-card[data-name="order"] .def-participants',
        (e) => e.textContent,
      ),
    ).toContain('built in');
    await screenshot(page, 'definitions-registered');
  });

  it("a registered definition's page: its statechart exactly like order's (one state per step and per compensation), participants, async steps", async () => {
    await page.click('#definition-cards .def-card[data-name="trip"]');
    await page.waitForSelector('#app[data-ready="true"] #diagram svg');
    expect(page.url()).toContain('#/definitions/trip?version=1');
    expect(await page.$$eval('#diagram [data-state]', (e) => e.length)).toBe(machine.nodes.length);
    const stepNodes = await page.$$eval('#diagram .state.kind-step', (els) =>
      els.map((e) => e.getAttribute('data-state')),
    );
    expect(stepNodes).toEqual(STEPS.map((s) => `EXECUTING.${s}`));
    const compensationNodes = await page.$$eval('#diagram .state.kind-compensation', (els) =>
      els.map((e) => e.getAttribute('data-state')),
    );
    expect(compensationNodes.sort()).toEqual(STEPS.map((s) => `COMPENSATING.${s}`).sort());
    // Every transition of the machine is drawn (parallel ones merged into one arrow).
    const events = await page.$$eval('#diagram path.edge', (els) =>
      els.reduce((n, e) => n + (e.getAttribute('data-events') ?? '').split(' ').length, 0),
    );
    expect(events).toBe(machine.edges.length);
    expect(
      await page.$eval(
        '#diagram [data-state="EXECUTING.book_hotel"] text.status',
        (e) => e.textContent,
      ),
    ).toBe('hotel.reserve');
    expect(await page.textContent('#def-source')).toBe('registered');
    const rows = await page.$$eval('#definition-steps tbody tr', (els) =>
      els.map((e) => [
        e.getAttribute('data-step'),
        e.getAttribute('data-async'),
        e.querySelector('.step-mode')?.textContent,
      ]),
    );
    expect(rows).toEqual([
      ['book_flight', 'false', 'by reply'],
      ['book_hotel', 'true', 'async: action by callback'],
      ['send_ticket', 'false', 'by reply'],
    ]);
    expect(
      await page.$$eval('#definition-participants tbody tr', (els) =>
        els.map((e) => [
          e.getAttribute('data-participant'),
          e.querySelector('.participant-url')?.textContent,
        ]),
      ),
    ).toEqual([
      ['flight', participant.url],
      ['hotel', participant.url],
    ]);
    expect(await page.textContent('#input-schema')).toContain('traveller');
    await screenshot(page, 'definition-registered');
  });

  it('the sagas list offers the registered definitions in its filter', async () => {
    completedId = await startTrip('Ada');
    await page.goto(`${t.baseUrl}/ui/#/sagas`);
    await page.waitForSelector('#app[data-ready="true"] #saga-list tbody tr');
    const options = await page.$$eval('#filter-definition option', (els) =>
      els.map((e) => (e as HTMLOptionElement).value),
    );
    expect(options).toEqual(['', 'order', 'legacy-trip', 'trip']);
    await page.selectOption('#filter-definition', 'trip');
    await page.waitForFunction(() => window.location.hash.includes('definition=trip'));
    await page.waitForSelector(`#saga-list tbody tr[data-id="${completedId}"]`);
    expect(await page.textContent(`#saga-list tbody tr[data-id="${completedId}"]`)).toContain(
      'trip v1',
    );
  });

  it('a saga waiting for a callback: the acceptance reads well, NOW on the async step, opened fitted to the panel; the callback moves it on live', async () => {
    const callbackUrl = await acceptedHotel(completedId);
    await openSaga(completedId);
    expect(await currentState()).toBe('EXECUTING.book_hotel');
    const accepted = await page.$eval(
      '#timeline li[data-type="STEP_ACCEPTED"]',
      (e) => e.textContent,
    );
    expect(accepted).toContain('Step accepted by the participant');
    expect(accepted).toContain('book_hotel');
    expect(accepted).toMatch(/accepted — waiting for callback until \d{1,2}:\d{2}:\d{2}/);
    expect(accepted).toContain('up to 2 min');

    // Opened fitted: nothing wider than the panel, no sideways scroll, NOW in view, readable.
    const fit = await fitOf();
    expect(fit.pressed).toBe('true');
    expect(fit.direction).toBe('DOWN');
    expect(fit.rendered).toBeLessThanOrEqual(fit.container);
    expect(fit.scrollWidth).toBeLessThanOrEqual(fit.container);
    expect(fit.nowInView).toBe(true);
    expect(fit.smallestLabelPx).toBeGreaterThanOrEqual(12);
    await screenshot(page, 'saga-registered-waiting');

    await callBack(callbackUrl);
    await page.waitForSelector('#diagram [data-current="true"][data-state="COMPLETED"]', {
      timeout: 20_000,
    });
    expect((await waitForSaga(t, completedId)).status).toBe('COMPLETED');
    await page.waitForSelector('#timeline li[data-type="SAGA_COMPLETED"]');
    expect(await pathShown()).toEqual(COMPLETED_PATH);
    expect(await takenEdges()).toHaveLength(COMPLETED_PATH.length - 1);
    for (const step of STEPS)
      expect(
        await page.$eval(`#diagram [data-state="EXECUTING.${step}"]`, (e) =>
          e.getAttribute('data-tone'),
        ),
      ).toBe('path');
    expect((await fitOf()).nowInView).toBe(true);
  });

  it('a cancelled saga of the registered definition: the path through the wait for the in-flight step and both compensations; Fit to width off shows it 1:1', async () => {
    cancelledId = await startTrip('Grace');
    const callbackUrl = await acceptedHotel(cancelledId);
    expect((await t.api(`/api/v1/sagas/${cancelledId}/cancel`, { method: 'POST' })).status).toBe(
      202,
    );
    await waitForSaga(t, cancelledId, (s) => s.state === 'COMPENSATING.awaiting_in_flight_step');
    await callBack(callbackUrl);
    expect((await waitForSaga(t, cancelledId)).status).toBe('COMPENSATED');

    await openSaga(cancelledId);
    expect(await pathShown()).toEqual(CANCELLED_PATH);
    expect(await currentState()).toBe('COMPENSATED');
    expect(await takenEdges()).toHaveLength(CANCELLED_PATH.length - 1);
    expect(await takenEdges()).toContain('EXECUTING→COMPENSATING.awaiting_in_flight_step');
    expect(
      await page.$eval('#diagram [data-state="COMPENSATING.book_flight"]', (e) =>
        e.getAttribute('data-tone'),
      ),
    ).toBe('compensated');
    expect(
      await page.$eval('#diagram [data-state="EXECUTING.send_ticket"]', (e) =>
        e.getAttribute('data-tone'),
      ),
    ).toBe('none');
    const fitted = await fitOf();
    expect(fitted.rendered).toBeLessThanOrEqual(fitted.container);
    expect(fitted.scrollWidth).toBeLessThanOrEqual(fitted.container);
    expect(fitted.nowInView).toBe(true);
    await screenshot(page, 'saga-registered-cancelled');

    // 1:1: the left-to-right chart at its natural size, scrolled sideways to NOW.
    await page.click('#fit-width');
    await page.waitForSelector('#diagram[data-fit="false"] svg[data-direction="RIGHT"]');
    const natural = await fitOf();
    expect(natural.pressed).toBe('false');
    expect(Math.abs(natural.rendered - natural.natural)).toBeLessThanOrEqual(1);
    expect(natural.scrollWidth).toBeGreaterThan(natural.container);
    expect(natural.scrollLeft).toBeGreaterThan(0);
    expect(natural.nowInView).toBe(true);
    expect(await pathShown()).toEqual(CANCELLED_PATH);
    expect(await takenEdges()).toHaveLength(CANCELLED_PATH.length - 1);
    await screenshot(page, 'saga-registered-cancelled-1to1');
    await page.click('#fit-width');
    await page.waitForSelector('#diagram[data-fit="true"] svg[data-direction="DOWN"]');
    expect((await fitOf()).scrollWidth).toBeLessThanOrEqual((await fitOf()).container);
  });

  it('no console errors and no page errors on any page', () => {
    expect(errors).toEqual([]);
  });
});
