// The database is the truth and the queue only carries work: when the queue is unreachable a
// committed saga is still created (201), and the recovery sweep enqueues what it waits for
// once the queue is back. A real redis-server is stopped and started again for this.
import type { ChildProcess } from 'node:child_process';
import { startRedisServer, type RedisServer } from '../../scripts/support/redis-server';
import { orderInput, startTestApp, waitForSaga, type TestApp } from '../support/test-app';

const stop = (proc: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });

describe('queue outage (BullMQ on a Redis that goes away)', () => {
  let redis: RedisServer;
  let t: TestApp;
  beforeAll(async () => {
    redis = await startRedisServer({ stdio: 'ignore' });
    t = await startTestApp({
      env: {
        REDIS_URL: redis.url,
        SAGA_RECOVERY_INTERVAL_MS: '500',
        SAGA_RECOVERY_GRACE_MS: '500',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    if (redis) await stop(redis.proc);
  });

  it('POST /sagas while Redis is down: 201 at once, and the saga completes once Redis is back', async () => {
    await stop(redis.proc);
    const began = Date.now();
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'order', input: orderInput() },
    });
    expect(res.status).toBe(201);
    expect(Date.now() - began).toBeLessThan(5000);
    const { id, status } = await res.json();
    expect(status).toBe('EXECUTING');
    redis = await startRedisServer({ port: redis.port, stdio: 'ignore' });
    const saga = await waitForSaga(t, id, undefined, 60_000);
    expect(saga.status).toBe('COMPLETED');
    const events: { type: string }[] = await (await t.api(`/api/v1/sagas/${id}/events`)).json();
    expect(events.filter((e) => e.type === 'STEP_SUCCEEDED')).toHaveLength(5);
  }, 90_000);
});
