// The README's travel walk-through, for real: the example flight and hotel services (their own
// storage, signature checks, the hotel answering by callback) and the built-in payment
// participant, driven through sagachart's API with the definition file the README registers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFlightService } from '../../examples/travel/flight-service';
import { startHotelService } from '../../examples/travel/hotel-service';
import { startTestApp, waitForSaga, type TestApp } from '../support/test-app';

type Json = Record<string, any>;
const SECRET = 'travel-walkthrough-secret-0123456789';

describe('travel example end to end (signed requests, async hotel)', () => {
  let t: TestApp;
  let flight: { url: string; close(): Promise<void> };
  let hotel: { url: string; close(): Promise<void> };
  let dataDir: string;

  const trip = (destination: string, token = 'tok_ok') => ({
    customerId: 'c-7',
    destination,
    nights: 2,
    passengers: [{ name: 'Asha' }, { name: 'Ravi' }],
    payment: { token, amountCents: 4_100_000 },
  });

  const book = async (input: Json) => {
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'travel', input },
    });
    expect(res.status).toBe(201);
    return waitForSaga(t, (await res.json()).id);
  };
  const bookings = async (url: string, sagaId: string) =>
    ((await (await fetch(`${url}/bookings?sagaId=${sagaId}`)).json()) as Json).bookings as Json[];

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'travel-e2e-'));
    flight = await startFlightService({ port: 0, dataDir, signingSecret: SECRET });
    hotel = await startHotelService({
      port: 0,
      dataDir,
      signingSecret: SECRET,
      callbackDelayMs: 100,
    });
    t = await startTestApp({ env: { SAGA_SIGNING_SECRET: SECRET } });
    const document = JSON.parse(
      fs.readFileSync(
        path.resolve(__dirname, '../../examples/travel/travel.definition.json'),
        'utf8',
      ),
    );
    document.participants = { flight: { url: flight.url }, hotel: { url: hotel.url } };
    const res = await t.api('/api/v1/definitions', { method: 'POST', json: document });
    expect(res.status).toBe(201);
    expect(((await res.json()) as Json).warnings).toEqual([]);
  });
  afterAll(async () => {
    await t?.close();
    await flight?.close();
    await hotel?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a city with rooms: COMPLETED; each service holds its booking; the hotel step took one attempt', async () => {
    const saga = await book(trip('Lisbon'));
    expect(saga.status).toBe('COMPLETED');
    expect(saga.steps.map((s: Json) => [s.name, s.status, s.attempts])).toEqual([
      ['book_flight', 'succeeded', 1],
      ['book_hotel', 'succeeded', 1],
      ['charge', 'succeeded', 1],
    ]);
    expect(saga.output.book_hotel).toMatchObject({ bookingId: expect.any(String) });
    expect(await bookings(flight.url, saga.id)).toEqual([
      expect.objectContaining({ status: 'booked' }),
    ]);
    expect(await bookings(hotel.url, saga.id)).toEqual([
      expect.objectContaining({ sagaId: saga.id }),
    ]);
    const ledger = await (
      await t.api(`/api/v1/participants/payment/ledger?sagaId=${saga.id}`)
    ).json();
    expect(ledger).toEqual({ chargedCents: 4_100_000, refundedCents: 0, feeCents: 0 });
    const events = (await (await t.api(`/api/v1/sagas/${saga.id}/events`)).json()) as Json[];
    expect(events.filter((e) => e.type === 'STEP_FAILED')).toEqual([]);
  });

  it('the hotel is full: book_hotel fails by callback (HOTEL_FULL), the flight is cancelled: COMPENSATED', async () => {
    const saga = await book(trip('Goa'));
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error).toMatchObject({ step: 'book_hotel', code: 'HOTEL_FULL' });
    expect(saga.steps.map((s: Json) => s.status)).toEqual(['compensated', 'failed', 'pending']);
    expect(await bookings(flight.url, saga.id)).toEqual([
      expect.objectContaining({ status: 'cancelled' }),
    ]);
  });

  it('the card is declined: hotel and flight are cancelled, nothing charged', async () => {
    const saga = await book(trip('Lisbon', 'tok_declined'));
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error).toMatchObject({ step: 'charge', code: 'CARD_DECLINED' });
    expect(saga.steps.map((s: Json) => s.status)).toEqual(['compensated', 'compensated', 'failed']);
  });

  it('a service that does not know the signing secret refuses every call: 401 BAD_SIGNATURE, not retried', async () => {
    const strict = await startFlightService({
      port: 0,
      dataDir,
      signingSecret: 'another-secret-entirely-0123',
    });
    try {
      const document = JSON.parse(
        fs.readFileSync(
          path.resolve(__dirname, '../../examples/travel/travel.definition.json'),
          'utf8',
        ),
      );
      document.name = 'travel-strict';
      document.participants = { flight: { url: strict.url }, hotel: { url: hotel.url } };
      expect((await t.api('/api/v1/definitions', { method: 'POST', json: document })).status).toBe(
        201,
      );
      const res = await t.api('/api/v1/sagas', {
        method: 'POST',
        json: { definition: 'travel-strict', input: trip('Lisbon') },
      });
      const saga = await waitForSaga(t, (await res.json()).id);
      expect(saga.status).toBe('COMPENSATED');
      expect(saga.error).toMatchObject({ step: 'book_flight', code: 'BAD_SIGNATURE' });
      expect(saga.steps[0].attempts).toBe(1);
    } finally {
      await strict.close();
    }
  });
});
