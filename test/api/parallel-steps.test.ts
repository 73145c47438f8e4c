// Parallel steps, forEach items and the pivot (API.md Part 2, "Parallel steps, items, the
// pivot"), end to end over HTTP against a real participant on loopback, on both queue backends.
import { startTestApp, waitForSaga, type TestApp } from '../support/test-app';
import {
  startScriptedParticipant,
  type ScriptedParticipant,
} from '../support/scripted-participant';

type Json = Record<string, any>;

const backends: ('postgres' | 'redis')[] = process.env.TEST_REDIS_URL
  ? ['postgres', 'redis']
  : ['postgres'];

const retry = { maxAttempts: 1, backoffMs: 10, maxBackoffMs: 20 };
const st = (name: string, extra: Json = {}) => ({
  name,
  participant: 'svc',
  action: `do_${name}`,
  compensation: `undo_${name}`,
  retry,
  ...extra,
});

describe.each(backends)('parallel steps, items, the pivot (%s backend)', (backend) => {
  let t: TestApp;
  let svc: ScriptedParticipant;

  beforeAll(async () => {
    svc = await startScriptedParticipant();
    t = await startTestApp({ backend });
    const participants = { svc: { url: svc.url } };
    for (const doc of [
      {
        name: 'trip',
        participants,
        steps: [
          st('flight'),
          st('hotel'),
          st('seats', { dependsOn: ['flight'], forEach: '/passengers', concurrency: 2 }),
          st('charge', { dependsOn: ['hotel', 'seats'] }),
        ],
      },
      {
        name: 'trip-pivot',
        participants,
        steps: [
          st('reserve'),
          st('ticket', { pivot: true, compensation: undefined }),
          st('insure', { compensation: undefined }),
        ],
      },
    ]) {
      const res = await t.api('/api/v1/definitions', { method: 'POST', json: doc });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await t?.close();
    await svc?.close();
  });

  const start = async (definition: string, input: Json) => {
    const res = await t.api('/api/v1/sagas', { method: 'POST', json: { definition, input } });
    expect(res.status).toBe(201);
    return (await res.json()).id as string;
  };
  const slow = (ms: number) => [{ status: 200, delayMs: ms, body: { ok: true } }];

  it('runs independent steps at once and both outcomes land', async () => {
    const id = await start('trip', {
      passengers: ['ann', 'bob', 'cid'],
      script: { flight: { execute: slow(400) }, hotel: { execute: slow(400) } },
    });
    const running = await waitForSaga(t, id, (s) => s.state.includes(','));
    expect(running.state).toBe('EXECUTING.flight,EXECUTING.hotel');
    const saga = await waitForSaga(t, id);
    expect(saga.status).toBe('COMPLETED');
    const [flight] = svc.callsFor(id, 'flight');
    const [hotel] = svc.callsFor(id, 'hotel');
    // Both were asked before either answered (400 ms each).
    expect(Math.abs(flight.at - hotel.at)).toBeLessThan(400);
    // concurrency 2: items 0 and 1 are asked at once, so their arrival order is not fixed.
    const seats = svc.callsFor(id, 'seats').sort((a, b) => a.body.itemIndex - b.body.itemIndex);
    expect(seats.map((r) => [r.body.itemIndex, r.body.item])).toEqual([
      [0, 'ann'],
      [1, 'bob'],
      [2, 'cid'],
    ]);
    expect(seats.map((r) => r.headers['idempotency-key'])).toEqual([
      `${id}:seats:execute:0`,
      `${id}:seats:execute:1`,
      `${id}:seats:execute:2`,
    ]);
    // charge waited for both of its dependencies
    const [charge] = svc.callsFor(id, 'charge');
    expect(charge.at).toBeGreaterThanOrEqual(Math.max(hotel.at, ...seats.map((r) => r.at)));
    const seatStep = saga.steps.find((s: Json) => s.name === 'seats');
    expect(seatStep.items.map((i: Json) => i.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(seatStep.output).toHaveLength(3);
  });

  it('a failed item: exactly the items that succeeded are undone, in reverse index order', async () => {
    const id = await start('trip', {
      passengers: ['ann', 'bob', 'cid', 'dan'],
      script: {
        seats: { 'execute:2': [{ status: 409, body: { code: 'SEAT_TAKEN', message: 'taken' } }] },
      },
    });
    const saga = await waitForSaga(t, id);
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.error).toMatchObject({ step: 'seats', code: 'SEAT_TAKEN' });
    const undone = svc.callsFor(id, 'seats', 'compensate');
    const executed = svc.callsFor(id, 'seats').map((r) => r.body.itemIndex);
    const succeeded = executed.filter((i: number) => i !== 2);
    expect(undone.map((r) => r.body.itemIndex)).toEqual([...succeeded].sort((a, b) => b - a));
    expect(undone[0].headers['idempotency-key']).toBe(
      `${id}:seats:compensate:${undone[0].body.itemIndex}`,
    );
    // Flight is undone only after every seat: reverse dependency order.
    const [flightUndo] = svc.callsFor(id, 'flight', 'compensate');
    expect(flightUndo.at).toBeGreaterThanOrEqual(Math.max(...undone.map((r) => r.at)));
    expect(svc.callsFor(id, 'charge')).toHaveLength(0);
    const items = saga.steps.find((s: Json) => s.name === 'seats').items;
    expect(items[2]).toMatchObject({ index: 2, status: 'failed', error: { code: 'SEAT_TAKEN' } });
  });

  it('an input without the forEach array is refused with 400 and creates nothing', async () => {
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'trip', input: { passengers: [] } },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).details[0]).toMatchObject({ path: 'input.passengers' });
  });

  it('past the pivot: no compensation, cancel refused, FAILED then RETRY resumes forward', async () => {
    const id = await start('trip-pivot', {
      script: { insure: { execute: [{ status: 400, body: { code: 'NO_COVER', message: 'no' } }] } },
    });
    const failed = await waitForSaga(t, id);
    expect(failed).toMatchObject({
      status: 'FAILED',
      requiresManualIntervention: true,
      error: { step: 'insure', code: 'NO_COVER' },
    });
    expect(svc.callsFor(id, 'reserve', 'compensate')).toHaveLength(0);
    const cancel = await t.api(`/api/v1/sagas/${id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(409);
    svc.rescript(id, 'insure', 'execute', [{ status: 200, body: { policy: 'p-1' } }]);
    const retry = await t.api(`/api/v1/sagas/${id}/retry`, { method: 'POST' });
    expect(retry.status).toBeLessThan(300);
    const done = await waitForSaga(t, id);
    expect(done.status).toBe('COMPLETED');
    expect(done.output.insure).toEqual({ policy: 'p-1' });
    const keys = svc.callsFor(id, 'insure').map((r) => r.headers['idempotency-key']);
    expect(new Set(keys)).toEqual(new Set([`${id}:insure:execute`]));
  });
});
