// The flight service's seats and tickets: `POST /assign_seat` gives one passenger a seat on the
// party's booking (the saga calls it once per passenger, a forEach step), `POST /release_seat`
// is its compensation, `POST /issue_tickets` turns the seated booking into tickets: the trip's
// point of no return, with no compensation.
import { HttpError, type Answer, type Operation, type OperationCall } from './lib/participant-http';
import { executeKeyOf, newId, sagaIdOf } from './lib/trip';
import type { FlightBooking, FlightState } from './flight-service';

export interface Ticket {
  ticketNumber: string;
  passenger: string;
  seat: string;
}

/** The output of `POST /assign_seat`: one item of the saga's seat step. */
export interface SeatOutput {
  assignmentId: string;
  bookingId: string;
  flight: string;
  seat: string;
  passenger: string;
}

export interface SeatAssignment extends SeatOutput {
  status: 'assigned' | 'released';
  /** The passenger's index in the saga input (`itemIndex`). */
  itemIndex: number | null;
  sagaId: string | null;
  idempotencyKey: string;
  assignedAt: string;
  releasedAt: string | null;
}

/** The seat and ticket operations; `seatsTo(city)`: the seats on the flight to that city. */
export function seatOperations(
  seatsTo: (city: string) => number,
): Record<'assign_seat' | 'release_seat' | 'issue_tickets', Operation<FlightState>> {
  const assignSeat: Operation<FlightState> = {
    run(call) {
      const booking = openBookingOf(call);
      const name = (call.body.item as { name?: unknown } | null | undefined)?.name;
      const itemIndex = call.body.itemIndex;
      if (typeof name !== 'string' || name.trim() === '') {
        return invalid('item must be a passenger { name } (the saga sends it for forEach steps)');
      }
      const taken = new Set(
        Object.values(call.state.seats)
          .filter((s) => s.flight === booking.flight && s.status === 'assigned')
          .map((s) => s.seat),
      );
      const total = seatsTo(booking.destination);
      const seat = allSeats(total).find((s) => !taken.has(s));
      if (!seat) {
        return {
          status: 409,
          body: {
            code: 'NO_SEAT_LEFT',
            message: `Flight ${booking.flight} to ${booking.destination} has all its ${total} seats assigned: none left for ${name}.`,
          },
        };
      }
      const assignment: SeatAssignment = {
        assignmentId: newId('ST', call.state.seats),
        bookingId: booking.bookingId,
        flight: booking.flight,
        seat,
        passenger: name,
        status: 'assigned',
        itemIndex: Number.isSafeInteger(itemIndex) ? (itemIndex as number) : null,
        sagaId: sagaIdOf(call),
        idempotencyKey: call.key,
        assignedAt: call.now.toISOString(),
        releasedAt: null,
      };
      call.state.seats[assignment.assignmentId] = assignment;
      const output: SeatOutput = {
        assignmentId: assignment.assignmentId,
        bookingId: booking.bookingId,
        flight: booking.flight,
        seat,
        passenger: name,
      };
      return { status: 201, body: output };
    },
  };

  const releaseSeat: Operation<FlightState> = {
    run(call) {
      const forward = call.body.forwardOutput as { assignmentId?: unknown } | null | undefined;
      const executeKey = executeKeyOf(call.key);
      const assignment =
        typeof forward?.assignmentId === 'string'
          ? call.state.seats[forward.assignmentId]
          : Object.values(call.state.seats).find((s) => s.idempotencyKey === executeKey);
      if (!assignment) return { status: 200, body: { released: false, reason: 'UNKNOWN_SEAT' } };
      refuseOtherSaga(call, assignment);
      const { assignmentId, seat } = assignment;
      if (assignment.status === 'released') {
        return { status: 200, body: { released: false, assignmentId, reason: 'ALREADY_RELEASED' } };
      }
      assignment.status = 'released';
      assignment.releasedAt = call.now.toISOString();
      return { status: 200, body: { released: true, assignmentId, seat } };
    },
  };

  const issueTickets: Operation<FlightState> = {
    run(call) {
      const booking = openBookingOf(call);
      const seated = Object.values(call.state.seats)
        .filter((s) => s.bookingId === booking.bookingId && s.status === 'assigned')
        .sort((a, b) => (a.itemIndex ?? 0) - (b.itemIndex ?? 0));
      if (seated.length !== booking.passengers.length) {
        return {
          status: 409,
          body: {
            code: 'SEATS_MISSING',
            message: `Booking ${booking.bookingId} has ${seated.length} seats for ${booking.passengers.length} passengers: assign every seat first.`,
          },
        };
      }
      booking.tickets = seated.map((s) => ({
        ticketNumber: newId('TK', {}),
        passenger: s.passenger,
        seat: s.seat,
      }));
      booking.status = 'ticketed';
      booking.ticketedAt = call.now.toISOString();
      return {
        status: 201,
        body: { bookingId: booking.bookingId, flight: booking.flight, tickets: booking.tickets },
      };
    },
  };

  return { assign_seat: assignSeat, release_seat: releaseSeat, issue_tickets: issueTickets };
}

/** The booking a seat or the tickets are for: the saga's flight booking, still open. */
function openBookingOf(call: OperationCall<FlightState>): FlightBooking {
  const outputs = (call.body.outputs ?? {}) as Record<string, { bookingId?: unknown } | null>;
  const fromOutputs = Object.values(outputs)
    .map((o) => (typeof o?.bookingId === 'string' ? call.state.bookings[o.bookingId] : undefined))
    .find((b) => b !== undefined);
  const sagaId = sagaIdOf(call);
  const booking =
    fromOutputs ??
    Object.values(call.state.bookings).find((b) => sagaId !== null && b.sagaId === sagaId);
  if (!booking) {
    throw new HttpError(
      409,
      'NO_BOOKING',
      `No flight booking for saga ${sagaId}: book the flight first (its output, with bookingId, comes in outputs).`,
    );
  }
  refuseOtherSaga(call, booking);
  if (booking.status !== 'booked') {
    throw new HttpError(
      409,
      booking.status === 'cancelled' ? 'BOOKING_CANCELLED' : 'ALREADY_TICKETED',
      `Booking ${booking.bookingId} is ${booking.status}.`,
    );
  }
  return booking;
}

function refuseOtherSaga(
  call: OperationCall<FlightState>,
  record: { sagaId: string | null },
): void {
  const sagaId = sagaIdOf(call);
  if (record.sagaId && sagaId && record.sagaId !== sagaId) {
    throw new HttpError(
      409,
      'BOOKING_OF_ANOTHER_SAGA',
      `That belongs to saga ${record.sagaId}, not ${sagaId}.`,
    );
  }
}

function invalid(message: string): Answer {
  return { status: 422, body: { code: 'INVALID_INPUT', message: `${message}.` } };
}

/** Seat labels 1A … 1F, 2A …, `count` of them. */
function allSeats(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${Math.floor(i / 6) + 1}${'ABCDEF'[i % 6]}`);
}
