import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

// Any constant works; it only has to be the same in every process of the cluster.
const MIGRATION_LOCK_KEY = 7_212_026;

/**
 * Runs pending migrations under a PostgreSQL advisory lock, so that several processes
 * starting at once against one database apply each migration exactly once.
 */
export async function runMigrations(url: string): Promise<string[]> {
  const ds = new DataSource({ ...dataSourceOptions(url, 2) });
  await ds.initialize();
  try {
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const ran = await ds.runMigrations({ transaction: 'all' });
      return ran.map((m) => m.name);
    } finally {
      await runner
        .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
        .catch(() => undefined);
      await runner.release();
    }
  } finally {
    await ds.destroy();
  }
}
