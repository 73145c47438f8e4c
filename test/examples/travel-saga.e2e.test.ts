// The README's travel walk-through, for real: the example flight, hotel and insurance services
// (their own storage, signature checks, the hotel answering by callback) and the built-in
// payment participant, driven through sagachart's API with the definition file the README
// registers: flight and hotel at once, a seat per passenger, the charge, the tickets (the
// pivot), the insurance after it. Every claim is checked in the services' own records too.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFlightService } from '../../examples/travel/flight-service';
import { startHotelService } from '../../examples/travel/hotel-service';
import { startInsuranceService } from '../../examples/travel/insurance-service';
import type { RunningService } from '../../examples/travel/lib/participant-http';
import { startTestApp, waitForSaga, type TestApp } from '../support/test-app';

type Json = Record<string, any>;
const SECRET = 'travel-walkthrough-secret-0123456789';
const DEFINITION = path.resolve(__dirname, '../../examples/travel/travel.definition.json');
/** The flight's reservation system is this slow: long enough to see the hotel overlap it. */
const FLIGHT_DELAY_MS = 300;

describe('travel example end to end (signed requests, parallel bookings, seats per passenger, a pivot)', () => {
  let t: TestApp;
  let flight: RunningService;
  let hotel: RunningService;
  let insurance: RunningService;
  let dataDir: string;

  const trip = (destination: string, passengers = ['Asha', 'Ravi', 'Meera'], token = 'tok_ok') => ({
    customerId: 'c-7',
    destination,
    nights: 2,
    passengers: passengers.map((name) => ({ name })),
    payment: { token, amountCents: 4_100_000 },
  });

  const start = async (input: Json, definition = 'travel') => {
    const res = await t.api('/api/v1/sagas', { method: 'POST', json: { definition, input } });
    expect(res.status).toBe(201);
    return (await res.json()).id as string;
  };
  const view = async (service: RunningService, route: string, sagaId: string) =>
    (await (await fetch(`${service.url}/${route}?sagaId=${sagaId}`)).json()) as Json;
  const ledger = async (sagaId: string) =>
    (await t.api(`/api/v1/participants/payment/ledger?sagaId=${sagaId}`)).json();
  const events = async (sagaId: string) =>
    (await (await t.api(`/api/v1/sagas/${sagaId}/events`)).json()) as Json[];
  const step = (saga: Json, name: string) => saga.steps.find((s: Json) => s.name === name);

  const document = (participants: Json) => ({
    ...JSON.parse(fs.readFileSync(DEFINITION, 'utf8')),
    participants,
  });

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'travel-e2e-'));
    flight = await startFlightService({
      port: 0,
      dataDir,
      signingSecret: SECRET,
      bookingDelayMs: FLIGHT_DELAY_MS,
    });
    hotel = await startHotelService({
      port: 0,
      dataDir,
      signingSecret: SECRET,
      callbackDelayMs: 100,
    });
    insurance = await startInsuranceService({ port: 0, dataDir, signingSecret: SECRET });
    t = await startTestApp({ env: { SAGA_SIGNING_SECRET: SECRET } });
    const res = await t.api('/api/v1/definitions', {
      method: 'POST',
      json: document({
        flight: { url: flight.url },
        hotel: { url: hotel.url },
        insurance: { url: insurance.url },
      }),
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as Json).warnings).toEqual([]);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([flight?.close(), hotel?.close(), insurance?.close()]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a city with rooms and seats: flight and hotel booked at once, a seat each, charged, ticketed, insured: COMPLETED', async () => {
    const id = await start(trip('Lisbon'));
    const both = await waitForSaga(t, id, (s) => s.state.includes(',') || s.status !== 'EXECUTING');
    expect(both.state).toBe('EXECUTING.book_flight,EXECUTING.book_hotel');
    const saga = await waitForSaga(t, id);
    expect(saga.status).toBe('COMPLETED');
    expect(saga.steps.map((s: Json) => [s.name, s.status, s.attempts])).toEqual([
      ['book_flight', 'succeeded', 1],
      ['book_hotel', 'succeeded', 1],
      ['assign_seats', 'succeeded', 3],
      ['charge', 'succeeded', 1],
      ['issue_tickets', 'succeeded', 1],
      ['insure_trip', 'succeeded', 1],
    ]);
    expect(step(saga, 'assign_seats').items.map((i: Json) => [i.index, i.status])).toEqual([
      [0, 'succeeded'],
      [1, 'succeeded'],
      [2, 'succeeded'],
    ]);

    // The services' own records: the hotel got its request while the flight was still being
    // booked (one after the other, it would come only after bookedAt).
    const flights = await view(flight, 'bookings', id);
    const [booking] = flights.bookings;
    const [stay] = (await view(hotel, 'bookings', id)).bookings;
    const flightFrom = Date.parse(booking.requestedAt);
    const flightTo = Date.parse(booking.bookedAt);
    const hotelAt = Date.parse(stay.bookedAt);
    expect(flightTo - flightFrom).toBeGreaterThanOrEqual(FLIGHT_DELAY_MS - 10);
    expect(hotelAt).toBeLessThan(flightTo);
    expect(Math.abs(hotelAt - flightFrom)).toBeLessThan(FLIGHT_DELAY_MS);
    // Seats after the booking, one per passenger, and the tickets carry them.
    expect(flights.seats.map((s: Json) => [s.itemIndex, s.passenger, s.status])).toEqual(
      expect.arrayContaining([
        [0, 'Asha', 'assigned'],
        [1, 'Ravi', 'assigned'],
        [2, 'Meera', 'assigned'],
      ]),
    );
    for (const s of flights.seats)
      expect(Date.parse(s.assignedAt)).toBeGreaterThanOrEqual(flightTo);
    expect(booking.status).toBe('ticketed');
    expect(booking.tickets.map((k: Json) => k.passenger)).toEqual(['Asha', 'Ravi', 'Meera']);
    expect(saga.output.issue_tickets.tickets).toEqual(booking.tickets);
    const [policy] = (await view(insurance, 'policies', id)).policies;
    expect(policy).toMatchObject({ destination: 'Lisbon', travellers: ['Asha', 'Ravi', 'Meera'] });
    expect(saga.output.insure_trip.policyId).toBe(policy.policyId);
    expect(await ledger(id)).toEqual({ chargedCents: 4_100_000, refundedCents: 0, feeCents: 0 });
    expect((await events(id)).filter((e) => e.type === 'STEP_FAILED')).toEqual([]);
  });

  it('Oslo has 2 seats: the third passenger gets none; exactly the two seats are released (1 then 0), flight and hotel cancelled, nothing charged: COMPENSATED', async () => {
    const id = await start(trip('Oslo'));
    const saga = await waitForSaga(t, id);
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error).toMatchObject({ step: 'assign_seats', code: 'NO_SEAT_LEFT' });
    expect(saga.steps.map((s: Json) => [s.name, s.status])).toEqual([
      ['book_flight', 'compensated'],
      ['book_hotel', 'compensated'],
      // what it did is undone; which item failed, its items say
      ['assign_seats', 'compensated'],
      ['charge', 'pending'],
      ['issue_tickets', 'pending'],
      ['insure_trip', 'pending'],
    ]);
    const items = step(saga, 'assign_seats').items;
    expect(items.map((i: Json) => [i.index, i.status])).toEqual([
      [0, 'compensated'],
      [1, 'compensated'],
      [2, 'failed'],
    ]);
    expect(items[2].error).toMatchObject({ code: 'NO_SEAT_LEFT' });

    // The flight's own records: two seats, released in reverse index order, then the booking.
    const flights = await view(flight, 'bookings', id);
    const seats = [...flights.seats].sort((a: Json, b: Json) => a.itemIndex - b.itemIndex);
    expect(seats.map((s: Json) => [s.itemIndex, s.status])).toEqual([
      [0, 'released'],
      [1, 'released'],
    ]);
    const released = seats.map((s: Json) => Date.parse(s.releasedAt));
    expect(released[1]).toBeLessThan(released[0]);
    const [booking] = flights.bookings;
    expect(booking.status).toBe('cancelled');
    expect(Date.parse(booking.cancelledAt)).toBeGreaterThanOrEqual(released[0]);
    // Every seat was already released by the saga when the booking was cancelled.
    expect(step(saga, 'book_flight').compensation.output).toMatchObject({
      cancelled: true,
      releasedSeats: [],
    });
    expect(flights.flights[booking.flight]).toMatchObject({ seats: 2, assigned: 0 });
    const undoneItems = (await events(id))
      .filter((e) => e.type === 'COMPENSATION_SUCCEEDED' && e.step === 'assign_seats')
      .map((e) => e.data);
    expect(undoneItems.map((d) => d.item)).toEqual([1, 0]);
    expect((await view(hotel, 'bookings', id)).bookings).toEqual([
      expect.objectContaining({ status: 'cancelled' }),
    ]);
    expect(await ledger(id)).toEqual({ chargedCents: 0, refundedCents: 0, feeCents: 0 });
    expect((await view(insurance, 'policies', id)).policies).toEqual([]);
  });

  it('the insurer cannot quote Reykjavik: insure_trip is retried, then FAILED past the pivot with nothing undone; cancel 409; the insurer back, RETRY: COMPLETED', async () => {
    const id = await start(trip('Reykjavik', ['Asha']));
    const failed = await waitForSaga(t, id);
    expect(failed).toMatchObject({
      status: 'FAILED',
      requiresManualIntervention: true,
      error: { step: 'insure_trip', code: 'QUOTES_UNAVAILABLE' },
    });
    expect(failed.steps.map((s: Json) => [s.name, s.status])).toEqual([
      ['book_flight', 'succeeded'],
      ['book_hotel', 'succeeded'],
      ['assign_seats', 'succeeded'],
      ['charge', 'succeeded'],
      ['issue_tickets', 'succeeded'],
      ['insure_trip', 'failed'],
    ]);
    expect(step(failed, 'insure_trip').attempts).toBe(3);
    const history = await events(id);
    expect(history.filter((e) => e.type === 'COMPENSATION_STARTED')).toEqual([]);
    expect(history.filter((e) => e.type === 'STEP_FAILED').map((e) => e.step)).toEqual([
      'insure_trip',
      'insure_trip',
      'insure_trip',
    ]);
    // Nothing was undone: the tickets stand, the hotel is booked, the money is charged.
    expect((await view(flight, 'bookings', id)).bookings[0].status).toBe('ticketed');
    expect((await view(hotel, 'bookings', id)).bookings[0].status).toBe('booked');
    expect(await ledger(id)).toEqual({ chargedCents: 4_100_000, refundedCents: 0, feeCents: 0 });
    expect((await t.api(`/api/v1/sagas/${id}/cancel`, { method: 'POST' })).status).toBe(409);

    // The fix: the insurer restarts with its quotes back, on the same port and data.
    const port = new URL(insurance.url).port;
    await insurance.close();
    insurance = await startInsuranceService({
      port: Number(port),
      dataDir,
      signingSecret: SECRET,
      unavailable: [],
    });
    expect((await t.api(`/api/v1/sagas/${id}/retry`, { method: 'POST' })).status).toBe(202);
    const done = await waitForSaga(t, id);
    expect(done.status).toBe('COMPLETED');
    expect(done.requiresManualIntervention).toBe(false);
    const [policy] = (await view(insurance, 'policies', id)).policies;
    expect(policy).toMatchObject({
      destination: 'Reykjavik',
      idempotencyKey: `${id}:insure_trip:execute`,
    });
    expect(done.output.insure_trip.policyId).toBe(policy.policyId);
    // Forward only: each earlier step ran once, nothing compensated, charged once.
    expect(done.steps.slice(0, 5).map((s: Json) => s.attempts)).toEqual([1, 1, 1, 1, 1]);
    expect((await events(id)).filter((e) => e.type.startsWith('COMPENSATION_'))).toEqual([]);
    expect(await ledger(id)).toEqual({ chargedCents: 4_100_000, refundedCents: 0, feeCents: 0 });
  });

  it('the hotel is full (Goa): book_hotel fails by callback while the flight is booked; the flight is then cancelled, no seat taken: COMPENSATED', async () => {
    const id = await start(trip('Goa'));
    const saga = await waitForSaga(t, id);
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error).toMatchObject({ step: 'book_hotel', code: 'HOTEL_FULL' });
    expect(saga.steps.map((s: Json) => s.status)).toEqual([
      'compensated',
      'failed',
      'pending',
      'pending',
      'pending',
      'pending',
    ]);
    const flights = await view(flight, 'bookings', id);
    expect(flights.bookings).toEqual([expect.objectContaining({ status: 'cancelled' })]);
    expect(flights.seats).toEqual([]);
  });

  it('the card is declined: seats released, flight and hotel cancelled, nothing charged or ticketed', async () => {
    const id = await start(trip('Porto', ['Asha', 'Ravi'], 'tok_declined'));
    const saga = await waitForSaga(t, id);
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error).toMatchObject({ step: 'charge', code: 'CARD_DECLINED' });
    expect(saga.steps.map((s: Json) => s.status)).toEqual([
      'compensated',
      'compensated',
      'compensated',
      'failed',
      'pending',
      'pending',
    ]);
    const flights = await view(flight, 'bookings', id);
    expect(flights.bookings).toEqual([
      expect.objectContaining({ status: 'cancelled', tickets: [] }),
    ]);
    expect(flights.seats.map((s: Json) => s.status)).toEqual(['released', 'released']);
    expect(await ledger(id)).toEqual({ chargedCents: 0, refundedCents: 0, feeCents: 0 });
  });

  it('a service that does not know the signing secret refuses every call: 401 BAD_SIGNATURE, not retried', async () => {
    const strictDir = fs.mkdtempSync(path.join(os.tmpdir(), 'travel-e2e-strict-'));
    const strict = await startFlightService({
      port: 0,
      dataDir: strictDir,
      signingSecret: 'another-secret-entirely-0123',
    });
    try {
      const doc = document({
        flight: { url: strict.url },
        hotel: { url: hotel.url },
        insurance: { url: insurance.url },
      });
      doc.name = 'travel-strict';
      expect((await t.api('/api/v1/definitions', { method: 'POST', json: doc })).status).toBe(201);
      const saga = await waitForSaga(t, await start(trip('Lisbon'), 'travel-strict'));
      expect(saga.status).toBe('COMPENSATED');
      expect(saga.error).toMatchObject({ step: 'book_flight', code: 'BAD_SIGNATURE' });
      expect(step(saga, 'book_flight').attempts).toBe(1);
    } finally {
      await strict.close();
      fs.rmSync(strictDir, { recursive: true, force: true });
    }
  });
});
