// POST/GET/DELETE /api/v1/definitions (API.md, "Registering definitions"): registration with
// lint whose messages say the fix, versions, retirement, and the input schema (ajv) checked
// when a saga starts.
import { startTestApp, waitForSaga, type TestApp } from '../support/test-app';
import {
  startScriptedParticipant,
  type ScriptedParticipant,
} from '../support/scripted-participant';

type Json = Record<string, any>;

describe('registered definitions', () => {
  let t: TestApp;
  let svc: ScriptedParticipant;

  const doc = (name: string, over: Json = {}) => ({
    name,
    description: 'Book a flight, then charge.',
    deadlineMs: 600_000,
    inputSchema: {
      type: 'object',
      required: ['customerId', 'passengers'],
      properties: {
        customerId: { type: 'string', minLength: 1 },
        passengers: { type: 'array', minItems: 1, items: { type: 'object', required: ['name'] } },
      },
    },
    participants: { flight: { url: svc.url } },
    steps: [{ name: 'book_flight', participant: 'flight', action: 'book', compensation: 'cancel' }],
    ...over,
  });

  const register = async (body: unknown) => {
    const res = await t.api('/api/v1/definitions', { method: 'POST', json: body });
    return {
      status: res.status,
      body: (await res.json()) as Json,
      location: res.headers.get('location'),
    };
  };

  /** Registers `body` and expects a 400 whose details include `path` with a message matching `message`. */
  async function rejected(body: unknown, path: string, message: RegExp): Promise<void> {
    const r = await register(body);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    const detail = r.body.details.find((d: Json) => d.path === path);
    expect({ path, detail }).toEqual({
      path,
      detail: expect.objectContaining({ message: expect.stringMatching(message) }),
    });
  }

  beforeAll(async () => {
    svc = await startScriptedParticipant();
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
    await svc?.close();
  });

  it('201 with the definition as GET shows it, defaults filled in, warnings and inFlight', async () => {
    const r = await register(doc('trip'));
    expect(r.status).toBe(201);
    expect(r.location).toBe('/api/v1/definitions/trip?version=1');
    expect(r.body).toMatchObject({
      name: 'trip',
      version: 1,
      source: 'registered',
      retiredAt: null,
      participants: { flight: { url: svc.url } },
      steps: [
        {
          name: 'book_flight',
          timeoutMs: 5000,
          retry: { maxAttempts: 3, backoffMs: 100, maxBackoffMs: 2000 },
          async: false,
        },
      ],
      inFlight: {},
    });
    expect(r.body.machine.nodes.length).toBeGreaterThan(3);
    // Unsigned HTTP participants are worth a warning that says how to sign.
    expect(r.body.warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'participants',
          message: expect.stringMatching(/SAGA_SIGNING_SECRET/),
        }),
      ]),
    );
    const got = await (await t.api('/api/v1/definitions/trip?version=1')).json();
    const { warnings: _w, inFlight: _i, ...asRegistered } = r.body;
    expect(got).toEqual(asRegistered);
    const list = (await (await t.api('/api/v1/definitions')).json()) as Json[];
    expect(list.find((d) => d.name === 'order')).toMatchObject({ source: 'built-in' });
    expect(list.find((d) => d.name === 'trip')).toMatchObject({ source: 'registered', version: 1 });
  });

  it('the same document again: 200, nothing changes; other content under the same version: 409', async () => {
    const same = await register({ ...doc('trip'), version: 1 });
    expect(same.status).toBe(200);
    expect(same.body.version).toBe(1);
    const again = await register(doc('trip'));
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(1);
    const other = await register({ ...doc('trip', { description: 'changed' }), version: 1 });
    expect(other.status).toBe(409);
    expect(other.body.message).toMatch(/version 2/);
  });

  it('no version: latest + 1; a saga runs on the latest unless it names a version', async () => {
    const v2 = await register(doc('trip', { description: 'v2' }));
    expect(v2.status).toBe(201);
    expect(v2.body.version).toBe(2);
    const input = { customerId: 'c-1', passengers: [{ name: 'Asha' }] };
    const latest = await (
      await t.api('/api/v1/sagas', { method: 'POST', json: { definition: 'trip', input } })
    ).json();
    expect(latest.definitionVersion).toBe(2);
    const pinned = await (
      await t.api('/api/v1/sagas', {
        method: 'POST',
        json: { definition: 'trip', version: 1, input },
      })
    ).json();
    expect(pinned.definitionVersion).toBe(1);
    expect((await waitForSaga(t, pinned.id)).status).toBe('COMPLETED');
  });

  it('a saga input that fails the inputSchema: 400 with details naming each field; nothing starts', async () => {
    const before = await (await t.api('/api/v1/sagas/counts?definition=trip')).json();
    const res = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'trip', input: { passengers: [{}], extra: 1 } },
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.details).toEqual(
      expect.arrayContaining([
        { path: 'input.customerId', message: "must have required property 'customerId'" },
        { path: 'input.passengers.0.name', message: "must have required property 'name'" },
      ]),
    );
    expect(await (await t.api('/api/v1/sagas/counts?definition=trip')).json()).toEqual(before);
  });

  it('a built-in name: 409', async () => {
    const r = await register(doc('order'));
    expect(r.status).toBe(409);
    expect(r.body.message).toMatch(/built-in/);
  });

  it('lint: every rejection says what to do', async () => {
    await rejected(doc('bad-name', { name: 'Bad Name' }), 'name', /\^\[a-z\]/);
    await rejected(
      doc('no-comp', { steps: [{ name: 'charge', participant: 'flight', action: 'charge' }] }),
      'steps.0.compensation',
      /step 'charge' has no compensation: add `compensation`/,
    );
    await rejected(
      doc('dupes', {
        steps: [
          { name: 'a', participant: 'flight', action: 'x', compensation: 'y' },
          { name: 'a', participant: 'flight', action: 'x', compensation: 'y' },
        ],
      }),
      'steps.1.name',
      /Duplicates the name of steps\.0/,
    );
    await rejected(
      doc('unknown-p', {
        steps: [{ name: 'a', participant: 'hotel', action: 'x', compensation: 'y' }],
      }),
      'steps.0.participant',
      /'hotel'.*neither in `participants` nor built in.*add "participants"/,
    );
    await rejected(
      doc('unknown-op', {
        steps: [{ name: 'pay', participant: 'payment', action: 'capture', compensation: 'refund' }],
      }),
      'steps.0.action',
      /built-in participant 'payment' has no operation 'capture'; it has charge, refund/,
    );
    await rejected(
      doc('far-host', { participants: { flight: { url: 'http://10.20.30.40:8080' } } }),
      'participants.flight.url',
      /host '10\.20\.30\.40:8080' is not allowed \(loopback only.*add it to SAGA_PARTICIPANT_HOSTS/,
    );
    await rejected(
      doc('bad-url', { participants: { flight: { url: 'ftp://127.0.0.1/x' } } }),
      'participants.flight.url',
      /http:\/\/ or https:\/\//,
    );
    await rejected(
      doc('bad-schema', { inputSchema: { type: 'objekt' } }),
      'inputSchema',
      /Not a valid JSON Schema/,
    );
    await rejected(
      doc('typo-schema', { inputSchema: { type: 'object', requird: ['x'] } }),
      'inputSchema',
      /unknown keyword: "requird"/,
    );
    const st = (name: string, extra: Record<string, unknown> = {}) => ({
      name,
      participant: 'flight',
      action: 'x',
      compensation: 'y',
      ...extra,
    });
    await rejected(
      doc('cycle', { steps: [st('a', { dependsOn: ['b'] }), st('b', { dependsOn: ['a'] })] }),
      'steps.0.dependsOn',
      /a → b → a depend on each other in a cycle.*remove one of these dependencies/,
    );
    await rejected(
      doc('unknown-dep', { steps: [st('a', { dependsOn: ['nope'] })] }),
      'steps.0.dependsOn.0',
      /depends on 'nope', which is not a step of this definition/,
    );
    await rejected(
      doc('after-pivot', {
        steps: [st('a'), st('b', { pivot: true, compensation: undefined }), st('c')],
      }),
      'steps.2.compensation',
      /runs after the pivot 'b', where nothing is compensated: remove its compensation/,
    );
    await rejected(
      doc('beside-pivot', {
        steps: [
          st('a'),
          st('b', { dependsOn: ['a'], pivot: true, compensation: undefined }),
          st('c', { dependsOn: ['a'] }),
        ],
      }),
      'steps.2.dependsOn',
      /runs neither before nor after the pivot 'b'/,
    );
    await rejected(
      doc('lonely-concurrency', { steps: [st('a', { concurrency: 2 })] }),
      'steps.0.concurrency',
      /concurrency but no forEach/,
    );
    await rejected(
      doc('async-builtin', {
        steps: [
          {
            name: 'pay',
            participant: 'payment',
            action: 'charge',
            compensation: 'refund',
            async: true,
          },
        ],
      }),
      'steps.0.async',
      /only HTTP participants can call back/,
    );
    await rejected(doc('typo', { stepz: [] }), '', /stepz.*Remove it or check its spelling/);
    await rejected(
      doc('timeout', {
        steps: [
          { name: 'a', participant: 'flight', action: 'x', compensation: 'y', timeoutMs: -1 },
        ],
      }),
      'steps.0.timeoutMs',
      /greater than 0/,
    );
    // None of them was stored.
    const names = ((await (await t.api('/api/v1/definitions')).json()) as Json[]).map(
      (d) => d.name,
    );
    expect(names).not.toEqual(expect.arrayContaining(['no-comp']));
    expect(names.filter((n) => n !== 'order' && n !== 'trip')).toEqual([]);
  });

  it('malformed JSON: 400 with details', async () => {
    const res = await t.api('/api/v1/definitions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": "x",',
    });
    expect(res.status).toBe(400);
    expect((await res.json()).details.length).toBeGreaterThan(0);
  });

  it('warnings: deadline shorter than the retries could take, one-attempt compensation', async () => {
    const r = await register(
      doc('tight', {
        deadlineMs: 1000,
        steps: [
          {
            name: 'a',
            participant: 'flight',
            action: 'x',
            compensation: 'y',
            compensationRetry: { maxAttempts: 1, backoffMs: 0, maxBackoffMs: 0 },
          },
        ],
      }),
    );
    expect(r.status).toBe(201);
    const paths = r.body.warnings.map((w: Json) => w.path);
    expect(paths).toEqual(
      expect.arrayContaining(['deadlineMs', 'steps.0.compensationRetry.maxAttempts']),
    );
  });

  it('DELETE retires a version: 409 with the count while sagas run on it, then retired; new sagas refused', async () => {
    const r = await register(
      doc('slow', {
        inputSchema: undefined,
        steps: [
          {
            name: 'wait',
            participant: 'flight',
            action: 'wait',
            compensation: 'unwait',
            async: true,
            timeoutMs: 30_000,
          },
        ],
      }),
    );
    expect(r.status).toBe(201);
    const script = { wait: { execute: [{ status: 202 }] } };
    const saga = await (
      await t.api('/api/v1/sagas', {
        method: 'POST',
        json: { definition: 'slow', input: { script } },
      })
    ).json();
    const busy = await t.api('/api/v1/definitions/slow?version=1', { method: 'DELETE' });
    expect(busy.status).toBe(409);
    expect((await busy.json()).message).toMatch(/1 saga\(s\).*not final/);
    // A new version reports the saga still running on the old one.
    const v2 = await register(doc('slow', { inputSchema: undefined, description: 'v2' }));
    expect(v2.body.inFlight).toEqual({ '1': 1 });
    // The participant reports failure: the saga ends, and the version can go.
    await waitForSaga(t, saga.id, () => svc.callsFor(saga.id, 'wait').length > 0);
    const [call] = svc.callsFor(saga.id, 'wait');
    const cb = await fetch(call.body.callbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'failed', error: { code: 'NOPE' } }),
    });
    expect(cb.status).toBe(202);
    expect((await waitForSaga(t, saga.id)).status).toBe('COMPENSATED');
    const retired = await t.api('/api/v1/definitions/slow?version=1', { method: 'DELETE' });
    expect(retired.status).toBe(200);
    expect((await retired.json()).retiredAt).toEqual(expect.any(String));
    const refused = await t.api('/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'slow', version: 1, input: {} },
    });
    expect(refused.status).toBe(409);
    expect((await refused.json()).message).toMatch(/retired/);
    // Without a version, new sagas take the latest version that is not retired.
    const latest = await (
      await t.api('/api/v1/sagas', { method: 'POST', json: { definition: 'slow', input: {} } })
    ).json();
    expect(latest.definitionVersion).toBe(2);
    const listed = (await (await t.api('/api/v1/definitions')).json()) as Json[];
    expect(listed.find((d) => d.name === 'slow' && d.version === 1)?.retiredAt).toEqual(
      expect.any(String),
    );
    expect((await t.api('/api/v1/definitions/slow?version=9', { method: 'DELETE' })).status).toBe(
      404,
    );
    expect((await t.api('/api/v1/definitions/slow', { method: 'DELETE' })).status).toBe(400);
    expect((await t.api('/api/v1/definitions/order?version=1', { method: 'DELETE' })).status).toBe(
      409,
    );
  }, 60_000);

  it('a read-only key may not register: 403', async () => {
    const ro = await startTestApp({ env: { SAGA_API_KEYS: 'ro:readonly-key-0123456789' } });
    try {
      const res = await fetch(`${ro.baseUrl}/api/v1/definitions`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer readonly-key-0123456789',
          'content-type': 'application/json',
        },
        body: JSON.stringify(doc('nope')),
      });
      expect(res.status).toBe(403);
    } finally {
      await ro.close();
    }
  });
});
