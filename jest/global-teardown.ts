import fs from 'node:fs';
import type { ChildProcess } from 'node:child_process';

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as Record<string, unknown>;
  const redis = g.__REDIS__ as ChildProcess | undefined;
  redis?.kill('SIGTERM');
  const pg = g.__PG__ as { stop(): Promise<void> } | undefined;
  await pg?.stop();
  const root = g.__TEST_ROOT__ as string | undefined;
  if (root) fs.rmSync(root, { recursive: true, force: true });
}
