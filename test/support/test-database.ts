// Each suite gets a fresh database inside the shared embedded PostgreSQL started by
// jest/global-setup.ts, so suites never see each other's rows.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

export function testServerUrl(): string {
  const url = process.env.TEST_PG_URL;
  if (!url) throw new Error('TEST_PG_URL is not set: run the tests through jest (global setup).');
  return url;
}

/** Creates an empty database and returns its URL. */
export async function createTestDatabase(prefix = 't'): Promise<string> {
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const client = new Client({ connectionString: testServerUrl() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(testServerUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** The Redis URL for the Redis legs of the suites, or undefined when no Redis is available. */
export function testRedisUrl(): string | undefined {
  return process.env.TEST_REDIS_URL || undefined;
}
