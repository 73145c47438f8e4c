import { Client } from 'pg';
import { createTestDatabase } from './support/test-database';

describe('test infrastructure', () => {
  it('a fresh test database answers queries on the embedded PostgreSQL', async () => {
    const client = new Client({ connectionString: await createTestDatabase() });
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    await client.end();
    expect(rows[0].server_version).toMatch(/^\d+\.\d+/);
  });
});
