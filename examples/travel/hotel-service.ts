// The hotel service of the travel example: a sagachart HTTP participant written with
// node:http only, and an ASYNCHRONOUS one. `POST /book` answers `202 {accepted:true}` at once
// and tells the outcome later by POSTing it to the request's `callbackUrl` (the step is
// `"async": true` in the definition). `POST /cancel` (the compensation) is synchronous.
//
//   npx tsx examples/travel/hotel-service.ts
//     HOTEL_PORT, TRAVEL_DATA_DIR, TRAVEL_SIGNING_SECRET, HOTEL_CAPACITY ("Goa=0,Lisbon=40"),
//     HOTEL_ROOMS (rooms in any other city), HOTEL_CALLBACK_DELAY_MS
import path from 'node:path';
import { defaultDataDir, runFromCli } from './lib/cli';
import { JsonFileStore } from './lib/json-file-store';
import {
  startParticipantServer,
  type IdempotentState,
  type Operation,
  type OperationCall,
  type RunningService,
} from './lib/participant-http';
import {
  bookingToCancel,
  cityKey,
  intFromEnv,
  isAnswer,
  newId,
  parseCityCounts,
  readTrip,
} from './lib/trip';

export interface HotelServiceOptions {
  /** 0: any free port (see the returned `url`). */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where `hotel.json` (this service's whole state) lives. */
  dataDir: string;
  /** Require `X-Saga-Signature` made with this secret (sagachart's SAGA_SIGNING_SECRET). */
  signingSecret?: string;
  /** Rooms per city (case-insensitive); default `{ Goa: 0 }`: the hotel in Goa is full. */
  capacity?: Record<string, number>;
  /** Rooms in a city not in `capacity`; default 20. */
  defaultCapacity?: number;
  /** Price of one room for one night; default 600000 (6 000.00). */
  nightlyRateCents?: number;
  /** How long the hotel "thinks" before it calls back; default 500 ms. */
  callbackDelayMs?: number;
  /** Tries of one callback (network error or 5xx: try again; 2xx or 4xx: stop); default 5. */
  callbackAttempts?: number;
  /** Wait before the 2nd try, doubled for each next one (at most 5 s); default 200 ms. */
  callbackBackoffMs?: number;
  /** Bound of one callback request; default 5000 ms. */
  callbackTimeoutMs?: number;
  log?: (line: string) => void;
}

/** The output of the booking, delivered in the callback: what the saga keeps for the step. */
export interface HotelBookingOutput {
  bookingId: string;
  hotel: string;
  city: string;
  rooms: number;
  nights: number;
  priceCents: number;
}

export interface HotelBooking extends HotelBookingOutput {
  status: 'booked' | 'cancelled';
  guests: string[];
  customerId: string | null;
  sagaId: string | null;
  idempotencyKey: string;
  bookedAt: string;
  cancelledAt: string | null;
}

/** The body of a callback, as sagachart's callback endpoint takes it. */
export type HotelOutcome =
  | { status: 'succeeded'; output: HotelBookingOutput }
  | { status: 'failed'; error: { code: string; message: string }; retryable: false };

/** A callback to deliver (an outbox entry, kept with the state: a restart resumes it). */
export interface HotelCallback {
  url: string;
  outcome: HotelOutcome;
  state: 'pending' | 'delivered' | 'rejected' | 'gave_up';
  attempts: number;
  /** Bumped when a repeated request sends the outcome again (a delivery of an older round is void). */
  round: number;
  dueAt: string;
  lastResult: string | null;
  finishedAt: string | null;
}

interface HotelState extends IdempotentState {
  bookings: Record<string, HotelBooking>;
  /** By the idempotency key of the `/book` request. */
  callbacks: Record<string, HotelCallback>;
}

/** Two guests share a room. */
export const roomsFor = (guests: number) => Math.ceil(guests / 2);

export async function startHotelService(options: HotelServiceOptions): Promise<RunningService> {
  const capacity = new Map(
    Object.entries(options.capacity ?? { Goa: 0 }).map(([city, rooms]) => [cityKey(city), rooms]),
  );
  const defaultCapacity = options.defaultCapacity ?? 20;
  const capacityOf = (city: string) => capacity.get(cityKey(city)) ?? defaultCapacity;
  const rate = options.nightlyRateCents ?? 600_000;
  const delayMs = options.callbackDelayMs ?? 500;
  const maxAttempts = options.callbackAttempts ?? 5;
  const backoffMs = options.callbackBackoffMs ?? 200;
  const timeoutMs = options.callbackTimeoutMs ?? 5000;
  const log = options.log ?? (() => undefined);

  const store = await JsonFileStore.open<HotelState>(
    path.join(options.dataDir, 'hotel.json'),
    () => ({ bookings: {}, callbacks: {}, answers: {} }),
  );

  // --- the outbox: deliver each pending callback, retrying network errors and 5xx ----------
  const timers = new Map<string, NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  const abort = new AbortController();
  let closed = false;

  function schedule(key: string, dueAt: string): void {
    if (closed) return;
    clearTimeout(timers.get(key));
    const wait = Math.max(0, Date.parse(dueAt) - Date.now());
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        const delivery = deliver(key).catch((err: unknown) => {
          log(`hotel callback ${key} not recorded: ${String(err)}`);
        });
        inFlight.add(delivery);
        void delivery.finally(() => inFlight.delete(delivery));
      }, wait),
    );
  }

  async function deliver(key: string): Promise<void> {
    await store.settled(); // only what is on disk is ever announced
    const job = store.read().callbacks[key];
    if (closed || !job || job.state !== 'pending') return;
    let verdict: 'delivered' | 'rejected' | 'retry';
    let detail: string;
    try {
      const res = await fetch(job.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(job.outcome),
        redirect: 'manual',
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(timeoutMs)]),
      });
      await res.arrayBuffer().catch(() => undefined);
      detail = `HTTP ${res.status}`;
      verdict = res.status >= 500 ? 'retry' : res.status < 300 ? 'delivered' : 'rejected';
    } catch (err) {
      if (closed) return; // stays pending in the file: the next start delivers it
      verdict = 'retry';
      detail = (err as Error).cause ? String((err as Error).cause) : String(err);
    }
    const after = await store.transact((state) => {
      const current = state.callbacks[key];
      if (!current || current.state !== 'pending' || current.round !== job.round) return null;
      const now = new Date();
      current.attempts += 1;
      current.lastResult = detail;
      if (verdict === 'retry' && current.attempts < maxAttempts) {
        const wait = Math.min(5000, backoffMs * 2 ** (current.attempts - 1));
        current.dueAt = new Date(now.getTime() + wait).toISOString();
      } else {
        current.state =
          verdict === 'delivered' ? 'delivered' : verdict === 'rejected' ? 'rejected' : 'gave_up';
        current.finishedAt = now.toISOString();
      }
      return { ...current };
    });
    if (!after) return;
    log(
      `hotel callback ${key} (${job.outcome.status}) -> ${detail}: ${after.state}` +
        (after.state === 'pending' ? `, try ${after.attempts + 1} at ${after.dueAt}` : ''),
    );
    if (after.state === 'pending') schedule(key, after.dueAt);
  }

  // --- the operations -----------------------------------------------------------------------
  const book: Operation<HotelState> = {
    run(call) {
      const trip = readTrip(call.body, { nights: true });
      if (isAnswer(trip)) return trip;
      const callbackUrl = httpUrl(call.body.callbackUrl);
      if (!callbackUrl) {
        return {
          status: 422,
          body: {
            code: 'MISSING_CALLBACK_URL',
            message:
              'This hotel answers asynchronously: send callbackUrl (mark the step "async": true).',
          },
        };
      }
      const rooms = roomsFor(trip.passengers.length);
      const total = capacityOf(trip.destination);
      const taken = Object.values(call.state.bookings)
        .filter((b) => b.status === 'booked' && cityKey(b.city) === cityKey(trip.destination))
        .reduce((sum, b) => sum + b.rooms, 0);
      const hotel = `Sagachart Grand ${trip.destination}`;
      let outcome: HotelOutcome;
      if (taken + rooms > total) {
        outcome = {
          status: 'failed',
          error: {
            code: 'HOTEL_FULL',
            message: `${hotel} has ${Math.max(0, total - taken)} of ${total} rooms free; ${rooms} needed.`,
          },
          retryable: false,
        };
      } else {
        const booking: HotelBooking = {
          bookingId: newId('HT', call.state.bookings),
          hotel,
          city: trip.destination,
          rooms,
          nights: trip.nights,
          priceCents: rooms * trip.nights * rate,
          status: 'booked',
          guests: trip.passengers,
          customerId: trip.customerId,
          sagaId: typeof call.body.sagaId === 'string' ? call.body.sagaId : null,
          idempotencyKey: call.key,
          bookedAt: call.now.toISOString(),
          cancelledAt: null,
        };
        call.state.bookings[booking.bookingId] = booking;
        const { bookingId, city, nights, priceCents } = booking;
        outcome = {
          status: 'succeeded',
          output: { bookingId, hotel, city, rooms, nights, priceCents },
        };
      }
      const dueAt = new Date(call.now.getTime() + delayMs).toISOString();
      call.state.callbacks[call.key] = {
        url: callbackUrl,
        outcome,
        state: 'pending',
        attempts: 0,
        round: 1,
        dueAt,
        lastResult: null,
        finishedAt: null,
      };
      schedule(call.key, dueAt);
      return { status: 202, body: { accepted: true } };
    },
    // The same request again means the caller may have missed the outcome: the first answer
    // (202) comes back, nothing is booked again, and the SAME outcome is sent once more, to
    // the callbackUrl of this request (a new retry round has a new one).
    onRepeat(call: OperationCall<HotelState>) {
      const job = call.state.callbacks[call.key];
      const url = httpUrl(call.body.callbackUrl);
      if (!job || !url || (job.state === 'pending' && job.url === url)) return;
      Object.assign(job, {
        url,
        state: 'pending',
        attempts: 0,
        round: job.round + 1,
        dueAt: call.now.toISOString(),
        finishedAt: null,
      });
      schedule(call.key, job.dueAt);
    },
  };

  const cancel: Operation<HotelState> = {
    run(call) {
      const { bookingId, booking } = bookingToCancel(call);
      if (!booking) {
        return { status: 200, body: { cancelled: false, bookingId, reason: 'UNKNOWN_BOOKING' } };
      }
      if (booking.status === 'cancelled') {
        return { status: 200, body: { cancelled: false, bookingId, reason: 'ALREADY_CANCELLED' } };
      }
      booking.status = 'cancelled';
      booking.cancelledAt = call.now.toISOString();
      return { status: 200, body: { cancelled: true, bookingId, releasedRooms: booking.rooms } };
    },
  };

  const service = await startParticipantServer<HotelState>({
    name: 'hotel',
    port: options.port,
    host: options.host,
    store,
    signingSecret: options.signingSecret,
    log,
    operations: { book, cancel },
    views: {
      '/bookings': (query, state) => {
        const sagaId = query.get('sagaId');
        const bookings = Object.values(state.bookings)
          .filter((b) => !sagaId || b.sagaId === sagaId)
          .sort((a, b) => a.bookedAt.localeCompare(b.bookedAt));
        const rooms: Record<string, { capacity: number; booked: number }> = {};
        for (const [city, total] of Object.entries(options.capacity ?? { Goa: 0 })) {
          rooms[city] = { capacity: total, booked: 0 };
        }
        for (const b of Object.values(state.bookings)) {
          const known = Object.keys(rooms).find((c) => cityKey(c) === cityKey(b.city)) ?? b.city;
          rooms[known] ??= { capacity: capacityOf(b.city), booked: 0 };
          if (b.status === 'booked') rooms[known].booked += b.rooms;
        }
        const callbacks = Object.entries(state.callbacks)
          .filter(([key]) => !sagaId || key.startsWith(`${sagaId}:`))
          .map(([key, c]) => ({
            key,
            outcome: c.outcome.status,
            ...(c.outcome.status === 'failed' ? { code: c.outcome.error.code } : {}),
            state: c.state,
            attempts: c.attempts,
            lastResult: c.lastResult,
          }));
        return { service: 'hotel', bookings, rooms, callbacks };
      },
    },
    onClose: async () => {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      abort.abort();
      await Promise.all(inFlight);
    },
  });

  // Callbacks the last run did not finish.
  for (const [key, job] of Object.entries(store.read().callbacks)) {
    if (job.state === 'pending') schedule(key, job.dueAt);
  }
  return service;
}

function httpUrl(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** `"Goa=0,Lisbon=40"` → `{ Goa: 0, Lisbon: 40 }`. */
export function parseCapacity(text: string): Record<string, number> {
  return parseCityCounts('HOTEL_CAPACITY', text);
}

/** The settings of the command line, from the environment. */
export function hotelOptionsFromEnv(dataDir: string): HotelServiceOptions {
  return {
    port: intFromEnv('HOTEL_PORT', 4002, 0, 65535),
    host: process.env.TRAVEL_HOST || '127.0.0.1',
    dataDir,
    signingSecret: process.env.TRAVEL_SIGNING_SECRET || undefined,
    capacity: process.env.HOTEL_CAPACITY ? parseCapacity(process.env.HOTEL_CAPACITY) : undefined,
    defaultCapacity: intFromEnv('HOTEL_ROOMS', 20),
    nightlyRateCents: intFromEnv('HOTEL_NIGHTLY_RATE_CENTS', 600_000),
    callbackDelayMs: intFromEnv('HOTEL_CALLBACK_DELAY_MS', 500),
    log: (line) => console.log(line),
  };
}

if (require.main === module) {
  runFromCli(async () => ({
    hotel: await startHotelService(hotelOptionsFromEnv(defaultDataDir())),
  }));
}
