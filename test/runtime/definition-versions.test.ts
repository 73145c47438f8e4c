// Registered definitions survive restarts and serve the whole cluster: a saga keeps the
// version it started on until it is final, whatever is registered later and whichever
// process picks it up; a worker process runs versions it has never seen registered.
import { startTestApp, waitForSaga, type TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import {
  startScriptedParticipant,
  type ScriptedParticipant,
} from '../support/scripted-participant';

type Json = Record<string, any>;

function versioned(url: string, finish: string) {
  return {
    name: 'versioned',
    participants: { svc: { url } },
    steps: [
      {
        name: 'wait',
        participant: 'svc',
        action: 'wait',
        compensation: 'unwait',
        async: true,
        timeoutMs: 60_000,
      },
      { name: finish, participant: 'svc', action: 'finish', compensation: 'unfinish' },
    ],
  };
}

describe('definition versions across restarts and processes', () => {
  let svc: ScriptedParticipant;
  const open: TestApp[] = [];
  const start = async (opts: Parameters<typeof startTestApp>[0]) => {
    const app = await startTestApp(opts);
    open.push(app);
    return app;
  };

  beforeAll(async () => {
    svc = await startScriptedParticipant();
  });
  afterAll(async () => {
    for (const app of open) await app.close().catch(() => undefined);
    await svc?.close();
  });

  it('a saga started on v1 finishes on v1 after v2 is registered and the service restarts', async () => {
    const first = await start({});
    expect(
      (
        await first.api('/api/v1/definitions', {
          method: 'POST',
          json: versioned(svc.url, 'finish_v1'),
        })
      ).status,
    ).toBe(201);
    const script = { wait: { execute: [{ status: 202, body: { queued: true } }] } };
    const created = await (
      await first.api('/api/v1/sagas', {
        method: 'POST',
        json: { definition: 'versioned', input: { script } },
      })
    ).json();
    expect(created.definitionVersion).toBe(1);
    await waitForSaga(first, created.id, () => svc.callsFor(created.id, 'wait').length > 0);
    const v2 = await (
      await first.api('/api/v1/definitions', {
        method: 'POST',
        json: versioned(svc.url, 'finish_v2'),
      })
    ).json();
    expect(v2.version).toBe(2);
    expect(v2.inFlight).toEqual({ '1': 1 });
    await first.close();

    // A new process on the same database: it has registered nothing itself.
    const second = await start({ databaseUrl: first.databaseUrl });
    const [call] = svc.callsFor(created.id, 'wait');
    const callbackUrl = String(call.body.callbackUrl).replace(first.baseUrl, second.baseUrl);
    const res = await fetch(callbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'succeeded', output: { done: true } }),
    });
    expect(res.status).toBe(202);
    const saga = await waitForSaga(second, created.id);
    expect(saga).toMatchObject({ status: 'COMPLETED', definitionVersion: 1 });
    expect(saga.steps.map((s: Json) => s.name)).toEqual(['wait', 'finish_v1']);
    expect(svc.callsFor(created.id, 'finish_v1')).toHaveLength(1);
    expect(svc.callsFor(created.id, 'finish_v2')).toHaveLength(0);
    // And new sagas on the restarted process take v2.
    const fresh = await (
      await second.api('/api/v1/sagas', {
        method: 'POST',
        json: {
          definition: 'versioned',
          input: { script: { wait: { execute: [{ status: 202 }] } } },
        },
      })
    ).json();
    expect(fresh.definitionVersion).toBe(2);
  });

  it('registered through an API process, run by a worker process that never saw it registered', async () => {
    const databaseUrl = await createTestDatabase('cluster');
    const api = await start({ databaseUrl, env: { SAGA_ROLE: 'api' } });
    const def = {
      name: 'clustered',
      participants: { svc: { url: svc.url } },
      steps: [{ name: 'only', participant: 'svc', action: 'go', compensation: 'undo' }],
    };
    expect((await api.api('/api/v1/definitions', { method: 'POST', json: def })).status).toBe(201);
    const worker = await start({ databaseUrl, env: { SAGA_ROLE: 'worker' } });
    const created = await (
      await api.api('/api/v1/sagas', {
        method: 'POST',
        json: { definition: 'clustered', input: {} },
      })
    ).json();
    const saga = await waitForSaga(api, created.id);
    expect(saga.status).toBe('COMPLETED');
    expect(svc.callsFor(created.id, 'only')).toHaveLength(1);
    await worker.close();
  });
});
