// Small pieces the travel services share: reading the saga input, finding the booking a
// compensation undoes, reading settings from the environment.
import { randomUUID } from 'node:crypto';
import { HttpError, type Answer, type OperationCall } from './participant-http';

/** What the travel saga's input means to a flight or a hotel. */
export interface Trip {
  customerId: string | null;
  destination: string;
  passengers: string[];
  nights: number;
}

/**
 * `body.input`, checked (sagachart validates it against the definition's inputSchema first;
 * a participant checks anyway, it does not know who else calls it). A wrong one is a `422`:
 * a 4xx the saga does not retry.
 */
export function readTrip(body: Record<string, unknown>, needs: { nights: boolean }): Trip | Answer {
  const input = body.input as Record<string, unknown> | null | undefined;
  const destination = input?.destination;
  const passengers = input?.passengers;
  const nights = input?.nights;
  const problems: string[] = [];
  if (typeof destination !== 'string' || destination.trim() === '' || destination.length > 100) {
    problems.push('input.destination must be a city name (1-100 characters)');
  }
  const names = Array.isArray(passengers)
    ? passengers.map((p) => (p as { name?: unknown } | null)?.name)
    : [];
  if (
    names.length < 1 ||
    names.length > 9 ||
    !names.every((n) => typeof n === 'string' && n.trim() !== '')
  ) {
    problems.push('input.passengers must be 1 to 9 passengers, each { name }');
  }
  if (needs.nights && !(Number.isSafeInteger(nights) && (nights as number) >= 1)) {
    problems.push('input.nights must be a whole number of nights, at least 1');
  }
  if (problems.length > 0) {
    return { status: 422, body: { code: 'INVALID_INPUT', message: `${problems.join('; ')}.` } };
  }
  return {
    customerId: typeof input?.customerId === 'string' ? input.customerId : null,
    destination: (destination as string).trim(),
    passengers: names as string[],
    nights: needs.nights ? (nights as number) : 0,
  };
}

export function isAnswer(value: Trip | Answer): value is Answer {
  return 'status' in value;
}

/** The fields both services keep on a booking, to find it again. */
export interface BookingRecord {
  bookingId: string;
  sagaId: string | null;
  idempotencyKey: string;
  status: string;
}

/**
 * The booking a compensation undoes: `forwardOutput.bookingId` (the output of the step being
 * undone), or, when the caller has no output, the booking made under the matching execute
 * key (`<sagaId>:<step>:execute`). A booking of another saga is refused, not cancelled.
 */
export function bookingToCancel<B extends BookingRecord>(
  call: OperationCall<{ bookings: Record<string, B> }>,
): { bookingId: string | null; booking: B | undefined } {
  const forward = call.body.forwardOutput as { bookingId?: unknown } | null | undefined;
  let bookingId = typeof forward?.bookingId === 'string' ? forward.bookingId : null;
  const executeKey = executeKeyOf(call.key);
  if (bookingId === null && executeKey !== null) {
    bookingId =
      Object.values(call.state.bookings).find((b) => b.idempotencyKey === executeKey)?.bookingId ??
      null;
  }
  const booking = bookingId !== null ? call.state.bookings[bookingId] : undefined;
  const sagaId = typeof call.body.sagaId === 'string' ? call.body.sagaId : null;
  if (booking?.sagaId && sagaId && booking.sagaId !== sagaId) {
    throw new HttpError(
      409,
      'BOOKING_OF_ANOTHER_SAGA',
      `Booking ${bookingId} belongs to saga ${booking.sagaId}, not ${sagaId}.`,
    );
  }
  return { bookingId, booking };
}

/**
 * The key of the call a compensation undoes: `<sagaId>:<step>:compensate[:<item>]` →
 * `<sagaId>:<step>:execute[:<item>]` (null: not a compensation key).
 */
export function executeKeyOf(compensateKey: string): string | null {
  const match = /^(.*):compensate(:\d+)?$/.exec(compensateKey);
  return match ? `${match[1]}:execute${match[2] ?? ''}` : null;
}

/** `"Goa=0,Lisbon=40"` → `{ Goa: 0, Lisbon: 40 }`; `variable` names the setting in the error. */
export function parseCityCounts(variable: string, text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of text.split(',').filter((e) => e.trim() !== '')) {
    const [city, count] = entry.split('=').map((s) => s.trim());
    const n = Number(count);
    if (!city || !Number.isSafeInteger(n) || n < 0) {
      throw new Error(`${variable} must look like "Goa=0,Lisbon=40", not '${text}'`);
    }
    counts[city] = n;
  }
  return counts;
}

/** The same city however it is written (`Oslo`, ` oslo `). */
export function cityKey(city: string): string {
  return city.trim().toLowerCase();
}

/** The saga a call is for (`body.sagaId`), or null for a call without one. */
export function sagaIdOf(call: { body: Record<string, unknown> }): string | null {
  return typeof call.body.sagaId === 'string' ? call.body.sagaId : null;
}

/** A short unique id with a prefix (`FL-3F9A0C21`). */
export function newId(prefix: string, taken: Record<string, unknown>): string {
  for (;;) {
    const id = `${prefix}-${randomUUID().slice(0, 8).toUpperCase()}`;
    if (!Object.hasOwn(taken, id)) return id;
  }
}

/** A whole number from the environment, or the default; anything else stops with a message. */
export function intFromEnv(name: string, fallback: number, min = 0, max = 2 ** 31): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, not '${raw}'`);
  }
  return value;
}
