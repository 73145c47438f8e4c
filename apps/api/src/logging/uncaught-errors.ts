// The process's last resort for an error nobody handled (an 'error' event without listener, a
// rejected promise nobody awaited). Node's default prints it to stderr and exits 1; here it
// also becomes a JSON log line with its stack, so that the reason of a crash is searchable
// next to everything else the process logged.
//
// One kind is survived: a connection to PostgreSQL or Redis that was lost (what the 503s are
// about). Library code owns some connections the service cannot configure (BullMQ's dedicated
// LISTEN client attaches its 'error' listener only once its connect() has resolved, which is
// too late when the server terminates the connection right after its startup); that
// connection is dead already, its owner sees it fail and reconnects. Anything else could have
// left the process in a state nobody thought of: log it and exit 1.
import type { Logger } from 'pino';
import { isDependencyUnavailable } from '../http/dependency-unavailable';

function describe(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  try {
    return `non-error value: ${JSON.stringify(err)}`;
  } catch {
    return `non-error value: ${String(err)}`;
  }
}

export function installUncaughtErrorHandlers(log: Logger): void {
  // With no 'unhandledRejection' listener, Node (--unhandled-rejections=throw, the default)
  // raises an unhandled rejection as an uncaught exception: origin says which it was.
  process.on('uncaughtException', (err: unknown, origin: NodeJS.UncaughtExceptionOrigin) => {
    const what = origin === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception';
    if (isDependencyUnavailable(err)) {
      log.error(
        { err, origin },
        `${what}: a database or queue connection was lost and nobody was listening; the process goes on (the connection's owner reconnects)`,
      );
      return;
    }
    // The JSON line carries the stack in err.stack; stderr gets it as plain text as well.
    log.fatal({ err, origin }, `${what}, exiting`);
    process.stderr.write(`sagachart: ${what}, exiting:\n${describe(err)}\n`);
    process.exit(1);
  });
}
