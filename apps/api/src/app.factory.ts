// Builds the Nest application around a resolved configuration. Shared by main.ts and the
// tests, so that the tests exercise exactly what `npm start` runs.
import 'reflect-metadata';
import { NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import path from 'node:path';
import { AppModule } from './app.module';
import { requireApiKey } from './auth/api-key.middleware';
import type { AppConfig } from './config/app-config';
import { runMigrations } from './database/migrate';
import { setupApiDocs } from './docs/setup-api-docs';
import { answerClientErrorsAsJson } from './http/client-error';
import { HttpExceptionFilter } from './http/http-exception.filter';
import { jsonBodyParser } from './http/json-body';
import { createRateLimitGuard } from './http/rate-limit.guard';
import { rejectNulInUrl, rejectUnstorableJsonBody } from './http/request-hygiene';
import { httpLogger } from './logging/http-logger';
import { PinoNestLogger } from './logging/pino-nest-logger';
import { createRootLogger } from './logging/root-logger';
import { mountQueueDashboard } from './metrics/queue-dashboard';
import type { DestinationStream, Logger } from 'pino';

export interface AppOptions {
  config: AppConfig;
  databaseUrl: string;
  /**
   * Nest's own logger levels; false silences it (tests). Also a ceiling for the default JSON
   * logger (`['error', 'fatal']` keeps it at error), so that test runs stay quiet.
   */
  logger?: false | ('log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal')[];
  /** The JSON logger (main.ts passes its own); default: one at LOG_LEVEL on `logDestination`. */
  rootLogger?: Logger;
  /** Where JSON log lines go when no rootLogger is given. @default stdout */
  logDestination?: DestinationStream;
}

/** Where the visualizer's static files are, in the source tree and in the build. */
export function uiDirectory(): string {
  return path
    .resolve(__dirname, '../../../apps/api/ui')
    .replace(/\/dist\/apps\/api\/apps\/api\/ui$/, '/apps/api/ui');
}

const PINO_ORDER = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const NEST_TO_PINO: Record<string, string> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/** LOG_LEVEL, raised to the lowest Nest level the caller asked for (false: silent). */
function cappedLevel(level: string, nest: AppOptions['logger']): string {
  if (nest === undefined) return level;
  const floor =
    nest === false
      ? 'silent'
      : (nest
          .map((l) => NEST_TO_PINO[l])
          .sort((a, b) => PINO_ORDER.indexOf(a) - PINO_ORDER.indexOf(b))[0] ?? 'silent');
  return PINO_ORDER.indexOf(floor) > PINO_ORDER.indexOf(level) ? floor : level;
}

export async function createApp(opts: AppOptions): Promise<NestExpressApplication> {
  await runMigrations(opts.databaseUrl);
  const nestLevels = opts.logger ?? ['log', 'error', 'warn', 'fatal'];
  const root =
    opts.rootLogger ??
    createRootLogger({
      level: cappedLevel(opts.config.logLevel, opts.logger),
      destination: opts.logDestination,
    });
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(opts.config, opts.databaseUrl, root),
    {
      bodyParser: false,
      logger:
        nestLevels === false
          ? false
          : new PinoNestLogger(root.child({ component: 'nest' }), nestLevels),
    },
  );
  app.use(httpLogger(root));
  answerClientErrorsAsJson(app.getHttpServer());
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
        },
      },
    }),
  );
  if (opts.config.corsOrigins.length) app.enableCors({ origin: opts.config.corsOrigins });
  // Only with SAGA_RATE_LIMIT_PER_MINUTE: requests are then counted per key (per client address
  // for those without a valid key, which the API-key middleware turns away).
  const rateLimit = await createRateLimitGuard(opts.config, app.get(Reflector));
  // The API key first, before the body is read: without a valid one, /api/v1 answers 401 to
  // anything, a malformed, oversized or unstorable body included.
  app.use(
    requireApiKey(opts.config.apiKeys, {
      beforeReject: rateLimit ? (req, res) => rateLimit.throttleRejected(req, res) : undefined,
    }),
  );
  // 1 MiB: anything larger is refused with 413 before it is read into memory.
  app.use(jsonBodyParser());
  app.use(rejectUnstorableJsonBody());
  app.use(rejectNulInUrl());
  app.useGlobalFilters(new HttpExceptionFilter());
  if (rateLimit) app.useGlobalGuards(rateLimit);
  if (opts.config.role !== 'worker') mountQueueDashboard(app);
  if (opts.config.role !== 'worker')
    setupApiDocs(app, { faultsEnabled: opts.config.faultsEnabled });
  return app;
}
