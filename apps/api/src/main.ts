// `npm start`: embedded PostgreSQL when no DATABASE_URL, BullMQ on PostgreSQL when no
// REDIS_URL, migrations, then the API and/or the step workers (SAGA_ROLE).
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { InvalidEnvironmentError, loadConfig } from './config/app-config';
import { developmentApiKey } from './config/development-api-key';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './database/embedded-database';

async function main(): Promise<void> {
  const log = new Logger('sagachart');
  const config = loadConfig();
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    embedded = await startEmbeddedDatabase(config.dataDir, (m) => log.log(m));
    databaseUrl = embedded.url;
    log.log(`embedded PostgreSQL running (data in ${embedded.dataDir})`);
  }
  let devKey: string | null = null;
  if (!config.apiKeys) {
    devKey = developmentApiKey(config.dataDir);
    config.apiKeys = [{ key: devKey, readOnly: false }];
  }
  const app = await createApp({ config, databaseUrl });
  const stopEmbedded = async () => {
    await embedded?.stop().catch(() => undefined);
  };
  process.once('exit', () => void stopEmbedded());
  if (config.role === 'worker') {
    await app.init();
    log.log(`worker running (queue backend: ${config.redisUrl ? 'redis' : 'postgres'})`);
  } else {
    await app.listen(config.port, config.host);
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${(app.getHttpServer().address() as { port: number }).port}`;
    log.log(`sagachart listening on ${url} (role ${config.role}, queue backend: ${config.redisUrl ? 'redis' : 'postgres'})`);
    if (devKey) {
      log.log(`development API key: ${devKey}`);
      log.log(`visualizer (signed in): ${url}/ui/#key=${devKey}`);
    }
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void (async () => {
        log.log(`${signal}: finishing in-flight steps, then stopping`);
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
