// The transactional outbox helper (libs/event-outbox): an event is published if and only if
// the service's transaction committed, exactly once even when the relay dies between posting
// and marking the row sent. The service's own database, the real sagachart and a real
// subscriber on loopback.
import { createOutbox, type Outbox } from '@app/event-outbox';
import { Pool } from 'pg';
import { startEventReceiver, type EventReceiver } from '../support/event-receiver';
import { createTestDatabase } from '../support/test-database';
import { startTestApp, type TestApp } from '../support/test-app';

type Json = Record<string, any>;

describe('event outbox: published if and only if the transaction committed', () => {
  let t: TestApp;
  let rx: EventReceiver;
  let pool: Pool;
  let outbox: Outbox;
  const relay = () => ({ sagachartUrl: t.baseUrl, apiKey: t.apiKey });

  beforeAll(async () => {
    rx = await startEventReceiver();
    t = await startTestApp();
    pool = new Pool({ connectionString: await createTestDatabase('svc'), max: 4 });
    outbox = await createOutbox({ pool, schema: 'orders' });
    await pool.query(`CREATE TABLE orders.customer_order (id text PRIMARY KEY)`);
    const sub = await t.api('/api/v1/subscriptions', {
      method: 'POST',
      json: { type: 'order.placed', url: `${rx.url}/placed` },
    });
    expect(sub.status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    await pool?.end();
    await rx?.close();
  });

  /** The service's own business transaction, with the event added inside it. */
  async function placeOrder(orderId: string, commit: boolean): Promise<string> {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query(`INSERT INTO orders.customer_order (id) VALUES ($1)`, [orderId]);
      const id = await outbox.add(c, {
        id: `order-${orderId}.placed`,
        type: 'order.placed',
        source: 'orders',
        data: { orderId },
      });
      await c.query(commit ? 'COMMIT' : 'ROLLBACK');
      return id;
    } finally {
      c.release();
    }
  }

  const unsent = async () =>
    (
      await pool.query(
        `SELECT id FROM orders.outbox WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY seq`,
      )
    ).rows.map((r: { id: string }) => r.id);

  it('rolled back: never published; committed: published exactly once though the relay died after the POST', async () => {
    const rolledBack = await placeOrder('o-1', false);
    const committed = await placeOrder('o-2', true);
    expect(await unsent()).toEqual([committed]);

    // The relay dies after sagachart accepted the event and before it marked the row sent.
    await expect(
      outbox.relayOnce({
        ...relay(),
        onPosted: () => {
          throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    expect(await unsent()).toEqual([committed]);
    // Restarted, it posts again: sagachart answers 200 (the same event), the row is marked.
    expect(await outbox.relayOnce(relay())).toEqual({ sent: 1, failed: 0, deferred: 0 });
    expect(await unsent()).toEqual([]);
    expect(await outbox.relayOnce(relay())).toEqual({ sent: 0, failed: 0, deferred: 0 });

    const [req] = await rx.waitFor('/placed', 1);
    expect(req.headers['idempotency-key']).toBe(committed);
    expect(req.body).toMatchObject({ id: committed, data: { orderId: 'o-2' } });
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.at('/placed')).toHaveLength(1);
    expect((await t.api(`/api/v1/events/${committed}`)).status).toBe(200);
    expect((await t.api(`/api/v1/events/${rolledBack}`)).status).toBe(404);
  });

  it('sagachart away: rows wait (deferred), then go once it answers', async () => {
    const id = await placeOrder('o-3', true);
    const away = await outbox.relayOnce({ sagachartUrl: 'http://127.0.0.1:9', apiKey: t.apiKey });
    expect(away).toEqual({ sent: 0, failed: 0, deferred: 1 });
    const row = (
      await pool.query(`SELECT attempts, last_error FROM orders.outbox WHERE id = $1`, [id])
    ).rows[0] as Json;
    expect(row.attempts).toBe(1);
    expect(row.last_error).toContain('failed');
    expect(await outbox.relayOnce(relay())).toEqual({ sent: 1, failed: 0, deferred: 0 });
  });

  it('an id sagachart knows with other content: marked failed with the 409, not retried', async () => {
    const taken = await t.api('/api/v1/events', {
      method: 'POST',
      json: { id: 'order-o-4.placed', type: 'order.placed', source: 'elsewhere', data: {} },
    });
    expect(taken.status).toBe(202);
    await placeOrder('o-4', true);
    expect(await outbox.relayOnce(relay())).toEqual({ sent: 0, failed: 1, deferred: 0 });
    const row = (
      await pool.query(
        `SELECT failed_at, last_error FROM orders.outbox WHERE id = 'order-o-4.placed'`,
      )
    ).rows[0] as Json;
    expect(row.failed_at).toBeInstanceOf(Date);
    expect(row.last_error).toContain('409');
    expect(await outbox.relayOnce(relay())).toEqual({ sent: 0, failed: 0, deferred: 0 });
  });

  it('the running relay is woken by the commit (NOTIFY), well before its poll', async () => {
    const running = outbox.startRelay({ ...relay(), pollIntervalMs: 60_000 });
    try {
      // Let the relay's first pass and LISTEN happen before the commit.
      await new Promise((r) => setTimeout(r, 300));
      const before = rx.at('/placed').length;
      const id = await placeOrder('o-5', true);
      const reqs = await rx.waitFor('/placed', before + 1, 10_000);
      expect(reqs[reqs.length - 1].headers['idempotency-key']).toBe(id);
      // The subscriber may hear of it before the relay has marked the row sent.
      for (let i = 0; i < 100 && (await unsent()).length > 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(await unsent()).toEqual([]);
    } finally {
      await running.stop();
    }
  });

  it('a schema name that is not a plain SQL name is refused', async () => {
    await expect(createOutbox({ pool, schema: 'a"; DROP TABLE x; --' })).rejects.toThrow(
      /lower-case SQL name/,
    );
  });
});
