// Events and subscriptions (API.md Part 2, "Choreography"; issue 13): publishing is idempotent
// by the event id, each subscription gets each event of its type at least once with
// Idempotency-Key = the event id, failures are retried with backoff, and deliveries that cannot
// succeed become dead letters that can be sent again. Real PostgreSQL, real BullMQ on both
// backends, subscribers that are real HTTP servers on loopback.
import { createHmac } from 'node:crypto';
import { Client } from 'pg';
import { startEventReceiver, type EventReceiver } from '../support/event-receiver';
import { apiClient, startTestApp, type TestApp } from '../support/test-app';

type Json = Record<string, any>;

const backends: ('postgres' | 'redis')[] = process.env.TEST_REDIS_URL
  ? ['postgres', 'redis']
  : ['postgres'];

const SECRET = 'event-signing-secret-0123456789';
const READ_ONLY = 'ro-events-key-0123456789abcdef';

async function waitUntil<T>(
  what: string,
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function tableCounts(databaseUrl: string) {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ e: string; s: string; d: string }>(
      `SELECT (SELECT count(*) FROM saga.event) AS e, (SELECT count(*) FROM saga.subscription) AS s,
              (SELECT count(*) FROM saga.event_delivery) AS d`,
    );
    return {
      events: Number(rows[0].e),
      subscriptions: Number(rows[0].s),
      deliveries: Number(rows[0].d),
    };
  } finally {
    await c.end();
  }
}

describe.each(backends)('events and subscriptions (%s backend)', (backend) => {
  let t: TestApp;
  let rx: EventReceiver;
  let n = 0;
  /** A fresh type per test, so tests do not see each other's deliveries. */
  const freshType = () => `test.${backend}.${++n}`;

  beforeAll(async () => {
    rx = await startEventReceiver();
    t = await startTestApp({
      backend,
      env: {
        SAGA_SIGNING_SECRET: SECRET,
        SAGA_EVENT_DELIVERY_ATTEMPTS: '3',
        SAGA_EVENT_BACKOFF_MS: '50',
        SAGA_EVENT_MAX_BACKOFF_MS: '200',
        SAGA_EVENT_TIMEOUT_MS: '2000',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await rx?.close();
  });

  const subscribe = async (type: string, path: string) => {
    const res = await t.api('/api/v1/subscriptions', {
      method: 'POST',
      json: { type, url: `${rx.url}${path}` },
    });
    expect(res.status).toBe(201);
    return (await res.json()) as Json;
  };
  const publish = (event: Json) => t.api('/api/v1/events', { method: 'POST', json: event });
  const eventOf = async (id: string) =>
    (await (await t.api(`/api/v1/events/${id}`)).json()) as Json;
  const settled = (id: string) =>
    waitUntil(
      `deliveries of ${id}`,
      () => eventOf(id),
      (e) => e.deliveries.length > 0 && e.deliveries.every((d: Json) => d.status !== 'pending'),
    );

  it('publish: delivered to both subscriptions of the type, Idempotency-Key = the event id, signed', async () => {
    const type = freshType();
    const a = await subscribe(type, `/a${n}`);
    const b = await subscribe(type, `/b${n}`);
    await subscribe(`${type}.other`, `/other${n}`);
    const event = {
      id: `evt-${backend}-1`,
      type,
      source: 'orders',
      data: { orderId: 'o-1', total: 5 },
    };
    const res = await publish(event);
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/api/v1/events/${event.id}`);
    const stored = (await res.json()) as Json;
    expect(stored).toEqual({ ...event, receivedAt: expect.any(String) });
    for (const path of [`/a${n}`, `/b${n}`]) {
      const [req] = await rx.waitFor(path, 1);
      expect(req.headers['idempotency-key']).toBe(event.id);
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.body).toEqual(stored);
      const [, tPart, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(
        String(req.headers['x-saga-signature']),
      )!;
      expect(v1).toBe(createHmac('sha256', SECRET).update(`${tPart}.${req.raw}`).digest('hex'));
    }
    const view = await settled(event.id);
    expect(
      view.deliveries.map((d: Json) => [d.subscriptionId, d.status, d.attempts]).sort(),
    ).toEqual(
      [
        [a.id, 'delivered', 1],
        [b.id, 'delivered', 1],
      ].sort(),
    );
    expect(rx.at(`/other${n}`)).toEqual([]);
    const listed = (await (await t.api(`/api/v1/events?type=${type}`)).json()) as Json;
    expect(listed.items.map((e: Json) => e.id)).toEqual([event.id]);
  });

  it('the same id with the same content again: 200 with the first event, delivered once', async () => {
    const type = freshType();
    await subscribe(type, `/dup${n}`);
    const event = { id: `evt-${backend}-dup`, type, source: 'orders', data: { b: 2, a: 1 } };
    expect((await publish(event)).status).toBe(202);
    const first = await settled(event.id);
    const again = await publish({ ...event, data: { a: 1, b: 2 } });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ...event, receivedAt: first.receivedAt });
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.at(`/dup${n}`)).toHaveLength(1);
    expect((await eventOf(event.id)).deliveries).toHaveLength(1);
  });

  it('the same id with other content: 409, nothing changes', async () => {
    const type = freshType();
    const event = { id: `evt-${backend}-conflict`, type, source: 'orders', data: { a: 1 } };
    expect((await publish(event)).status).toBe(202);
    for (const other of [{ data: { a: 2 } }, { source: 'billing' }, { type: `${type}.x` }]) {
      const res = await publish({ ...event, ...other });
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ statusCode: 409, error: 'Conflict' });
    }
    expect(await eventOf(event.id)).toMatchObject(event);
  });

  it('a subscriber answering 503 twice, then 200: delivered on the third attempt, with backoff', async () => {
    const type = freshType();
    const path = `/flaky${n}`;
    rx.script(path, [
      { status: 503 },
      { status: 503, headers: { 'retry-after': '0' } },
      { status: 200 },
    ]);
    await subscribe(type, path);
    const id = `evt-${backend}-flaky`;
    expect((await publish({ id, type, source: 'orders', data: {} })).status).toBe(202);
    const reqs = await rx.waitFor(path, 3);
    const view = await settled(id);
    expect(view.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 3, lastError: null });
    expect(reqs.map((r) => r.headers['idempotency-key'])).toEqual([id, id, id]);
    expect(reqs.map((r) => r.headers['x-saga-delivery-attempt'])).toEqual(['1', '2', '3']);
    // Exponential backoff from 50 ms (with jitter in [delay/2, delay]).
    expect(reqs[1].at - reqs[0].at).toBeGreaterThanOrEqual(20);
    expect(rx.at(path)).toHaveLength(3);
  });

  it('a subscriber answering 400: a dead letter at once, with the last error; redelivered once fixed', async () => {
    const type = freshType();
    const path = `/refusing${n}`;
    rx.script(path, [{ status: 400, body: 'unknown order' }]);
    const sub = await subscribe(type, path);
    const id = `evt-${backend}-dead`;
    expect((await publish({ id, type, source: 'orders', data: { x: 1 } })).status).toBe(202);
    const view = await settled(id);
    expect(view.deliveries[0]).toMatchObject({
      status: 'dead',
      attempts: 1,
      lastStatusCode: 400,
      lastError: expect.stringContaining('answered 400: unknown order'),
    });
    const dead = (await (
      await t.api(`/api/v1/dead-letters?subscriptionId=${sub.id}`)
    ).json()) as Json;
    expect(dead.items).toEqual([
      expect.objectContaining({
        eventId: id,
        subscriptionId: sub.id,
        status: 'dead',
        event: expect.objectContaining({ id, type, data: { x: 1 } }),
      }),
    ]);
    // Not dead: 409; unknown: 404; malformed ids: 400.
    rx.script(path, [{ status: 200 }]);
    const redo = await t.api(`/api/v1/dead-letters/${id}/${sub.id}/redeliver`, { method: 'POST' });
    expect(redo.status).toBe(202);
    expect(await redo.json()).toMatchObject({ status: 'pending', redeliveries: 1 });
    await rx.waitFor(path, 2);
    const after = await settled(id);
    expect(after.deliveries[0]).toMatchObject({
      status: 'delivered',
      attempts: 2,
      redeliveries: 1,
    });
    const twice = await t.api(`/api/v1/dead-letters/${id}/${sub.id}/redeliver`, { method: 'POST' });
    expect(twice.status).toBe(409);
    const unknown = await t.api(`/api/v1/dead-letters/nope/${sub.id}/redeliver`, {
      method: 'POST',
    });
    expect(unknown.status).toBe(404);
    const malformed = await t.api(`/api/v1/dead-letters/${id}/not-a-uuid/redeliver`, {
      method: 'POST',
    });
    expect(malformed.status).toBe(400);
    const listed = (await (
      await t.api(`/api/v1/dead-letters?subscriptionId=${sub.id}`)
    ).json()) as Json;
    expect(listed.items).toEqual([]);
  });

  it('retries exhausted (503 every time): dead after 3 attempts', async () => {
    const type = freshType();
    const path = `/down${n}`;
    rx.script(path, [{ status: 503, body: 'maintenance' }]);
    await subscribe(type, path);
    const id = `evt-${backend}-exhausted`;
    expect((await publish({ id, type, source: 'orders', data: {} })).status).toBe(202);
    const view = await settled(id);
    expect(view.deliveries[0]).toMatchObject({ status: 'dead', attempts: 3, lastStatusCode: 503 });
    expect(rx.at(path)).toHaveLength(3);
  });

  it('subscriptions: list, the same type and URL again is 200 with the same one, delete ends deliveries', async () => {
    const type = freshType();
    const path = `/gone${n}`;
    const sub = await subscribe(type, path);
    const again = await t.api('/api/v1/subscriptions', {
      method: 'POST',
      json: { type, url: `${rx.url}${path}` },
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as Json).id).toBe(sub.id);
    const list = (await (await t.api('/api/v1/subscriptions')).json()) as Json[];
    expect(list).toContainEqual(sub);
    const del = await t.api(`/api/v1/subscriptions/${sub.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect((await t.api(`/api/v1/subscriptions/${sub.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await t.api('/api/v1/subscriptions/nope', { method: 'DELETE' })).status).toBe(400);
    const id = `evt-${backend}-after-delete`;
    expect((await publish({ id, type, source: 'orders', data: {} })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 300));
    expect((await eventOf(id)).deliveries).toEqual([]);
    expect(rx.at(path)).toEqual([]);
  });

  it('a lost enqueue (crash between commit and enqueue): the sweep delivers it', async () => {
    const type = freshType();
    const path = `/swept${n}`;
    const sub = await subscribe(type, path);
    // The state a crash right after the commit leaves: rows, no job.
    const c = new Client({ connectionString: t.databaseUrl });
    await c.connect();
    try {
      await c.query(
        `INSERT INTO saga.event (id, type, source, data, content_hash, received_at)
         VALUES ($1, $2, 'orders', '{}'::jsonb, 'x', now())`,
        [`evt-${backend}-swept`, type],
      );
      await c.query(
        `INSERT INTO saga.event_delivery (event_id, subscription_id, status, created_at, updated_at)
         VALUES ($1, $2, 'pending', now() - interval '1 hour', now() - interval '1 hour')`,
        [`evt-${backend}-swept`, sub.id],
      );
    } finally {
      await c.end();
    }
    const [req] = await rx.waitFor(path, 1);
    expect(req.headers['idempotency-key']).toBe(`evt-${backend}-swept`);
    expect((await settled(`evt-${backend}-swept`)).deliveries[0].status).toBe('delivered');
  });
});

describe('events: validation and keys', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      env: { SAGA_API_KEYS: `full-events-key-0123456789,ro:${READ_ONLY}` },
    });
    t.api = apiClient(t.baseUrl, 'full-events-key-0123456789');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('invalid events and subscriptions: 400 with details, nothing written', async () => {
    const before = await tableCounts(t.databaseUrl);
    const good = { id: 'e-1', type: 'order.created', source: 'orders', data: {} };
    const bad: [Json, string][] = [
      [{ ...good, id: '' }, 'id'],
      [{ ...good, id: 'x'.repeat(201) }, 'id'],
      [{ ...good, id: 'has space' }, 'id'],
      [{ ...good, id: 42 }, 'id'],
      [{ ...good, type: '1abc' }, 'type'],
      [{ ...good, type: 'a'.repeat(200) }, 'type'],
      [{ ...good, source: '' }, 'source'],
      [{ ...good, data: [1, 2] }, 'data'],
      [{ ...good, data: 'text' }, 'data'],
      [{ ...good, data: null }, 'data'],
      [{ id: 'e-1', type: 'order.created', source: 'orders' }, 'data'],
      [{ ...good, extra: true }, ''],
    ];
    for (const [body, path] of bad) {
      const res = await t.api('/api/v1/events', { method: 'POST', json: body });
      expect([JSON.stringify(body).slice(0, 60), res.status]).toEqual([
        JSON.stringify(body).slice(0, 60),
        400,
      ]);
      const err = (await res.json()) as Json;
      expect(err).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      if (path) expect(err.details.map((d: Json) => d.path)).toContain(path);
    }
    for (const body of [
      { type: 'x', url: 'ftp://127.0.0.1/x' },
      { type: 'x', url: 'not a url' },
      { type: 'x', url: 'http://user:pw@127.0.0.1/x' },
      { type: 'x', url: 'http://example.com/hook' },
      { type: 'x' },
      { type: 'x', url: 'http://127.0.0.1/x', more: 1 },
    ]) {
      const res = await t.api('/api/v1/subscriptions', { method: 'POST', json: body });
      expect([body, res.status]).toEqual([body, 400]);
      expect(((await res.json()) as Json).details.length).toBeGreaterThan(0);
    }
    const notAllowed = await t.api('/api/v1/subscriptions', {
      method: 'POST',
      json: { type: 'x', url: 'http://example.com/hook' },
    });
    expect(((await notAllowed.json()) as Json).details[0]).toMatchObject({
      path: 'url',
      message: expect.stringContaining('SAGA_PARTICIPANT_HOSTS'),
    });
    const malformed = await fetch(`${t.baseUrl}/api/v1/events`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer full-events-key-0123456789',
        'content-type': 'application/json',
      },
      body: '{"id": ',
    });
    expect(malformed.status).toBe(400);
    for (const q of ['limit=0', 'limit=201', 'limit=1.5', 'type=1x', 'nope=1'])
      expect([q, (await t.api(`/api/v1/events?${q}`)).status]).toEqual([q, 400]);
    expect((await t.api('/api/v1/dead-letters?subscriptionId=x')).status).toBe(400);
    expect((await t.api('/api/v1/events/has%20space')).status).toBe(400);
    expect((await t.api('/api/v1/events/unknown-id')).status).toBe(404);
    expect(await tableCounts(t.databaseUrl)).toEqual(before);
  });

  it('a read-only key reads; its writes get 403 and write nothing', async () => {
    const ro = apiClient(t.baseUrl, READ_ONLY);
    const sub = (await (
      await t.api('/api/v1/subscriptions', {
        method: 'POST',
        json: { type: 'ro.test', url: 'http://127.0.0.1:9/hook' },
      })
    ).json()) as Json;
    const before = await tableCounts(t.databaseUrl);
    for (const path of ['/api/v1/events', '/api/v1/subscriptions', '/api/v1/dead-letters'])
      expect([path, (await ro(path)).status]).toEqual([path, 200]);
    const writes: [string, string, Json?][] = [
      ['POST', '/api/v1/events', { id: 'ro-1', type: 'ro.test', source: 's', data: {} }],
      ['POST', '/api/v1/subscriptions', { type: 'ro.test', url: 'http://127.0.0.1:9/other' }],
      ['DELETE', `/api/v1/subscriptions/${sub.id}`],
      ['POST', `/api/v1/dead-letters/ro-1/${sub.id}/redeliver`],
    ];
    for (const [method, path, json] of writes) {
      const res = await ro(path, { method, json });
      expect([method, path, res.status]).toEqual([method, path, 403]);
    }
    expect(await tableCounts(t.databaseUrl)).toEqual(before);
  });
});
