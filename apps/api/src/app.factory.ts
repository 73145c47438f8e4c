// Builds the Nest application around a resolved configuration. Shared by main.ts and the
// tests, so that the tests exercise exactly what `npm start` runs.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import path from 'node:path';
import express from 'express';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { runMigrations } from './database/migrate';
import { HttpExceptionFilter } from './http/http-exception.filter';

export interface AppOptions {
  config: AppConfig;
  databaseUrl: string;
  /** Nest's own logger; false silences it (tests). */
  logger?: false | ('log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal')[];
}

/** Where the visualizer's static files are, in the source tree and in the build. */
export function uiDirectory(): string {
  return path.resolve(__dirname, '../../../apps/api/ui').replace(/\/dist\/apps\/api\/apps\/api\/ui$/, '/apps/api/ui');
}

export async function createApp(opts: AppOptions): Promise<NestExpressApplication> {
  await runMigrations(opts.databaseUrl);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(opts.config, opts.databaseUrl), {
    bodyParser: false,
    logger: opts.logger ?? ['log', 'error', 'warn', 'fatal'],
  });
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], connectSrc: ["'self'"] },
      },
    }),
  );
  if (opts.config.corsOrigins.length) app.enableCors({ origin: opts.config.corsOrigins });
  // 1 MiB: anything larger is refused with 413 before it is read into memory.
  app.use(express.json({ limit: '1mb', type: ['application/json', 'application/*+json'] }));
  app.useGlobalFilters(new HttpExceptionFilter());
  return app;
}
