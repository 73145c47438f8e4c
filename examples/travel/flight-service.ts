// The flight service of the travel example: a sagachart HTTP participant written with
// node:http only. `POST /book` books seats for the trip's passengers (synchronously),
// `POST /cancel` is its compensation, `GET /bookings` shows what the service holds.
//
//   npx tsx examples/travel/flight-service.ts     (FLIGHT_PORT, TRAVEL_DATA_DIR, TRAVEL_SIGNING_SECRET)
import path from 'node:path';
import { defaultDataDir, runFromCli } from './lib/cli';
import { JsonFileStore } from './lib/json-file-store';
import {
  startParticipantServer,
  type IdempotentState,
  type Operation,
  type RunningService,
} from './lib/participant-http';
import { bookingToCancel, intFromEnv, isAnswer, newId, readTrip } from './lib/trip';

export interface FlightServiceOptions {
  /** 0: any free port (see the returned `url`). */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where `flight.json` (this service's whole state) lives. */
  dataDir: string;
  /** Require `X-Saga-Signature` made with this secret (sagachart's SAGA_SIGNING_SECRET). */
  signingSecret?: string;
  /** Price of one seat; default 850000 (8 500.00). */
  fareCents?: number;
  /** Seats on each flight; default 180. */
  seatsPerFlight?: number;
  log?: (line: string) => void;
}

/** The output of `POST /book`: what the saga keeps as the step's output. */
export interface FlightBookingOutput {
  bookingId: string;
  flight: string;
  seats: string[];
  priceCents: number;
}

export interface FlightBooking extends FlightBookingOutput {
  status: 'booked' | 'cancelled';
  destination: string;
  passengers: string[];
  customerId: string | null;
  sagaId: string | null;
  idempotencyKey: string;
  bookedAt: string;
  cancelledAt: string | null;
}

interface FlightState extends IdempotentState {
  bookings: Record<string, FlightBooking>;
}

export async function startFlightService(options: FlightServiceOptions): Promise<RunningService> {
  const fareCents = options.fareCents ?? 850_000;
  const seatsPerFlight = options.seatsPerFlight ?? 180;
  const store = await JsonFileStore.open<FlightState>(
    path.join(options.dataDir, 'flight.json'),
    () => ({ bookings: {}, answers: {} }),
  );

  const book: Operation<FlightState> = {
    run(call) {
      const trip = readTrip(call.body, { nights: false });
      if (isAnswer(trip)) return trip;
      const flight = flightTo(trip.destination);
      const taken = new Set(
        Object.values(call.state.bookings)
          .filter((b) => b.flight === flight && b.status === 'booked')
          .flatMap((b) => b.seats),
      );
      const seats = allSeats(seatsPerFlight)
        .filter((seat) => !taken.has(seat))
        .slice(0, trip.passengers.length);
      if (seats.length < trip.passengers.length) {
        return {
          status: 409,
          body: {
            code: 'FLIGHT_FULL',
            message: `Flight ${flight} to ${trip.destination} has ${seats.length} free seats, ${trip.passengers.length} asked for.`,
          },
        };
      }
      const booking: FlightBooking = {
        bookingId: newId('FL', call.state.bookings),
        flight,
        seats,
        priceCents: fareCents * trip.passengers.length,
        status: 'booked',
        destination: trip.destination,
        passengers: trip.passengers,
        customerId: trip.customerId,
        sagaId: typeof call.body.sagaId === 'string' ? call.body.sagaId : null,
        idempotencyKey: call.key,
        bookedAt: call.now.toISOString(),
        cancelledAt: null,
      };
      call.state.bookings[booking.bookingId] = booking;
      const output: FlightBookingOutput = {
        bookingId: booking.bookingId,
        flight,
        seats,
        priceCents: booking.priceCents,
      };
      return { status: 201, body: output };
    },
  };

  const cancel: Operation<FlightState> = {
    run(call) {
      const { bookingId, booking } = bookingToCancel(call);
      if (!booking) {
        // Nothing was booked (or it is not ours): the undo has nothing to do, and that is fine.
        return { status: 200, body: { cancelled: false, bookingId, reason: 'UNKNOWN_BOOKING' } };
      }
      if (booking.status === 'cancelled') {
        return { status: 200, body: { cancelled: false, bookingId, reason: 'ALREADY_CANCELLED' } };
      }
      booking.status = 'cancelled';
      booking.cancelledAt = call.now.toISOString();
      return { status: 200, body: { cancelled: true, bookingId, releasedSeats: booking.seats } };
    },
  };

  return startParticipantServer<FlightState>({
    name: 'flight',
    port: options.port,
    host: options.host,
    store,
    signingSecret: options.signingSecret,
    log: options.log,
    operations: { book, cancel },
    views: {
      '/bookings': (query, state) => {
        const sagaId = query.get('sagaId');
        const bookings = Object.values(state.bookings)
          .filter((b) => !sagaId || b.sagaId === sagaId)
          .sort((a, b) => a.bookedAt.localeCompare(b.bookedAt));
        const flights: Record<string, { destination: string; seats: number; booked: number }> = {};
        for (const b of Object.values(state.bookings)) {
          const f = (flights[b.flight] ??= {
            destination: b.destination,
            seats: seatsPerFlight,
            booked: 0,
          });
          if (b.status === 'booked') f.booked += b.seats.length;
        }
        return { service: 'flight', bookings, flights };
      },
    },
  });
}

/** The (made-up) flight number serving a city: the same city, the same flight. */
export function flightTo(destination: string): string {
  let hash = 0;
  for (const ch of destination.toLowerCase()) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) % 900;
  return `SC${100 + hash}`;
}

/** Seat labels 1A … 1F, 2A …, `count` of them. */
function allSeats(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${Math.floor(i / 6) + 1}${'ABCDEF'[i % 6]}`);
}

/** The settings of the command line, from the environment. */
export function flightOptionsFromEnv(dataDir: string): FlightServiceOptions {
  return {
    port: intFromEnv('FLIGHT_PORT', 4001, 0, 65535),
    host: process.env.TRAVEL_HOST || '127.0.0.1',
    dataDir,
    signingSecret: process.env.TRAVEL_SIGNING_SECRET || undefined,
    fareCents: intFromEnv('FLIGHT_FARE_CENTS', 850_000),
    seatsPerFlight: intFromEnv('FLIGHT_SEATS', 180, 1, 10_000),
    log: (line) => console.log(line),
  };
}

if (require.main === module) {
  runFromCli(async () => ({
    flight: await startFlightService(flightOptionsFromEnv(defaultDataDir())),
  }));
}
