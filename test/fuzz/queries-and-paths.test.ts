// Hostile query strings, path parameters and URLs against every GET/DELETE route: random and
// repeated parameters (arrays), unicode, invalid percent-encoding and invalid UTF-8, NUL,
// path traversal under /ui, 100 KB query strings. Never a 5xx, always the error shape, and
// not one row written.
import fc from 'fast-check';
import { startTestApp, type TestApp } from '../support/test-app';
import {
  assertClientSafe,
  assertStillHealthy,
  percentEncodeBytes,
  POLLUTION_KEYS,
  rawRequest,
  rowCounts,
  type RawResponse,
} from './fuzz-support';

let t: TestApp;
let sagaId: string;
beforeAll(async () => {
  t = await startTestApp({
    env: { SAGA_FAULTS: 'enabled', SAGA_RATE_LIMIT_PER_MINUTE: '10000000' },
  });
  // One real saga, so that routes on a known id are reached too (not only their 404).
  const res = await t.api('/api/v1/sagas', {
    method: 'POST',
    json: {
      definition: 'order',
      input: {
        customerId: 'c',
        items: [{ sku: 'NOPE', quantity: 1 }],
        payment: { token: 'tok_ok' },
        shippingAddress: { line1: 'a', city: 'b', postalCode: '1' },
      },
    },
  });
  sagaId = ((await res.json()) as { id: string }).id;
  // It fails its first step: wait until it is final so that it writes nothing during the runs.
  for (let i = 0; i < 200; i++) {
    const s = (await (await t.api(`/api/v1/sagas/${sagaId}`)).json()) as { status: string };
    if (s.status === 'COMPENSATED') break;
    await new Promise((r) => setTimeout(r, 50));
  }
});
afterAll(async () => {
  await t?.close();
});

const get = (path: string, method = 'GET', headers: Record<string, string> = {}) =>
  rawRequest(t.baseUrl, method, path, { authorization: `Bearer ${t.apiKey}`, ...headers });

/** Every route that takes a query or a path parameter; `{id}`, `{p}` are filled by the fuzzer. */
const ROUTES: { method: string; path: string }[] = [
  { method: 'GET', path: '/api/v1/sagas' },
  { method: 'GET', path: '/api/v1/sagas/{id}' },
  { method: 'GET', path: '/api/v1/sagas/{id}/events' },
  { method: 'GET', path: '/api/v1/sagas/{id}/states' },
  { method: 'POST', path: '/api/v1/sagas/{id}/cancel' },
  { method: 'POST', path: '/api/v1/sagas/{id}/retry' },
  { method: 'GET', path: '/api/v1/definitions' },
  { method: 'GET', path: '/api/v1/definitions/{p}' },
  { method: 'GET', path: '/api/v1/participants/inventory/stock/{p}' },
  { method: 'GET', path: '/api/v1/participants/{p}/records' },
  { method: 'GET', path: '/api/v1/participants/payment/ledger' },
  { method: 'GET', path: '/api/v1/faults' },
  { method: 'DELETE', path: '/api/v1/faults/{id}' },
  { method: 'GET', path: '/api/v1/stats' },
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/health/ready' },
  { method: 'GET', path: '/health/live' },
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: '/ui/{p}' },
];

/** Query keys the routes know (so the fuzzer also hits their validation, not only "unknown key"). */
const KNOWN_KEYS = ['status', 'definition', 'limit', 'cursor', 'version', 'at', 'sagaId', 'window'];

/** A path segment or query value as it appears on the wire: any of the nasty spellings. */
const wireText = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent),
  fc.uint8Array({ minLength: 1, maxLength: 12 }).map(percentEncodeBytes), // invalid UTF-8 included
  fc.constantFrom(
    '%',
    '%zz',
    '%e0%a4%a',
    '%ED%A0%80',
    '%C0%AF',
    '%00',
    'a%00b',
    '%2e%2e%2f%2e%2e%2fpackage.json',
    '..%5c..%5c',
    '%FF',
    '+',
    '%20',
    '..',
    '.',
    '%2F',
  ),
  fc.constantFrom(...POLLUTION_KEYS),
  fc.constantFrom(
    '1',
    '0',
    '-1',
    '1.5',
    '1e3',
    '201',
    '99999999999999999999',
    'NaN',
    'COMPLETED',
    'order',
    '1h',
    'forever',
    '00000000-0000-0000-0000-000000000000',
  ),
  fc.uuid(),
);

const queryString = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(...KNOWN_KEYS, ...POLLUTION_KEYS),
        wireText,
        fc.constantFrom('limit[]', 'status[a]', 'a[b][c]'),
      ),
      wireText,
    ),
    { maxLength: 6 },
  )
  .map((pairs) => (pairs.length ? '?' + pairs.map(([k, v]) => `${k}=${v}`).join('&') : ''));

async function noWrites(
  name: string,
  arb: fc.Arbitrary<() => Promise<RawResponse>>,
  numRuns: number,
) {
  const before = await rowCounts(t.databaseUrl);
  await fc.assert(
    fc.asyncProperty(arb, async (send) => {
      assertClientSafe(await send(), name);
    }),
    { numRuns },
  );
  expect(await rowCounts(t.databaseUrl)).toEqual(before);
  expect(Object.prototype).not.toHaveProperty('polluted');
}

describe('hostile queries and paths on every route', () => {
  it('random path parameters and query strings: 2xx/4xx with the error shape, nothing written (1,500 cases)', async () => {
    const arb = fc
      .tuple(fc.constantFrom(...ROUTES), fc.oneof(wireText, fc.constant('{sagaId}')), queryString)
      .map(([route, param, query]) => () => {
        const value = param === '{sagaId}' ? sagaId : param;
        const path = route.path.replace('{id}', value).replace('{p}', value);
        return get(path + query, route.method);
      });
    await noWrites('query/path', arb, 1500);
  });

  it('a repeated parameter is an array: 400, not 500 (every known key, 200 cases)', async () => {
    const arb = fc
      .tuple(
        fc.constantFrom(...ROUTES.filter((r) => r.method === 'GET' && r.path.startsWith('/api/'))),
        fc.constantFrom(...KNOWN_KEYS),
        wireText,
        wireText,
      )
      .map(([route, key, a, b]) => async () => {
        const r = await get(
          `${route.path.replace('{id}', sagaId).replace('{p}', 'order')}?${key}=${a}&${key}=${b}`,
        );
        return r;
      });
    await noWrites('repeated', arb, 200);
    for (const path of [
      '/api/v1/sagas?limit=1&limit=2',
      '/api/v1/stats?window=1h&window=2h',
      `/api/v1/participants/payment/ledger?sagaId=${sagaId}&sagaId=${sagaId}`,
      '/api/v1/definitions/order?version=1&version=1',
    ]) {
      const r = await get(path);
      assertClientSafe(r, path);
      expect(r.status).toBe(400);
    }
  });

  it('/ui path traversal, encoded or not, never leaves the UI directory (300 cases)', async () => {
    const dots = fc.constantFrom('..', '%2e%2e', '%2E%2E', '.%2e', '..%00', '%252e%252e');
    const sep = fc.constantFrom('/', '%2f', '%2F', '%5c', '\\', '%252f');
    const target = fc.constantFrom(
      'package.json',
      'etc/passwd',
      'apps/api/src/main.ts',
      '.env',
      'node_modules/pg/package.json',
    );
    const arb = fc
      .tuple(fc.array(fc.tuple(dots, sep), { minLength: 1, maxLength: 8 }), target)
      .map(([ups, file]) => async () => {
        const r = await rawRequest(
          t.baseUrl,
          'GET',
          `/ui/${ups.map(([d, s]) => d + s).join('')}${file}`,
        );
        if (r.status === 200)
          throw new Error(`served ${file} through /ui: ${r.text.slice(0, 100)}`);
        return r;
      });
    await noWrites('traversal', arb, 300);
  });

  it('query strings of 20 KB to 100 KB: refused with JSON (431 or 400), the process unharmed', async () => {
    for (const size of [20_000, 50_000, 100_000]) {
      for (const path of ['/api/v1/sagas', '/health', '/ui/']) {
        const r = await get(`${path}?limit=${'9'.repeat(size)}`);
        assertClientSafe(r, `${size} B query`);
        expect([400, 431]).toContain(r.status);
      }
    }
    // Just under Node's 16 KiB header limit the request reaches the route, which refuses it.
    const r = await get(`/api/v1/sagas?cursor=${'a'.repeat(15_000)}`);
    expect(r.status).toBe(400);
  });

  it('unicode in names and values is answered, not crashed on', async () => {
    for (const s of ['ünïcödé', '日本語', '🙂', '\u202e', 'e\u0301']) {
      for (const path of [
        `/api/v1/definitions/${encodeURIComponent(s)}`,
        `/api/v1/participants/inventory/stock/${encodeURIComponent(s)}`,
        `/api/v1/sagas?definition=${encodeURIComponent(s)}`,
      ]) {
        const r = await get(path);
        assertClientSafe(r, path);
        expect(r.status).toBeLessThan(500);
      }
    }
  });
});

describe('afterwards', () => {
  it('the same process still answers /health', async () => {
    await assertStillHealthy(t.baseUrl);
  });
});
