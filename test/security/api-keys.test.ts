// API keys: compared as SHA-256 digests in constant time, never written to the logs, and a
// read-only key (`ro:<key>`) may read but not write.
import crypto from 'node:crypto';
import { ApiKeyVerifier, keyDigest } from '../../apps/api/src/auth/api-key-verifier';
import { orderInput } from '../support/test-app';
import { rowCounts } from '../fuzz/fuzz-support';
import { startLoggedApp, type LoggedApp } from '../ops/ops-support';

const FULL = 'full-access-key-0123456789abcdef';
const READ_ONLY = 'read-only-key-fedcba9876543210';

describe('ApiKeyVerifier', () => {
  afterEach(() => jest.restoreAllMocks());

  it('compares 32-byte SHA-256 digests with timingSafeEqual, every configured key, no early exit', () => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    const v = new ApiKeyVerifier([
      { key: FULL, readOnly: false },
      { key: READ_ONLY, readOnly: true },
      { key: 'a-third-key-of-16-chars', readOnly: false },
    ]);
    expect(v.verify(FULL)).toEqual({ digestHex: keyDigest(FULL).toString('hex'), readOnly: false });
    // The match is the first key, yet all three were compared.
    expect(spy).toHaveBeenCalledTimes(3);
    for (const [a, b] of spy.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
      // Digests, not the keys' bytes.
      expect(Buffer.from(a as Buffer).toString()).not.toContain(FULL);
      expect(Buffer.from(b as Buffer).equals(keyDigest(FULL))).toBe(true);
    }
    spy.mockClear();
    // A key of another length is still a 32-byte comparison (length does not leak, nothing throws).
    expect(v.verify('x')).toBeNull();
    expect(v.verify(FULL + 'longer'.repeat(100))).toBeNull();
    expect(spy).toHaveBeenCalledTimes(6);
    expect(v.verify(READ_ONLY)).toMatchObject({ readOnly: true });
  });

  it('the verifier source never compares keys with === or ==, only through timingSafeEqual', () => {
    const fs = jest.requireActual<typeof import('node:fs')>('node:fs');
    const src = fs.readFileSync(
      require.resolve('../../apps/api/src/auth/api-key-verifier.ts'),
      'utf8',
    );
    expect(src).toMatch(/timingSafeEqual\(k\.digest, given\)/);
    expect(src).not.toMatch(/\.key\s*===?|===?\s*\w*\.key\b|token\s*===?/);
    const guard = fs.readFileSync(
      require.resolve('../../apps/api/src/auth/api-key.guard.ts'),
      'utf8',
    );
    expect(guard).toMatch(/this\.verifier\.verify\(token\)/);
    expect(guard).not.toMatch(/===?\s*token|token\s*===?/);
  });

  it('only "Bearer <key>" is read as a key', () => {
    expect(ApiKeyVerifier.bearerToken(`Bearer ${FULL}`)).toBe(FULL);
    expect(ApiKeyVerifier.bearerToken(`bearer   ${FULL}  `)).toBe(FULL);
    for (const h of [undefined, '', FULL, `Basic ${FULL}`, `Bearer ${FULL} extra`, 'Bearer'])
      expect(ApiKeyVerifier.bearerToken(h)).toBeNull();
  });
});

describe('keys over HTTP', () => {
  let t: LoggedApp;
  const as = (key: string, path: string, init: RequestInit & { json?: unknown } = {}) =>
    t.api(path, {
      ...init,
      headers: { ...(init.headers as object), authorization: `Bearer ${key}` },
    });

  beforeAll(async () => {
    t = await startLoggedApp('trace', {
      SAGA_API_KEYS: `${FULL},ro:${READ_ONLY}`,
      SAGA_FAULTS: 'enabled',
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a read-only key may GET; POST and DELETE get 403 with the error shape and write nothing', async () => {
    const created = await as(FULL, '/api/v1/sagas', {
      method: 'POST',
      json: { definition: 'order', input: orderInput() },
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    for (const path of [
      '/api/v1/sagas',
      `/api/v1/sagas/${id}`,
      `/api/v1/sagas/${id}/events`,
      '/api/v1/definitions',
      '/api/v1/stats',
      '/api/v1/faults',
    ])
      expect([path, (await as(READ_ONLY, path)).status]).toEqual([path, 200]);
    const before = await rowCounts(t.databaseUrl);
    const writes: [string, string, unknown?][] = [
      ['POST', '/api/v1/sagas', { definition: 'order', input: orderInput() }],
      ['POST', `/api/v1/sagas/${id}/cancel`],
      ['POST', `/api/v1/sagas/${id}/retry`],
      [
        'POST',
        '/api/v1/faults',
        { participant: 'payment', action: 'charge', mode: 'fail', times: 1 },
      ],
      ['DELETE', '/api/v1/faults'],
      ['DELETE', '/api/v1/faults/00000000-0000-0000-0000-000000000000'],
    ];
    for (const [method, path, json] of writes) {
      const res = await as(READ_ONLY, path, { method, json });
      expect([method, path, res.status]).toEqual([method, path, 403]);
      expect(await res.json()).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: 'This API key is read-only.',
      });
    }
    // The saga created above keeps running; only what a read-only key could have written counts.
    const after = await rowCounts(t.databaseUrl);
    expect(after.sagas).toBe(before.sagas);
    expect(after.faults).toBe(before.faults);
    // The full key may write.
    expect((await as(FULL, '/api/v1/faults', { method: 'DELETE' })).status).toBe(200);
  });

  it('no key, valid key, read-only key or a wrong key: none of them ever appears in the logs (level trace)', async () => {
    const wrong = 'wrong-key-but-a-secret-0123456789';
    for (const key of [FULL, READ_ONLY, wrong]) {
      await as(key, '/api/v1/sagas?limit=1');
      await as(key, '/api/v1/sagas', {
        method: 'POST',
        json: { definition: 'order', input: orderInput() },
      });
      await as(key, '/api/v1/sagas/not-a-uuid');
      await as(key, '/api/v1/nope');
    }
    await new Promise((r) => setTimeout(r, 300));
    const raw = t.raw();
    expect(raw.length).toBeGreaterThan(1000); // the logs were captured at all
    expect(raw).toContain('/api/v1/sagas?limit=1');
    for (const secret of [FULL, READ_ONLY, wrong]) expect(raw).not.toContain(secret);
  });
});
