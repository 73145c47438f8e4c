// The service SIGKILLed (as the OOM killer does) while it runs its embedded PostgreSQL: the
// postmaster is orphaned and still holds DATA_DIR. The next start on the same DATA_DIR stops the
// orphan and takes over instead of failing on the lock file, and the sagas go on to their end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { orderInput } from '../support/test-app';
import { startServiceProcess, type ServiceProcess } from '../support/service-process';
import {
  client,
  effectsOnce,
  eventSeen,
  FINAL,
  ONE_EACH,
  until,
  type Json,
} from './lifecycle-support';

jest.setTimeout(240_000);

const KEY = 'orphan-key-0123456789abcdef';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function postmasterPid(dataDir: string): number | null {
  const file = path.join(dataDir, 'pg', 'postmaster.pid');
  if (!fs.existsSync(file)) return null;
  const pid = Number(fs.readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

describe('restart after the service alone was SIGKILLed (embedded PostgreSQL)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sagachart-orphan-'));
  // Embedded PostgreSQL runs as the `postgres` user when we are root: it must reach the directory.
  fs.chmodSync(dataDir, 0o755);
  const started: ServiceProcess[] = [];

  afterAll(async () => {
    for (const s of started) await s.kill('SIGTERM');
    const pid = postmasterPid(dataDir);
    if (pid && alive(pid)) {
      process.kill(pid, 'SIGINT');
      await until('postmaster stopped', async () => !alive(pid), 30_000).catch(() =>
        process.kill(pid, 'SIGKILL'),
      );
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('the next start stops the orphaned postmaster, and the sagas started before finish once', async () => {
    const env = {
      DATA_DIR: dataDir,
      SAGA_API_KEYS: KEY,
      SAGA_FAULTS: 'enabled',
      SAGA_STALLED_INTERVAL_MS: '2000',
      SAGA_RECOVERY_INTERVAL_MS: '1000',
    };
    expect(process.env.DATABASE_URL).toBeUndefined();
    const first = await startServiceProcess(env, 120_000);
    started.push(first);
    let api = client(first, KEY);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await api('/api/v1/sagas', {
        method: 'POST',
        json: {
          definition: 'order',
          input: orderInput(),
          faults: [
            { participant: 'payment', action: 'charge', mode: 'delay', delayMs: 3000, times: 1 },
          ],
        },
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id as string);
    }
    for (const id of ids) await eventSeen(api, id, 'STEP_STARTED', 'process_payment');

    const orphan = postmasterPid(dataDir);
    expect(orphan).not.toBeNull();
    await first.kill('SIGKILL');
    // The service is gone; its PostgreSQL is not, and still holds the data directory.
    expect(alive(orphan!)).toBe(true);

    const second = await startServiceProcess(env, 120_000);
    started.push(second);
    expect(second.output()).toContain(`stopping an orphaned PostgreSQL (pid ${orphan})`);
    expect(alive(orphan!)).toBe(false);
    expect(postmasterPid(dataDir)).not.toBe(orphan);
    api = client(second, KEY);
    for (const id of ids) {
      const saga = await until(`saga ${id} final`, async () => {
        const { body } = await api(`/api/v1/sagas/${id}`);
        return FINAL.has((body as Json).status as string) ? (body as Json) : null;
      });
      expect([id, saga.status]).toEqual([id, 'COMPLETED']);
      expect(await effectsOnce(api, id)).toEqual(ONE_EACH);
    }
    expect(await second.kill('SIGTERM')).toBe(0);
    // A clean stop also stops its PostgreSQL.
    const last = postmasterPid(dataDir);
    if (last) await until('embedded PostgreSQL stopped', async () => !alive(last), 30_000);
  });
});
