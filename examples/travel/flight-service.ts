// The flight service of the travel example: a sagachart HTTP participant written with
// node:http only, synchronous. `POST /book` books the party on the flight to the destination,
// `POST /assign_seat` gives one passenger a seat (the saga calls it once per passenger),
// `POST /issue_tickets` issues the tickets (the trip's point of no return: no compensation),
// `POST /release_seat` and `POST /cancel` undo a seat and a booking; `GET /bookings` shows
// what the service holds.
//
//   npx tsx examples/travel/flight-service.ts
//     FLIGHT_PORT, TRAVEL_DATA_DIR, TRAVEL_SIGNING_SECRET, FLIGHT_CAPACITY ("Oslo=2"),
//     FLIGHT_SEATS (seats on any other flight), FLIGHT_BOOKING_DELAY_MS, FLIGHT_FARE_CENTS
import path from 'node:path';
import { defaultDataDir, runFromCli } from './lib/cli';
import { JsonFileStore } from './lib/json-file-store';
import { seatOperations, type SeatAssignment, type Ticket } from './flight-seats';
import {
  startParticipantServer,
  type IdempotentState,
  type Operation,
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
  sagaIdOf,
} from './lib/trip';

export interface FlightServiceOptions {
  /** 0: any free port (see the returned `url`). */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where `flight.json` (this service's whole state) lives. */
  dataDir: string;
  /** Require `X-Saga-Signature` made with this secret (sagachart's SAGA_SIGNING_SECRET). */
  signingSecret?: string;
  /** Price of one passenger's fare; default 850000 (8 500.00). */
  fareCents?: number;
  /** Seats on the flight to each city (case-insensitive); default `{ Oslo: 2 }`: a small plane. */
  capacity?: Record<string, number>;
  /** Seats on a flight to a city not in `capacity`; default 180. */
  seatsPerFlight?: number;
  /** How long `/book` takes (the airline's reservation system); default 0. */
  bookingDelayMs?: number;
  log?: (line: string) => void;
}

/** The output of `POST /book`: what the saga keeps as the step's output. */
export interface FlightBookingOutput {
  bookingId: string;
  flight: string;
  priceCents: number;
}

export interface FlightBooking extends FlightBookingOutput {
  /** `ticketed`: tickets issued; the booking can no longer be cancelled here. */
  status: 'booked' | 'ticketed' | 'cancelled';
  destination: string;
  passengers: string[];
  customerId: string | null;
  sagaId: string | null;
  idempotencyKey: string;
  /** When the request arrived; `bookedAt` is when the booking was made (after the delay). */
  requestedAt: string;
  bookedAt: string;
  cancelledAt: string | null;
  tickets: Ticket[];
  ticketedAt: string | null;
}

/** Everything the flight service keeps, in `flight.json`. */
export interface FlightState extends IdempotentState {
  bookings: Record<string, FlightBooking>;
  seats: Record<string, SeatAssignment>;
}

export async function startFlightService(options: FlightServiceOptions): Promise<RunningService> {
  const fareCents = options.fareCents ?? 850_000;
  const capacity = new Map(
    Object.entries(options.capacity ?? { Oslo: 2 }).map(([city, n]) => [cityKey(city), n]),
  );
  const seatsTo = (city: string) => capacity.get(cityKey(city)) ?? options.seatsPerFlight ?? 180;
  const store = await JsonFileStore.open<FlightState>(
    path.join(options.dataDir, 'flight.json'),
    () => ({ bookings: {}, seats: {}, answers: {} }),
  );

  // The airline sells more fares than it has seats, as airlines do: what can run out is the
  // seat, one passenger at a time (`/assign_seat`), not the booking.
  const book: Operation<FlightState> = {
    delayMs: options.bookingDelayMs ?? 0,
    run(call) {
      const trip = readTrip(call.body, { nights: false });
      if (isAnswer(trip)) return trip;
      const booking: FlightBooking = {
        bookingId: newId('FL', call.state.bookings),
        flight: flightTo(trip.destination),
        priceCents: fareCents * trip.passengers.length,
        status: 'booked',
        destination: trip.destination,
        passengers: trip.passengers,
        customerId: trip.customerId,
        sagaId: sagaIdOf(call),
        idempotencyKey: call.key,
        requestedAt: call.receivedAt.toISOString(),
        bookedAt: call.now.toISOString(),
        cancelledAt: null,
        tickets: [],
        ticketedAt: null,
      };
      call.state.bookings[booking.bookingId] = booking;
      const { bookingId, flight, priceCents } = booking;
      return { status: 201, body: { bookingId, flight, priceCents } };
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
      if (booking.status === 'ticketed') {
        return {
          status: 409,
          body: {
            code: 'ALREADY_TICKETED',
            message: `Booking ${bookingId} is ticketed: issued tickets are not cancelled, they are refunded by the airline's desk.`,
          },
        };
      }
      booking.status = 'cancelled';
      booking.cancelledAt = call.now.toISOString();
      // A cancelled booking keeps no seat (the saga releases each one before; this is the net).
      const releasedSeats: string[] = [];
      for (const s of Object.values(call.state.seats)) {
        if (s.bookingId === booking.bookingId && s.status === 'assigned') {
          s.status = 'released';
          s.releasedAt = call.now.toISOString();
          releasedSeats.push(s.seat);
        }
      }
      return { status: 200, body: { cancelled: true, bookingId, releasedSeats } };
    },
  };

  return startParticipantServer<FlightState>({
    name: 'flight',
    port: options.port,
    host: options.host,
    store,
    signingSecret: options.signingSecret,
    log: options.log,
    operations: { book, ...seatOperations(seatsTo), cancel },
    views: {
      '/bookings': (query, state) => {
        const sagaId = query.get('sagaId');
        const bookings = Object.values(state.bookings)
          .filter((b) => !sagaId || b.sagaId === sagaId)
          .sort((a, b) => a.bookedAt.localeCompare(b.bookedAt));
        const seats = Object.values(state.seats)
          .filter((s) => !sagaId || s.sagaId === sagaId)
          .sort((a, b) => a.assignedAt.localeCompare(b.assignedAt));
        const flights: Record<string, { destination: string; seats: number; assigned: number }> =
          {};
        for (const b of Object.values(state.bookings)) {
          flights[b.flight] ??= {
            destination: b.destination,
            seats: seatsTo(b.destination),
            assigned: 0,
          };
        }
        for (const s of Object.values(state.seats)) {
          if (s.status === 'assigned' && flights[s.flight]) flights[s.flight].assigned += 1;
        }
        return { service: 'flight', bookings, seats, flights };
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

/** The settings of the command line, from the environment. */
export function flightOptionsFromEnv(dataDir: string): FlightServiceOptions {
  return {
    port: intFromEnv('FLIGHT_PORT', 4001, 0, 65535),
    host: process.env.TRAVEL_HOST || '127.0.0.1',
    dataDir,
    signingSecret: process.env.TRAVEL_SIGNING_SECRET || undefined,
    fareCents: intFromEnv('FLIGHT_FARE_CENTS', 850_000),
    capacity: process.env.FLIGHT_CAPACITY
      ? parseCityCounts('FLIGHT_CAPACITY', process.env.FLIGHT_CAPACITY)
      : undefined,
    seatsPerFlight: intFromEnv('FLIGHT_SEATS', 180, 1, 10_000),
    bookingDelayMs: intFromEnv('FLIGHT_BOOKING_DELAY_MS', 300),
    log: (line) => console.log(line),
  };
}

if (require.main === module) {
  runFromCli(async () => ({
    flight: await startFlightService(flightOptionsFromEnv(defaultDataDir())),
  }));
}
