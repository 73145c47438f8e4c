// Nest's LoggerService over pino, so that Nest's own lines (bootstrap, route mapping, errors
// logged with `new Logger(ctx)`) come out as the same JSON lines as everything else.
import type { LoggerService, LogLevel } from '@nestjs/common';
import type { Logger } from 'pino';

const PINO_LEVEL: Record<LogLevel, 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal'> = {
  log: 'info',
  error: 'error',
  warn: 'warn',
  debug: 'debug',
  verbose: 'trace',
  fatal: 'fatal',
};

/**
 * Nest's `Logger` keeps one static instance per process: with several apps in one process
 * (the tests), Nest's own lines go to the last app created. Saga and HTTP lines do not go
 * through it; they use the app's own pino logger.
 */
export class PinoNestLogger implements LoggerService {
  private readonly enabled: Set<LogLevel> | null;

  /** @param levels Nest levels to pass on; omitted: all (pino's own level still applies). */
  constructor(
    private readonly root: Logger,
    levels?: LogLevel[],
  ) {
    this.enabled = levels ? new Set(levels) : null;
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  setLogLevels(levels: LogLevel[]): void {
    // Nest calls this with the levels given to NestFactory; pino's level stays the ceiling.
    if (this.enabled) {
      this.enabled.clear();
      for (const l of levels) this.enabled.add(l);
    }
  }

  private write(level: LogLevel, message: unknown, rest: unknown[]): void {
    if (this.enabled && !this.enabled.has(level)) return;
    // Nest passes the context last, and for error() a stack before it.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const stack = level === 'error' && typeof rest[0] === 'string' ? rest[0] : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (stack) fields.stack = stack;
    if (message instanceof Error) {
      this.root[PINO_LEVEL[level]]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.root[PINO_LEVEL[level]]({ ...fields, ...(message as object) });
    } else {
      this.root[PINO_LEVEL[level]](fields, String(message));
    }
  }
}
