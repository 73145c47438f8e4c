// SIGTERM while a step is in flight: the process stops taking work, lets the running attempt
// finish within SAGA_SHUTDOWN_GRACE_MS and exits 0; nothing is half-written, and a restarted
// process takes every saga to its end with each participant's effect exactly once.
import { Client as Pg } from 'pg';
import { orderInput } from '../support/test-app';
import { startServiceProcess, type ServiceProcess } from '../support/service-process';
import { createTestDatabase } from '../support/test-database';
import {
  client,
  effectsOnce,
  eventSeen,
  FINAL,
  ONE_EACH,
  until,
  type Json,
} from './lifecycle-support';

jest.setTimeout(180_000);

const KEY = 'lifecycle-key-0123456789abcdef';
const DELAY_MS = 1500;

describe('SIGTERM with a step in flight', () => {
  let env: Record<string, string>;
  const started: ServiceProcess[] = [];
  afterAll(async () => {
    for (const s of started) await s.kill('SIGKILL');
  });

  it('finishes the in-flight step, exits 0, and a restart completes every saga once', async () => {
    env = {
      DATABASE_URL: await createTestDatabase('life'),
      SAGA_API_KEYS: KEY,
      SAGA_FAULTS: 'enabled',
      SAGA_SHUTDOWN_GRACE_MS: '10000',
      SAGA_RECOVERY_INTERVAL_MS: '1000',
      SAGA_STALLED_INTERVAL_MS: '2000',
    };
    const first = await startServiceProcess(env);
    started.push(first);
    let api = client(first, KEY);
    const slow = await api('/api/v1/sagas', {
      method: 'POST',
      json: {
        definition: 'order',
        input: orderInput(),
        faults: [
          { participant: 'payment', action: 'charge', mode: 'delay', delayMs: DELAY_MS, times: 1 },
        ],
      },
    });
    expect(slow.status).toBe(201);
    const slowId = slow.body.id as string;
    const others: string[] = [];
    for (let i = 0; i < 3; i++)
      others.push(
        (
          await api('/api/v1/sagas', {
            method: 'POST',
            json: { definition: 'order', input: orderInput() },
          })
        ).body.id,
      );

    await eventSeen(api, slowId, 'STEP_STARTED', 'process_payment');
    await new Promise((r) => setTimeout(r, 200)); // inside the 1.5 s charge now
    const signalled = Date.now();
    const code = await first.kill('SIGTERM');
    const took = Date.now() - signalled;
    expect(code).toBe(0);
    // It waited for the charge (about 1.3 s left), and not for the whole grace.
    expect(took).toBeGreaterThan(DELAY_MS - 700);
    expect(took).toBeLessThan(10_000);
    expect(first.output()).toContain('SIGTERM: finishing in-flight steps');

    // What the stopped process left: the charge's outcome recorded, the next step not run.
    const pg = new Pg({ connectionString: env.DATABASE_URL });
    await pg.connect();
    try {
      const { rows } = await pg.query<{ type: string; step: string | null }>(
        'SELECT type, step FROM saga.saga_event WHERE saga_id = $1 ORDER BY seq',
        [slowId],
      );
      expect(rows).toContainEqual(
        expect.objectContaining({ type: 'STEP_SUCCEEDED', step: 'process_payment' }),
      );
      expect(rows).not.toContainEqual(
        expect.objectContaining({ type: 'STEP_SUCCEEDED', step: 'arrange_shipping' }),
      );
      const shipments = await pg.query('SELECT 1 FROM shipping.shipment WHERE saga_id = $1', [
        slowId,
      ]);
      expect(shipments.rowCount).toBe(0);
    } finally {
      await pg.end();
    }

    const second = await startServiceProcess(env);
    started.push(second);
    api = client(second, KEY);
    for (const id of [slowId, ...others]) {
      const saga = await until(`saga ${id} final`, async () => {
        const { body } = await api(`/api/v1/sagas/${id}`);
        return FINAL.has((body as Json).status as string) ? (body as Json) : null;
      });
      expect([id, saga.status]).toEqual([id, 'COMPLETED']);
      expect(await effectsOnce(api, id)).toEqual(ONE_EACH);
      // The stored snapshot is what replaying the stored history gives: nothing half-written.
      expect((await api(`/api/v1/sagas/${id}/states`)).body.consistent).toBe(true);
      const ledger = (await api(`/api/v1/participants/payment/ledger?sagaId=${id}`)).body as Json;
      expect(ledger).toEqual({ chargedCents: 7990000, refundedCents: 0, feeCents: 0 });
    }
    expect(await second.kill('SIGTERM')).toBe(0);
  });
});
