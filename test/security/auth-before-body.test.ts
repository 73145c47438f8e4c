// Authentication comes before the body is read: without a valid API key, every /api/v1 request
// gets the same 401 in the error shape, whatever its body (malformed JSON, over 1 MiB,
// unstorable) or its route, so an anonymous caller learns nothing. With a valid key the same
// requests get their 400/413. Callbacks (/api/v1/callbacks/…) carry their own URL token and
// are not asked for a key; /health, /metrics, /ui and /docs stay open.
import { startTestApp, type TestApp } from '../support/test-app';

const FULL = 'auth-first-full-key-0123456789abcdef';
const READ_ONLY = 'auth-first-read-only-key-0123456789';

describe('the API key is checked before the body is parsed', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SAGA_API_KEYS: `${FULL},ro:${READ_ONLY}` } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const NESTED = '['.repeat(100) + ']'.repeat(100);
  const bodies: [string, string, number][] = [
    ['malformed JSON', '{"definition": "order",}', 400],
    ['truncated JSON', '{"definition": ', 400],
    ['a body over 1 MiB', JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) }), 413],
    ['a NUL character in a string', '{"definition":"order\\u0000"}', 400],
    ['nesting deeper than 64 levels', NESTED, 400],
  ];
  const anonymous: [string, Record<string, string>][] = [
    ['no Authorization header', {}],
    ['a wrong key', { authorization: 'Bearer wrong-key-0123456789abcdef' }],
    ['not a Bearer header', { authorization: 'Basic d3Jvbmc6a2V5' }],
  ];

  const post = (path: string, body: string, headers: Record<string, string>) =>
    fetch(t.baseUrl + path, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });

  for (const [what, body, withKey] of bodies) {
    it(`${what}: 401 without a valid key, ${withKey} with one`, async () => {
      for (const [who, headers] of anonymous) {
        for (const path of ['/api/v1/sagas', '/api/v1/faults', '/api/v1/no-such-route']) {
          const res = await post(path, body, headers);
          expect([who, path, res.status]).toEqual([who, path, 401]);
          expect(await res.json()).toEqual({
            statusCode: 401,
            error: 'Unauthorized',
            message: expect.any(String),
          });
        }
      }
      const res = await post('/api/v1/sagas', body, { authorization: `Bearer ${FULL}` });
      expect(res.status).toBe(withKey);
      expect((await res.json()).statusCode).toBe(withKey);
    });
  }

  it('a NUL in the URL and an unknown route: 401 without a key, not 400 or 404', async () => {
    for (const path of ['/api/v1/sagas/%00', '/api/v1/nope', '/api/v1', '/API/V1/sagas']) {
      const res = await fetch(t.baseUrl + path);
      expect([path, res.status]).toEqual([path, 401]);
    }
    const withKey = { headers: { authorization: `Bearer ${FULL}` } };
    expect((await fetch(`${t.baseUrl}/api/v1/sagas/%00`, withKey)).status).toBe(400);
    expect((await fetch(`${t.baseUrl}/api/v1/nope`, withKey)).status).toBe(404);
  });

  it('the missing-key and wrong-key messages say which it was', async () => {
    const none = await post('/api/v1/sagas', '{', {});
    expect((await none.json()).message).toMatch(/Missing or malformed Authorization header/);
    const wrong = await post('/api/v1/sagas', '{', { authorization: 'Bearer nope-nope-nope' });
    expect((await wrong.json()).message).toBe('Invalid API key.');
  });

  it('a read-only key is authenticated (its malformed body gets 400) and may still not write (403)', async () => {
    const as = { authorization: `Bearer ${READ_ONLY}` };
    expect((await post('/api/v1/sagas', '{', as)).status).toBe(400);
    const res = await post('/api/v1/sagas', JSON.stringify({ definition: 'order', input: {} }), as);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'This API key is read-only.',
    });
  });

  it('callbacks (/api/v1/callbacks/…) are not asked for an API key: a malformed body gets 400', async () => {
    const res = await post('/api/v1/callbacks/some-token', '{"outcome": ', {});
    expect(res.status).toBe(400);
    expect((await res.json()).statusCode).toBe(400);
  });

  it('/health, /metrics, /ui and /docs need no key', async () => {
    for (const path of ['/health', '/metrics', '/ui/', '/docs', '/docs-json'])
      expect([path, (await fetch(t.baseUrl + path)).status]).toEqual([path, 200]);
  });
});
