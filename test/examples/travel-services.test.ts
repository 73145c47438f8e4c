// The travel example's three participant services (examples/travel), started in-process on
// port 0 and called over real HTTP the way sagachart calls an HTTP participant. The hotel's
// callbacks go to a small real node:http server on loopback.
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import Ajv2020 from 'ajv/dist/2020';
import path from 'node:path';
import {
  startFlightService,
  type FlightServiceOptions,
} from '../../examples/travel/flight-service';
import { startHotelService, type HotelServiceOptions } from '../../examples/travel/hotel-service';
import {
  startInsuranceService,
  unavailableFromEnv,
  type InsuranceServiceOptions,
} from '../../examples/travel/insurance-service';
import { definitionFromDocument, isFlowDefinition, stepGraph } from '@app/saga-machines';

type Service = { url: string; close(): Promise<void> };

const dirs: string[] = [];
const running: Service[] = [];

function dataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'travel-test-'));
  dirs.push(dir);
  return dir;
}

async function flight(options: Partial<FlightServiceOptions> = {}): Promise<Service> {
  const service = await startFlightService({ port: 0, dataDir: dataDir(), ...options });
  running.push(service);
  return service;
}

async function insurance(options: Partial<InsuranceServiceOptions> = {}): Promise<Service> {
  const service = await startInsuranceService({ port: 0, dataDir: dataDir(), ...options });
  running.push(service);
  return service;
}

async function hotel(options: Partial<HotelServiceOptions> = {}): Promise<Service> {
  const service = await startHotelService({
    port: 0,
    dataDir: dataDir(),
    callbackDelayMs: 10,
    callbackBackoffMs: 10,
    ...options,
  });
  running.push(service);
  return service;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The saga input of a trip (the travel definition's inputSchema). */
function trip(destination = 'Lisbon', passengers = ['Ada', 'Grace'], nights = 3) {
  return {
    customerId: 'c-7',
    destination,
    nights,
    passengers: passengers.map((name) => ({ name })),
    payment: { token: 'tok_ok', amountCents: 4_250_000 },
  };
}

/** The travel definition's steps: the operation each calls, to execute and to compensate. */
const OPERATIONS = {
  book_flight: ['book', 'cancel'],
  book_hotel: ['book', 'cancel'],
  assign_seats: ['assign_seat', 'release_seat'],
  issue_tickets: ['issue_tickets', null],
  insure_trip: ['insure', null],
} as const;
type Step = keyof typeof OPERATIONS;

/**
 * One call as sagachart's HTTP participant caller makes it (API.md, "HTTP participants"); with
 * `extra.itemIndex`, the call of one item of a forEach step (key `…:<kind>:<index>`).
 */
function call(
  step: Step,
  kind: 'execute' | 'compensate',
  extra: Record<string, unknown> = {},
  sagaId: string = randomUUID(),
) {
  const item = typeof extra.itemIndex === 'number' ? `:${extra.itemIndex}` : '';
  const idempotencyKey = `${sagaId}:${step}:${kind}${item}`;
  const body: Record<string, any> = {
    sagaId,
    definition: 'travel',
    definitionVersion: 1,
    step,
    kind,
    operation: OPERATIONS[step][kind === 'execute' ? 0 : 1],
    attempt: 1,
    idempotencyKey,
    input: trip(),
    outputs: {},
    ...extra,
  };
  return { sagaId, idempotencyKey, body };
}

/** The call for passenger `index` of `input` in the seat step, after `booked` (book_flight's output). */
function seatCall(
  sagaId: string,
  booked: unknown,
  index: number,
  input = trip(),
  kind: 'execute' | 'compensate' = 'execute',
  extra: Record<string, unknown> = {},
) {
  return call(
    'assign_seats',
    kind,
    {
      input,
      outputs: { book_flight: booked },
      item: input.passengers[index],
      itemIndex: index,
      ...extra,
    },
    sagaId,
  );
}

interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** POSTs `c` to `<service>/<operation>` with the headers sagachart sends. */
function send(service: Service, c: ReturnType<typeof call>, headers: Record<string, string> = {}) {
  return post(`${service.url}/${c.body.operation}`, c.body, {
    'Idempotency-Key': c.idempotencyKey,
    'X-Saga-Id': c.sagaId,
    'X-Saga-Step': c.body.step,
    'X-Saga-Attempt': String(c.body.attempt),
    ...headers,
  });
}

async function bookings(service: Service, sagaId?: string): Promise<any> {
  const res = await fetch(`${service.url}/bookings${sagaId ? `?sagaId=${sagaId}` : ''}`);
  expect(res.status).toBe(200);
  return res.json();
}

/** `X-Saga-Signature` computed as API.md says: t=<unix s>,v1=hex HMAC-SHA256("<t>.<body>"). */
function signature(secret: string, rawBody: string, t = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

async function eventually<T>(
  probe: () => Promise<T> | T,
  ok: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A stand-in for sagachart's callback endpoint: records each POST, answers as told. */
async function callbackServer(statuses: number[] = []) {
  const received: { path: string; body: any; at: number }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        at: Date.now(),
      });
      const status = statuses.shift() ?? 202;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ status }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const done = {
    url: (token: string = randomUUID()) => `http://127.0.0.1:${port}/api/v1/callbacks/${token}`,
    received,
    waitFor: (n: number) =>
      eventually(
        () => received,
        (r) => r.length >= n,
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  running.push({ url: done.url(), close: done.close });
  return done;
}

describe('travel example: flight service', () => {
  it('book: 201 with { bookingId, flight, priceCents }; the same key again: the first answer, booked once', async () => {
    const svc = await flight();
    const c = call('book_flight', 'execute');
    const first = await send(svc, c);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      bookingId: expect.stringMatching(/^FL-/),
      flight: expect.stringMatching(/^SC\d{3}$/),
      priceCents: 2 * 850_000,
    });
    const again = await send(svc, { ...c, body: { ...c.body, attempt: 2 } });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    const state = await bookings(svc);
    expect(state.bookings).toHaveLength(1);
    expect(state.bookings[0]).toMatchObject({
      ...first.body,
      status: 'booked',
      sagaId: c.sagaId,
      passengers: ['Ada', 'Grace'],
      tickets: [],
    });
  });

  it('the same key five times at once: one booking, the same answer to all', async () => {
    const svc = await flight();
    const c = call('book_flight', 'execute');
    const replies = await Promise.all(Array.from({ length: 5 }, () => send(svc, c)));
    for (const r of replies) expect([r.status, r.body]).toEqual([201, replies[0].body]);
    expect((await bookings(svc)).bookings).toHaveLength(1);
  });

  it('bookingDelayMs: a booking takes that long (requestedAt → bookedAt) while other calls are answered meanwhile', async () => {
    const svc = await flight({ bookingDelayMs: 300 });
    const early = call('book_flight', 'execute');
    const booked = await send(svc, early);
    const slow = send(svc, call('book_flight', 'execute'));
    let slowAnswered = false;
    void slow.then(() => (slowAnswered = true));
    const seat = await send(svc, seatCall(early.sagaId, booked.body, 0));
    expect(seat.status).toBe(201);
    // Answered while the slow booking still waits: the delay holds that booking, not the service.
    expect(slowAnswered).toBe(false);
    expect((await slow).status).toBe(201);
    const [record] = (await bookings(svc, early.sagaId)).bookings;
    expect(Date.parse(record.bookedAt) - Date.parse(record.requestedAt)).toBeGreaterThanOrEqual(
      290,
    );
  });

  it('assign_seat: one seat per passenger (item, itemIndex), 1A then 1B; the same key again: the same seat', async () => {
    const svc = await flight();
    const a = call('book_flight', 'execute');
    const booked = await send(svc, a);
    const first = await send(svc, seatCall(a.sagaId, booked.body, 0));
    expect(first).toMatchObject({
      status: 201,
      body: {
        assignmentId: expect.stringMatching(/^ST-/),
        bookingId: booked.body.bookingId,
        flight: booked.body.flight,
        seat: '1A',
        passenger: 'Ada',
      },
    });
    const second = await send(svc, seatCall(a.sagaId, booked.body, 1));
    expect(second.body).toMatchObject({ seat: '1B', passenger: 'Grace' });
    expect(await send(svc, seatCall(a.sagaId, booked.body, 0))).toMatchObject({
      status: 201,
      body: first.body,
    });
    const state = await bookings(svc, a.sagaId);
    expect(state.seats.map((s: any) => [s.itemIndex, s.seat, s.status])).toEqual([
      [0, '1A', 'assigned'],
      [1, '1B', 'assigned'],
    ]);
    expect(state.flights[booked.body.flight]).toEqual({
      destination: 'Lisbon',
      seats: 180,
      assigned: 2,
    });
  });

  it('seats run out (Oslo has 2 by default): the third passenger gets 409 NO_SEAT_LEFT, a final answer; a released seat is taken again', async () => {
    const svc = await flight();
    const input = trip('Oslo', ['Ada', 'Grace', 'Alan']);
    const a = call('book_flight', 'execute', { input });
    const booked = await send(svc, a);
    expect(booked.status).toBe(201); // fares are sold beyond the seats
    const seats = [];
    for (const i of [0, 1]) seats.push(await send(svc, seatCall(a.sagaId, booked.body, i, input)));
    const none = await send(svc, seatCall(a.sagaId, booked.body, 2, input));
    expect(none).toEqual({
      status: 409,
      body: { code: 'NO_SEAT_LEFT', message: expect.stringContaining('none left for Alan') },
      headers: expect.anything(),
    });
    const repeat = await send(svc, seatCall(a.sagaId, booked.body, 2, input));
    expect([repeat.status, repeat.body]).toEqual([none.status, none.body]);

    const undo = seatCall(a.sagaId, booked.body, 1, input, 'compensate', {
      forwardOutput: seats[1].body,
    });
    expect(undo.idempotencyKey).toBe(`${a.sagaId}:assign_seats:compensate:1`);
    const released = await send(svc, undo);
    expect(released).toMatchObject({
      status: 200,
      body: { released: true, assignmentId: seats[1].body.assignmentId, seat: '1B' },
    });
    expect(await send(svc, undo)).toMatchObject({ status: 200, body: released.body });
    const other = { ...undo, idempotencyKey: `${a.sagaId}:manual:compensate:1` };
    expect(await send(svc, other)).toMatchObject({
      body: { released: false, reason: 'ALREADY_RELEASED' },
    });

    const b = call('book_flight', 'execute', { input: trip('oslo', ['Bo']) });
    const bBooked = await send(svc, b);
    const seatAgain = await send(svc, seatCall(b.sagaId, bBooked.body, 0, trip('oslo', ['Bo'])));
    expect(seatAgain).toMatchObject({ status: 201, body: { seat: '1B', passenger: 'Bo' } });
  });

  it('release_seat without forwardOutput finds the seat by the execute key of the same item; an unknown one: released:false', async () => {
    const svc = await flight();
    const a = call('book_flight', 'execute');
    const booked = await send(svc, a);
    const seat = await send(svc, seatCall(a.sagaId, booked.body, 1));
    const undo = await send(svc, seatCall(a.sagaId, booked.body, 1, trip(), 'compensate'));
    expect(undo.body).toMatchObject({ released: true, assignmentId: seat.body.assignmentId });
    const never = await send(svc, seatCall(a.sagaId, booked.body, 0, trip(), 'compensate'));
    expect(never).toMatchObject({ status: 200, body: { released: false, reason: 'UNKNOWN_SEAT' } });
  });

  it('issue_tickets: a ticket per passenger with the seat; the booking is ticketed and cancel refuses it (409 ALREADY_TICKETED)', async () => {
    const svc = await flight();
    const a = call('book_flight', 'execute');
    const booked = await send(svc, a);
    const early = await send(
      svc,
      call('issue_tickets', 'execute', { outputs: { book_flight: booked.body } }, a.sagaId),
    );
    expect(early).toMatchObject({ status: 409, body: { code: 'SEATS_MISSING' } });
    for (const i of [1, 0]) await send(svc, seatCall(a.sagaId, booked.body, i));
    const ticketCall = call(
      'issue_tickets',
      'execute',
      { outputs: { book_flight: booked.body } },
      a.sagaId,
    );
    const issued = await send(svc, { ...ticketCall, idempotencyKey: `${a.sagaId}:again:execute` });
    expect(issued).toMatchObject({
      status: 201,
      body: {
        bookingId: booked.body.bookingId,
        flight: booked.body.flight,
        tickets: [
          { ticketNumber: expect.stringMatching(/^TK-/), passenger: 'Ada', seat: '1B' },
          { ticketNumber: expect.stringMatching(/^TK-/), passenger: 'Grace', seat: '1A' },
        ],
      },
    });
    const [record] = (await bookings(svc, a.sagaId)).bookings;
    expect(record).toMatchObject({ status: 'ticketed', tickets: issued.body.tickets });
    const cancel = call('book_flight', 'compensate', { forwardOutput: booked.body }, a.sagaId);
    expect(await send(svc, cancel)).toMatchObject({
      status: 409,
      body: { code: 'ALREADY_TICKETED' },
    });
    expect(
      await send(svc, seatCall(a.sagaId, booked.body, 0, trip(), 'execute', { itemIndex: 5 })),
    ).toMatchObject({ status: 409, body: { code: 'ALREADY_TICKETED' } });
  });

  it('cancel: the booking and any seat still held go; a second cancel and an unknown booking: cancelled:false; no booking to seat: 409', async () => {
    const svc = await flight();
    const a = call('book_flight', 'execute');
    const booked = await send(svc, a);
    await send(svc, seatCall(a.sagaId, booked.body, 0));
    const undo = call('book_flight', 'compensate', { forwardOutput: booked.body }, a.sagaId);
    const cancelled = await send(svc, undo);
    expect(cancelled).toMatchObject({
      status: 200,
      body: { cancelled: true, bookingId: booked.body.bookingId, releasedSeats: ['1A'] },
    });
    expect(await send(svc, undo)).toMatchObject({ status: 200, body: cancelled.body });
    const state = await bookings(svc, a.sagaId);
    expect(state.bookings[0]).toMatchObject({
      status: 'cancelled',
      cancelledAt: expect.any(String),
    });
    expect(state.seats[0]).toMatchObject({ status: 'released', releasedAt: expect.any(String) });

    const other = { ...undo, idempotencyKey: `${a.sagaId}:manual:compensate` };
    expect(await send(svc, other)).toMatchObject({
      body: { cancelled: false, reason: 'ALREADY_CANCELLED' },
    });
    const unknown = call('book_flight', 'compensate', { forwardOutput: { bookingId: 'FL-NOPE' } });
    expect(await send(svc, unknown)).toMatchObject({
      status: 200,
      body: { cancelled: false, bookingId: 'FL-NOPE' },
    });
    const nothing = call('book_flight', 'compensate', { forwardOutput: null });
    expect(await send(svc, nothing)).toMatchObject({ status: 200, body: { cancelled: false } });

    expect(await send(svc, seatCall(a.sagaId, booked.body, 1))).toMatchObject({
      status: 409,
      body: { code: 'BOOKING_CANCELLED' },
    });
    expect(await send(svc, seatCall(randomUUID(), null, 0))).toMatchObject({
      status: 409,
      body: { code: 'NO_BOOKING' },
    });
  });

  it('cancel without forwardOutput finds the booking by the execute key of the same saga step', async () => {
    const svc = await flight();
    const a = call('book_flight', 'execute');
    const booked = await send(svc, a);
    const undo = await send(svc, call('book_flight', 'compensate', {}, a.sagaId));
    expect(undo.body).toMatchObject({ cancelled: true, bookingId: booked.body.bookingId });
  });

  it('storage: bookings, seats and first answers survive close and a restart on the same dataDir', async () => {
    const dir = dataDir();
    const first = await flight({ dataDir: dir, capacity: { Lisbon: 2 } });
    const a = call('book_flight', 'execute');
    const booked = await send(first, a);
    for (const i of [0, 1]) await send(first, seatCall(a.sagaId, booked.body, i));
    await first.close();
    const saved = JSON.parse(readFileSync(path.join(dir, 'flight.json'), 'utf8'));
    expect(Object.keys(saved.bookings)).toEqual([booked.body.bookingId]);
    expect(Object.keys(saved.seats)).toHaveLength(2);

    const second = await flight({ dataDir: dir, capacity: { Lisbon: 2 } });
    expect((await bookings(second)).bookings).toEqual([
      expect.objectContaining({ bookingId: booked.body.bookingId, status: 'booked' }),
    ]);
    expect(await send(second, a)).toMatchObject({ status: 201, body: booked.body });
    // The two seats taken before the restart are still taken.
    const b = call('book_flight', 'execute');
    const next = await send(second, seatCall(b.sagaId, (await send(second, b)).body, 0));
    expect(next).toMatchObject({ status: 409, body: { code: 'NO_SEAT_LEFT' } });
  });

  it('bad requests: non-JSON 400, no Idempotency-Key 400, bad input 422 (a final answer), no passenger item 422, unknown route 404, wrong method 405', async () => {
    const svc = await flight();
    expect(await post(`${svc.url}/book`, '{not json', { 'Idempotency-Key': 'k1' })).toMatchObject({
      status: 400,
      body: { code: 'INVALID_JSON', message: expect.any(String) },
    });
    expect(await post(`${svc.url}/book`, call('book_flight', 'execute').body)).toMatchObject({
      status: 400,
      body: { code: 'MISSING_IDEMPOTENCY_KEY' },
    });
    const bad = call('book_flight', 'execute', {
      input: { destination: 'Lisbon', passengers: [] },
    });
    const refused = await send(svc, bad);
    expect(refused).toMatchObject({ status: 422, body: { code: 'INVALID_INPUT' } });
    expect(await send(svc, { ...bad, body: { ...bad.body, input: trip() } })).toMatchObject({
      status: 422,
      body: refused.body,
    });
    const a = call('book_flight', 'execute');
    const booked = await send(svc, a);
    expect(
      await send(svc, seatCall(a.sagaId, booked.body, 0, trip(), 'execute', { item: 'Ada' })),
    ).toMatchObject({ status: 422, body: { code: 'INVALID_INPUT' } });
    const missing = await post(`${svc.url}/nowhere`, {});
    expect(missing).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    const get = await fetch(`${svc.url}/book`);
    expect([get.status, (await get.json()).code]).toEqual([405, 'METHOD_NOT_ALLOWED']);
    expect((await bookings(svc)).bookings).toHaveLength(1);
  });
});

describe('travel example: insurance service', () => {
  const policies = async (svc: Service, sagaId?: string) =>
    (await fetch(`${svc.url}/policies${sagaId ? `?sagaId=${sagaId}` : ''}`)).json() as Promise<any>;

  it('insure: 201 with the policy (premium per traveller per night); the same key again: the first answer, one policy', async () => {
    const svc = await insurance();
    const c = call('insure_trip', 'execute');
    const first = await send(svc, c);
    expect(first).toMatchObject({
      status: 201,
      body: {
        policyId: expect.stringMatching(/^PL-/),
        destination: 'Lisbon',
        travellers: ['Ada', 'Grace'],
        nights: 3,
        premiumCents: 2 * 3 * 45_000,
      },
    });
    expect(await send(svc, c)).toMatchObject({ status: 201, body: first.body });
    const state = await policies(svc, c.sagaId);
    expect(state.policies).toEqual([expect.objectContaining({ ...first.body, sagaId: c.sagaId })]);
    expect(state.unavailable).toEqual(['reykjavik']);
  });

  it('a destination whose quotes are down (Reykjavik by default): 503, not stored, so the same key succeeds once the insurer is back', async () => {
    const dir = dataDir();
    const down = await insurance({ dataDir: dir });
    const c = call('insure_trip', 'execute', { input: trip('Reykjavik') });
    const refused = await send(down, c);
    expect(refused).toMatchObject({ status: 503, body: { code: 'QUOTES_UNAVAILABLE' } });
    expect(await send(down, c)).toMatchObject({ status: 503 });
    expect((await policies(down)).policies).toEqual([]);
    await down.close();

    const back = await insurance({ dataDir: dir, unavailable: [] });
    expect(await send(back, c)).toMatchObject({
      status: 201,
      body: { destination: 'Reykjavik', policyId: expect.stringMatching(/^PL-/) },
    });
  });

  it('INSURANCE_UNAVAILABLE: unset means the default (Reykjavik), empty means none, else the listed cities', () => {
    expect(unavailableFromEnv(undefined)).toBeUndefined();
    expect(unavailableFromEnv('')).toEqual([]);
    expect(unavailableFromEnv(' Oslo, ,Goa ')).toEqual(['Oslo', 'Goa']);
  });

  it('bad input: 422 INVALID_INPUT (no nights), a final answer', async () => {
    const svc = await insurance();
    const c = call('insure_trip', 'execute', { input: { ...trip(), nights: 0 } });
    expect(await send(svc, c)).toMatchObject({ status: 422, body: { code: 'INVALID_INPUT' } });
  });
});

describe.each([
  ['flight', 'book_flight' as const, flight, 201],
  ['hotel', 'book_hotel' as const, hotel, 202],
  ['insurance', 'insure_trip' as const, insurance, 201],
])('travel example: %s service signatures', (_name, step, start, accepted) => {
  const secret = 'travel-test-secret';

  async function signed(sign: (raw: string) => string | undefined) {
    const svc = await start({ signingSecret: secret });
    const cb = await callbackServer();
    const c = call(step, 'execute', { callbackUrl: cb.url() });
    const raw = JSON.stringify(c.body);
    const header = sign(raw);
    const reply = await post(`${svc.url}/${c.body.operation}`, raw, {
      'Idempotency-Key': c.idempotencyKey,
      ...(header === undefined ? {} : { 'X-Saga-Signature': header }),
    });
    return { svc, reply };
  }

  it('the right signature: accepted', async () => {
    const { reply } = await signed((raw) => signature(secret, raw));
    expect(reply.status).toBe(accepted);
  });

  it.each([
    ['missing', () => undefined],
    ['made with another secret', (raw: string) => signature('another-secret', raw)],
    ['of another body', (raw: string) => signature(secret, `${raw} `)],
    [
      'stale (older than 5 minutes)',
      (raw: string) => signature(secret, raw, Math.floor(Date.now() / 1000) - 301),
    ],
    [
      'from the future',
      (raw: string) => signature(secret, raw, Math.floor(Date.now() / 1000) + 301),
    ],
    ['malformed', () => 'v1=abc'],
    ['not hex', (raw: string) => signature(secret, raw).replace(/v1=../, 'v1=zz')],
  ])('a signature %s: 401 BAD_SIGNATURE, nothing booked', async (_, sign) => {
    const { svc, reply } = await signed(sign);
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ code: 'BAD_SIGNATURE', message: expect.any(String) });
    const view = step === 'insure_trip' ? 'policies' : 'bookings';
    const state = (await (await fetch(`${svc.url}/${view}`)).json()) as any;
    expect(state[view]).toEqual([]);
  });

  it('a signature 4 minutes old is still accepted', async () => {
    const { reply } = await signed((raw) =>
      signature(secret, raw, Math.floor(Date.now() / 1000) - 240),
    );
    expect(reply.status).toBeLessThan(300);
  });
});

describe('travel example: hotel service (asynchronous)', () => {
  it('book: 202 {accepted:true} at once, then the booking arrives at callbackUrl as succeeded', async () => {
    const cb = await callbackServer();
    const svc = await hotel({ callbackDelayMs: 50 });
    const url = cb.url('tok-1');
    const c = call('book_hotel', 'execute', {
      callbackUrl: url,
      input: trip('Lisbon', ['A', 'B', 'C'], 2),
    });
    const sentAt = Date.now();
    const reply = await send(svc, c);
    expect(reply).toMatchObject({ status: 202, body: { accepted: true } });
    expect(cb.received).toHaveLength(0);

    const [delivered] = await cb.waitFor(1);
    expect(delivered.path).toBe('/api/v1/callbacks/tok-1');
    expect(delivered.at - sentAt).toBeGreaterThanOrEqual(40);
    expect(delivered.body).toEqual({
      status: 'succeeded',
      output: {
        bookingId: expect.stringMatching(/^HT-/),
        hotel: 'Sagachart Grand Lisbon',
        city: 'Lisbon',
        rooms: 2,
        nights: 2,
        priceCents: 2 * 2 * 600_000,
      },
    });
    const state = await eventually(
      () => bookings(svc, c.sagaId),
      (s) => s.callbacks[0]?.state === 'delivered',
    );
    expect(state.bookings).toEqual([
      expect.objectContaining({ ...delivered.body.output, status: 'booked' }),
    ]);
    expect(state.callbacks).toEqual([
      expect.objectContaining({ outcome: 'succeeded', state: 'delivered', attempts: 1 }),
    ]);
  });

  it('a full city (Goa has 0 rooms): 202, then the callback says failed HOTEL_FULL, retryable false; nothing booked', async () => {
    const cb = await callbackServer();
    const svc = await hotel();
    const c = call('book_hotel', 'execute', { callbackUrl: cb.url(), input: trip('goa') });
    expect(await send(svc, c)).toMatchObject({ status: 202, body: { accepted: true } });
    const [delivered] = await cb.waitFor(1);
    expect(delivered.body).toEqual({
      status: 'failed',
      error: { code: 'HOTEL_FULL', message: expect.stringContaining('0 of 0 rooms free') },
      retryable: false,
    });
    const state = await bookings(svc);
    expect(state.bookings).toEqual([]);
    expect(state.rooms.Goa).toEqual({ capacity: 0, booked: 0 });
  });

  it('a callback answered 5xx is tried again with backoff until 2xx; a 4xx (stale, forged) stops it', async () => {
    const cb = await callbackServer([503, 500, 202, 409]);
    const svc = await hotel({ callbackBackoffMs: 30 });
    const c = call('book_hotel', 'execute', { callbackUrl: cb.url() });
    await send(svc, c);
    const tries = await cb.waitFor(3);
    expect(tries.map((t) => t.body)).toEqual([tries[0].body, tries[0].body, tries[0].body]);
    expect(tries[1].at - tries[0].at).toBeGreaterThanOrEqual(25);
    expect(tries[2].at - tries[1].at).toBeGreaterThanOrEqual(55);
    const state = await eventually(
      () => bookings(svc, c.sagaId),
      (s) => s.callbacks[0]?.state === 'delivered',
    );
    expect(state.callbacks[0]).toMatchObject({ state: 'delivered', attempts: 3 });

    const stale = call('book_hotel', 'execute', { callbackUrl: cb.url() });
    await send(svc, stale);
    await cb.waitFor(4);
    const after = await eventually(
      () => bookings(svc, stale.sagaId),
      (s) => s.callbacks[0]?.state === 'rejected',
    );
    expect(after.callbacks[0]).toMatchObject({
      state: 'rejected',
      attempts: 1,
      lastResult: 'HTTP 409',
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(cb.received).toHaveLength(4);
  });

  it('a callback URL nobody listens on: a few tries with backoff, then it gives up', async () => {
    const gone = await callbackServer();
    const url = gone.url();
    await gone.close();
    const svc = await hotel({ callbackAttempts: 3 });
    const c = call('book_hotel', 'execute', { callbackUrl: url });
    await send(svc, c);
    const state = await eventually(
      () => bookings(svc, c.sagaId),
      (s) => s.callbacks[0]?.state === 'gave_up',
    );
    expect(state.callbacks[0]).toMatchObject({ state: 'gave_up', attempts: 3 });
  });

  it('the same /book again: the first answer (202), booked once, the same outcome sent again to the new callbackUrl', async () => {
    const cb = await callbackServer();
    const svc = await hotel();
    const c = call('book_hotel', 'execute', { callbackUrl: cb.url('round-1') });
    await send(svc, c);
    const [first] = await cb.waitFor(1);
    await eventually(
      () => bookings(svc, c.sagaId),
      (s) => s.callbacks[0]?.state === 'delivered',
    );
    const again = await send(svc, {
      ...c,
      body: { ...c.body, attempt: 2, callbackUrl: cb.url('round-2') },
    });
    expect(again).toMatchObject({ status: 202, body: { accepted: true } });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const [, second] = await cb.waitFor(2);
    expect(second.path).toBe('/api/v1/callbacks/round-2');
    expect(second.body).toEqual(first.body);
    expect((await bookings(svc)).bookings).toHaveLength(1);
  });

  it('cancel releases the rooms: a city at capacity takes a booking again; cancel is synchronous and idempotent', async () => {
    const cb = await callbackServer();
    const svc = await hotel({ capacity: { Porto: 1 } });
    const a = call('book_hotel', 'execute', { callbackUrl: cb.url(), input: trip('Porto') });
    await send(svc, a);
    const [booked] = await cb.waitFor(1);
    expect(booked.body.status).toBe('succeeded');

    await send(svc, call('book_hotel', 'execute', { callbackUrl: cb.url(), input: trip('Porto') }));
    const [, full] = await cb.waitFor(2);
    expect(full.body).toMatchObject({ status: 'failed', error: { code: 'HOTEL_FULL' } });

    const undo = call('book_hotel', 'compensate', { forwardOutput: booked.body.output }, a.sagaId);
    const cancelled = await send(svc, undo);
    expect(cancelled).toMatchObject({
      status: 200,
      body: { cancelled: true, bookingId: booked.body.output.bookingId, releasedRooms: 1 },
    });
    expect(await send(svc, undo)).toMatchObject({ status: 200, body: cancelled.body });
    expect((await bookings(svc)).rooms.Porto).toEqual({ capacity: 1, booked: 0 });

    await send(svc, call('book_hotel', 'execute', { callbackUrl: cb.url(), input: trip('Porto') }));
    const [, , third] = await cb.waitFor(3);
    expect(third.body.status).toBe('succeeded');
  });

  it('storage: a callback still pending at close is delivered after the restart; bookings and answers survive', async () => {
    const cb = await callbackServer();
    const dir = dataDir();
    const first = await hotel({ dataDir: dir, callbackDelayMs: 300, capacity: { Porto: 1 } });
    const c = call('book_hotel', 'execute', { callbackUrl: cb.url(), input: trip('Porto') });
    expect((await send(first, c)).status).toBe(202);
    await first.close();
    expect(cb.received).toHaveLength(0);

    const second = await hotel({ dataDir: dir, callbackDelayMs: 300, capacity: { Porto: 1 } });
    const [delivered] = await cb.waitFor(1);
    expect(delivered.body.status).toBe('succeeded');
    const state = await bookings(second);
    expect(state.bookings).toEqual([
      expect.objectContaining({ bookingId: delivered.body.output.bookingId, status: 'booked' }),
    ]);
    expect(state.rooms.Porto).toEqual({ capacity: 1, booked: 1 });
    expect(await send(second, c)).toMatchObject({ status: 202, body: { accepted: true } });
  });

  it('bad requests: no callbackUrl 422, bad nights 422, non-JSON 400, unknown route 404', async () => {
    const svc = await hotel();
    expect(await send(svc, call('book_hotel', 'execute'))).toMatchObject({
      status: 422,
      body: { code: 'MISSING_CALLBACK_URL' },
    });
    const cb = await callbackServer();
    const noNights = call('book_hotel', 'execute', {
      callbackUrl: cb.url(),
      input: { ...trip(), nights: 0 },
    });
    expect(await send(svc, noNights)).toMatchObject({
      status: 422,
      body: { code: 'INVALID_INPUT' },
    });
    expect(await post(`${svc.url}/book`, 'x', { 'Idempotency-Key': 'k' })).toMatchObject({
      status: 400,
      body: { code: 'INVALID_JSON' },
    });
    expect(await post(`${svc.url}/reserve`, {})).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND' },
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(cb.received).toHaveLength(0);
  });
});

describe('travel example: travel.definition.json', () => {
  const definition = JSON.parse(
    readFileSync(path.join(__dirname, '../../examples/travel/travel.definition.json'), 'utf8'),
  );

  it('the graph: flight and hotel at once, seats per passenger after the flight, charge after both, tickets the pivot, insurance after it', () => {
    expect(definition).toMatchObject({ name: 'travel', version: 1, deadlineMs: 600000 });
    expect(definition.participants).toEqual({
      flight: { url: 'http://127.0.0.1:4001' },
      hotel: { url: 'http://127.0.0.1:4002' },
      insurance: { url: 'http://127.0.0.1:4003' },
    });
    const retry = { maxAttempts: 3, backoffMs: 200, maxBackoffMs: 2000 };
    expect(definition.steps).toEqual([
      {
        name: 'book_flight',
        participant: 'flight',
        action: 'book',
        compensation: 'cancel',
        timeoutMs: 5000,
        retry,
      },
      {
        name: 'book_hotel',
        participant: 'hotel',
        action: 'book',
        compensation: 'cancel',
        async: true,
        timeoutMs: 10000,
      },
      {
        name: 'assign_seats',
        participant: 'flight',
        action: 'assign_seat',
        compensation: 'release_seat',
        dependsOn: ['book_flight'],
        forEach: '/passengers',
        concurrency: 2,
        timeoutMs: 5000,
        retry,
      },
      {
        name: 'charge',
        participant: 'payment',
        action: 'charge',
        compensation: 'refund',
        dependsOn: ['book_hotel', 'assign_seats'],
      },
      {
        name: 'issue_tickets',
        participant: 'flight',
        action: 'issue_tickets',
        dependsOn: ['charge'],
        pivot: true,
        timeoutMs: 5000,
        retry,
      },
      {
        name: 'insure_trip',
        participant: 'insurance',
        action: 'insure',
        dependsOn: ['issue_tickets'],
        timeoutMs: 5000,
        retry,
      },
    ]);
  });

  it('passes the step-graph lint (compensations before the pivot, none from it on): a flow definition', () => {
    const parsed = definitionFromDocument(definition);
    expect(isFlowDefinition(parsed)).toBe(true);
    expect(stepGraph(parsed).pivot).toBe('issue_tickets');
  });

  it('inputSchema: a valid draft 2020-12 schema that takes the README trips and refuses bad ones', () => {
    const validate = new Ajv2020({ strict: true, allErrors: true }).compile(definition.inputSchema);
    for (const input of [trip('Lisbon'), trip('Goa', ['Ada'], 2), trip('Porto', ['A'], 1)]) {
      expect([validate(input), validate.errors]).toEqual([true, null]);
    }
    const { payment: _payment, ...noPayment } = trip();
    for (const bad of [
      noPayment,
      { ...trip(), passengers: [] },
      trip(
        'Lisbon',
        Array.from({ length: 10 }, (_, i) => `P${i}`),
      ),
      { ...trip(), passengers: [{ name: '' }] },
      { ...trip(), nights: 0 },
      { ...trip(), nights: 1.5 },
      { ...trip(), payment: { token: 'tok_ok' } },
      { ...trip(), payment: { token: 'tok_ok', amountCents: -1 } },
      { ...trip(), destination: '' },
      { ...trip(), extra: true },
    ]) {
      expect(validate(bad)).toBe(false);
    }
  });
});
