// SAGA_RATE_LIMIT_PER_MINUTE per API key on /api/v1: 429 with Retry-After and the error shape;
// keys are counted apart; /health, /metrics and /ui are never limited. Unset (the default):
// no limit at all.
import { loadConfig } from '../../apps/api/src/config/app-config';
import { startTestApp, type TestApp } from '../support/test-app';

const KEY_A = 'rate-limit-key-a-0123456789';
const KEY_B = 'rate-limit-key-b-0123456789';
const LIMIT = 5;

describe('rate limit per API key', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { SAGA_API_KEYS: `${KEY_A},ro:${KEY_B}`, SAGA_RATE_LIMIT_PER_MINUTE: String(LIMIT) },
    });
  });
  afterAll(async () => {
    await t?.close();
  });
  const as = (key: string, path: string) =>
    fetch(t.baseUrl + path, { headers: { authorization: `Bearer ${key}` } });

  it(`the ${LIMIT + 1}th request in a minute, on any route: 429 with Retry-After; another key is unaffected`, async () => {
    const paths = [
      '/api/v1/sagas',
      '/api/v1/definitions',
      '/api/v1/stats',
      '/api/v1/sagas/not-a-uuid',
      '/api/v1/definitions/order',
    ];
    for (const p of paths) expect((await as(KEY_A, p)).status).not.toBe(429);
    const limited = await as(KEY_A, '/api/v1/definitions');
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await limited.json()).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringContaining(`${LIMIT} per minute`),
    });
    // Key B has its own budget.
    for (let i = 0; i < LIMIT; i++)
      expect((await as(KEY_B, '/api/v1/definitions')).status).toBe(200);
    expect((await as(KEY_B, '/api/v1/definitions')).status).toBe(429);
  });

  it('/health, /metrics and /ui are not limited', async () => {
    for (let i = 0; i < LIMIT * 3; i++) {
      expect((await fetch(`${t.baseUrl}/health`)).status).toBe(200);
      expect((await fetch(`${t.baseUrl}/metrics`)).status).toBe(200);
      expect((await fetch(`${t.baseUrl}/ui/`)).status).toBe(200);
      // Even with a throttled key attached.
      expect((await as(KEY_A, '/health')).status).toBe(200);
    }
  });

  it('made-up keys share one budget per client address (guessing keys is limited too)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++)
      statuses.push((await as(`guess-${i}-0123456789abcdef`, '/api/v1/sagas')).status);
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
    expect(statuses.slice(LIMIT)).toEqual([429, 429]);
  });

  it('a throttled address gets 429 with Retry-After without a key, whatever the body (the key is checked before it)', async () => {
    // The previous test spent this address's keyless budget.
    const res = await fetch(`${t.baseUrl}/api/v1/sagas`, {
      method: 'POST',
      body: '{"definition": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await res.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
  });
});

describe('SAGA_RATE_LIMIT_PER_MINUTE unset (the default): no limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SAGA_API_KEYS: KEY_A } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the configuration has no limit', () => {
    expect(t.config.rateLimitPerMinute).toBeUndefined();
    expect(loadConfig({ SAGA_API_KEYS: KEY_A }).rateLimitPerMinute).toBeUndefined();
    expect(loadConfig({ SAGA_RATE_LIMIT_PER_MINUTE: '600' }).rateLimitPerMinute).toBe(600);
    expect(() => loadConfig({ SAGA_RATE_LIMIT_PER_MINUTE: '0' })).toThrow(
      /SAGA_RATE_LIMIT_PER_MINUTE/,
    );
  });

  it('1,200 rapid requests of one key, and 1,200 without a key, never get 429', async () => {
    const REQUESTS = 1200;
    const PARALLEL = 40;
    const counts = async (headers: Record<string, string>) => {
      const seen: Record<number, number> = {};
      for (let sent = 0; sent < REQUESTS; sent += PARALLEL) {
        const batch = await Promise.all(
          Array.from({ length: PARALLEL }, async () => {
            const res = await fetch(`${t.baseUrl}/api/v1/definitions`, { headers });
            await res.arrayBuffer();
            return res.status;
          }),
        );
        for (const status of batch) seen[status] = (seen[status] ?? 0) + 1;
      }
      return seen;
    };
    expect(await counts({ authorization: `Bearer ${KEY_A}` })).toEqual({ 200: REQUESTS });
    expect(await counts({ authorization: 'Bearer guess-0123456789abcdef' })).toEqual({
      401: REQUESTS,
    });
    const res = await fetch(`${t.baseUrl}/api/v1/definitions`, {
      headers: { authorization: `Bearer ${KEY_A}` },
    });
    expect(res.headers.get('x-ratelimit-limit')).toBeNull();
  });
});
