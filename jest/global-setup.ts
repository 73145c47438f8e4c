// Starts the real infrastructure the suites share: one embedded PostgreSQL (each suite makes
// its own database in it) and, when a redis-server is on PATH or REDIS_URL is set, a Redis.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { redisServerOnPath, startRedisServer } from '../scripts/support/redis-server';
import { startThrowawayPostgres, tempDirForPostgres } from '../scripts/support/throwaway-postgres';

/** Builds dist/ (what `npm start` runs) for the suites that start the service as a process. */
function buildService(): void {
  const root = path.resolve(__dirname, '..');
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules/@nestjs/cli/bin/nest.js'), 'build', 'api'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}

export default async function globalSetup(): Promise<void> {
  buildService();
  const root = tempDirForPostgres('sagachart-test-');
  const pg = await startThrowawayPostgres({
    databaseDir: path.join(root, 'pg'),
    // fsync=off only because this database is thrown away after the run.
    fsync: false,
    maxConnections: 400,
    persistent: false,
    // PostgreSQL's default 0 refuses PREPARE TRANSACTION; the 2PC coordinator's test needs it.
    extraFlags: ['-c', 'max_prepared_transactions=16'],
  });
  const g = globalThis as Record<string, unknown>;
  g.__PG__ = pg;
  g.__TEST_ROOT__ = root;
  process.env.TEST_PG_URL = pg.adminUrl;
  process.env.TEST_PG_DATA_DIR = path.join(root, 'pg');

  if (process.env.REDIS_URL) {
    process.env.TEST_REDIS_URL = process.env.REDIS_URL;
  } else if (redisServerOnPath()) {
    const redis = await startRedisServer({
      stdio: 'ignore',
      onSpawn: (proc) => (g.__REDIS__ = proc),
    });
    process.env.TEST_REDIS_URL = redis.url;
  }
}
