// Security headers (helmet) on every kind of answer, and CORS off unless SAGA_CORS_ORIGINS.
import { startTestApp, type TestApp } from '../support/test-app';

const ALLOWED = 'https://console.example.com';
const STRANGER = 'https://evil.example.net';

describe('security headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each([
    '/health',
    '/metrics',
    '/ui/',
    '/api/v1/definitions',
    '/api/v1/sagas/not-a-uuid',
    '/no-such-route',
  ])('%s', async (path) => {
    const res = await t.api(path);
    const h = res.headers;
    const csp = h.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(h.get('x-content-type-options')).toBe('nosniff');
    expect(h.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(h.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(h.get('referrer-policy')).toBe('no-referrer');
    expect(h.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(h.get('x-powered-by')).toBeNull();
  });
});

describe('CORS', () => {
  it('off by default: no Access-Control-Allow-Origin for any origin, preflight included', async () => {
    const t = await startTestApp();
    try {
      const res = await t.api('/api/v1/definitions', { headers: { origin: STRANGER } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const pre = await fetch(`${t.baseUrl}/api/v1/sagas`, {
        method: 'OPTIONS',
        headers: {
          origin: STRANGER,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      expect(pre.headers.get('access-control-allow-headers')).toBeNull();
    } finally {
      await t.close();
    }
  });

  it('with SAGA_CORS_ORIGINS: the configured origin is allowed, any other is not', async () => {
    const t = await startTestApp({
      env: { SAGA_CORS_ORIGINS: `${ALLOWED}, https://other.example.org` },
    });
    try {
      const ok = await t.api('/api/v1/definitions', { headers: { origin: ALLOWED } });
      expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      const pre = await fetch(`${t.baseUrl}/api/v1/sagas`, {
        method: 'OPTIONS',
        headers: {
          origin: ALLOWED,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(pre.status).toBeLessThan(300);
      expect(pre.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      const no = await t.api('/api/v1/definitions', { headers: { origin: STRANGER } });
      expect(no.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await t.close();
    }
  });
});
