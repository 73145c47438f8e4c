// `npm start`: embedded PostgreSQL when no DATABASE_URL, BullMQ on PostgreSQL when no
// REDIS_URL, migrations, then the API and/or the step workers (SAGA_ROLE).
import 'reflect-metadata';
import { createApp } from './app.factory';
import { InvalidEnvironmentError, loadConfig } from './config/app-config';
import { developmentApiKey } from './config/development-api-key';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './database/embedded-database';
import { createRootLogger } from './logging/root-logger';
import { installUncaughtErrorHandlers } from './logging/uncaught-errors';

async function main(): Promise<void> {
  const config = loadConfig();
  // JSON lines on stdout at LOG_LEVEL; Nest's own lines go through the same logger.
  const log = createRootLogger({ level: config.logLevel });
  // An error nobody handled: logged with its stack; exit 1 unless it is a lost connection.
  installUncaughtErrorHandlers(log);
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    embedded = await startEmbeddedDatabase(config.dataDir, (m) => log.info(m));
    databaseUrl = embedded.url;
    log.info(`embedded PostgreSQL running (data in ${embedded.dataDir})`);
  }
  let devKey: string | null = null;
  if (!config.apiKeys) {
    devKey = developmentApiKey(config.dataDir);
    config.apiKeys = [{ key: devKey, readOnly: false }];
  }
  // Nest's own info lines (every mapped route) are noise at start; its warnings are not.
  const app = await createApp({
    config,
    databaseUrl,
    rootLogger: log,
    logger: ['warn', 'error', 'fatal'],
  });
  const stopEmbedded = async () => {
    await embedded?.stop().catch(() => undefined);
  };
  process.once('exit', () => void stopEmbedded());
  if (config.role === 'worker') {
    await app.init();
    log.info(`worker running (queue backend: ${config.redisUrl ? 'redis' : 'postgres'})`);
  } else {
    await app.listen(config.port, config.host);
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${(app.getHttpServer().address() as { port: number }).port}`;
    log.info(
      `sagachart listening on ${url} (role ${config.role}, queue backend: ${config.redisUrl ? 'redis' : 'postgres'})`,
    );
    if (devKey) {
      log.info({ url }, 'development API key generated (see the banner)');
      // A person reads this, not a log shipper: plain lines, once.
      process.stdout.write(
        [
          '',
          `  sagachart is running at ${url}`,
          `  API key (development):   ${devKey}`,
          `  Visualizer (signed in):  ${url}/ui/#key=${devKey}`,
          `  API docs:                ${url}/docs`,
          '',
          '',
        ].join('\n'),
      );
    }
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void (async () => {
        log.info(`${signal}: finishing in-flight steps, then stopping`);
        await app.close();
        await stopEmbedded();
        process.exit(0);
      })();
    });
  }
}

main().catch((err: unknown) => {
  if (err instanceof InvalidEnvironmentError) {
    console.error(err.message);
  } else {
    console.error('sagachart failed to start:', err);
  }
  process.exit(1);
});
