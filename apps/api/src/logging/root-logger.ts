// The process's structured logger: JSON lines (pino), one per event, at LOG_LEVEL.
import pino, { type DestinationStream, type Logger } from 'pino';

/** Where a credential could appear in a log object; pino replaces it before the line is written. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
];

export interface RootLoggerOptions {
  /** pino level name; `silent` writes nothing. */
  level: string;
  /** Where JSON lines go. @default stdout */
  destination?: DestinationStream;
}

/** Creates the root JSON logger; every other logger of the app is a child of it. */
export function createRootLogger(opts: RootLoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: 'sagachart' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    // Synchronous stdout: a line written just before process.exit() is not lost.
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
