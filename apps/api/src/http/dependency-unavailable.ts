// A request that fails because PostgreSQL or the queue is unreachable is not the client's
// fault and not our bug: it is a 503 the client may retry (with its Idempotency-Key).

/** PostgreSQL SQLSTATEs that mean "the server is not there (right now)". */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '53300', // too_many_connections
]);

const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
]);

const UNAVAILABLE_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /the database system is (starting up|shutting down)/i,
  /is not currently accepting connections/i,
  /Connection is closed/i, // ioredis
];

/**
 * TypeORM's errors for a query on a connection it has already given back. Our transactions run
 * their queries one after the other inside the callback, so this happens only when the
 * connection was lost mid-transaction: TypeORM releases it on the connection's 'error' event,
 * and the next statement (or the COMMIT) then fails with one of these instead of a pg error.
 */
const RELEASED_CONNECTION_ERRORS = new Set([
  'QueryRunnerAlreadyReleasedError',
  'QueryRunnerProviderAlreadyReleasedError',
]);

/** Whether `err` (or its cause / TypeORM's driverError) says a dependency is unreachable. */
export function isDependencyUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  const e = err as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof e.name === 'string' && RELEASED_CONNECTION_ERRORS.has(e.name)) return true;
  if (
    typeof e.code === 'string' &&
    (UNAVAILABLE_SQLSTATES.has(e.code) || e.code.startsWith('08') || UNAVAILABLE_ERRNOS.has(e.code))
  ) {
    return true;
  }
  if (
    typeof e.message === 'string' &&
    UNAVAILABLE_MESSAGES.some((re) => re.test(e.message as string))
  )
    return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isDependencyUnavailable(x, depth + 1)))
    return true;
  return (
    isDependencyUnavailable(e.driverError, depth + 1) || isDependencyUnavailable(e.cause, depth + 1)
  );
}
