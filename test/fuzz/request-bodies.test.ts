// Hostile request bodies against every route that reads one (POST /sagas, POST /faults, and the
// cancel/retry routes, which must ignore theirs): random JSON, wrong types, prototype-pollution
// keys, deep nesting, NUL and unpaired surrogates, invalid UTF-8, wrong content types and
// oversized bodies. Never a 5xx, always the error shape, nothing written by a refused request.
import fc from 'fast-check';
import { orderInput, startTestApp, waitForSaga, type TestApp } from '../support/test-app';
import {
  assertClientSafe,
  assertStillHealthy,
  POLLUTION_KEYS,
  rawRequest,
  rowCounts,
  type RawResponse,
} from './fuzz-support';

type Json = Record<string, any>;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({
    env: { SAGA_FAULTS: 'enabled', SAGA_RATE_LIMIT_PER_MINUTE: '10000000' },
  });
});
afterAll(async () => {
  await t?.close();
});

const auth = () => ({ authorization: `Bearer ${t.apiKey}` });
const post = (
  path: string,
  body: Buffer | string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) => rawRequest(t.baseUrl, 'POST', path, { ...auth(), ...headers }, body);

/** Runs a property whose every request must be refused (4xx): no row may change. */
async function refusedWithoutWrites(
  name: string,
  arb: fc.Arbitrary<() => Promise<RawResponse>>,
  numRuns: number,
): Promise<void> {
  const before = await rowCounts(t.databaseUrl);
  await fc.assert(
    fc.asyncProperty(arb, async (send) => {
      const r = await send();
      assertClientSafe(r, name);
      if (r.status < 400)
        throw new Error(`${name}: accepted (${r.status}) ${r.text.slice(0, 200)}`);
    }),
    { numRuns },
  );
  expect(await rowCounts(t.databaseUrl)).toEqual(before);
  expect(({} as Json).polluted).toBeUndefined();
}

const validBody = (): Json => ({ definition: 'order', input: orderInput() });

/** Values of any JSON type but `keep`. */
const wrongType = (keep: 'string' | 'number' | 'object' | 'array'): fc.Arbitrary<unknown> => {
  const all: [string, fc.Arbitrary<unknown>][] = [
    ['string', fc.string()],
    ['number', fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))],
    ['boolean', fc.boolean()],
    ['null', fc.constant(null)],
    ['array', fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 })],
    ['object', fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })],
  ];
  return fc.oneof(...all.filter(([type]) => type !== keep).map(([, arb]) => arb));
};

/** Fields of a valid create body, with what each must not be. */
const FIELDS: [string[], 'string' | 'number' | 'object' | 'array'][] = [
  [['definition'], 'string'],
  [['version'], 'number'],
  [['input'], 'object'],
  [['input', 'customerId'], 'string'],
  [['input', 'items'], 'array'],
  [['input', 'items', '0'], 'object'],
  [['input', 'items', '0', 'sku'], 'string'],
  [['input', 'items', '0', 'quantity'], 'number'],
  [['input', 'payment'], 'object'],
  [['input', 'payment', 'token'], 'string'],
  [['input', 'shippingAddress'], 'object'],
  [['input', 'shippingAddress', 'postalCode'], 'string'],
  [['faults'], 'array'],
];

function setPath(obj: Json, path: string[], value: unknown): Json {
  let at = obj;
  for (const k of path.slice(0, -1)) at = at[k];
  at[path[path.length - 1]] = value;
  return obj;
}

/** `depth` nested arrays or objects around a leaf, built without recursion. */
function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? '['.repeat(depth) + '1' + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

describe('POST /api/v1/sagas with hostile bodies', () => {
  it('random JSON of any shape: 4xx, never written (800 cases)', async () => {
    await refusedWithoutWrites(
      'random JSON',
      fc.jsonValue({ maxDepth: 6 }).map((v) => () => post('/api/v1/sagas', JSON.stringify(v))),
      800,
    );
  });

  it('a valid body with one field of a wrong type: 400 with details (600 cases)', async () => {
    const arb = fc
      .tuple(fc.constantFrom(...FIELDS), fc.nat())
      .chain(([[path, keep]]) => wrongType(keep).map((v) => ({ path, v })))
      .map(({ path, v }) => async () => {
        const r = await post('/api/v1/sagas', JSON.stringify(setPath(validBody(), path, v)));
        if (r.status === 400 && !(JSON.parse(r.text).details?.length > 0)) {
          throw new Error(`400 without details for ${path.join('.')}=${JSON.stringify(v)}`);
        }
        return r;
      });
    await refusedWithoutWrites('wrong type', arb, 600);
  });

  it('prototype-pollution and unknown keys anywhere: 400, Object.prototype untouched (400 cases)', async () => {
    const where = fc.constantFrom<string[]>(
      [],
      ['input'],
      ['input', 'payment'],
      ['input', 'items', '0'],
      ['input', 'shippingAddress'],
    );
    // Every key the create body knows, at any level: those are not "unknown".
    const known = new Set([
      'definition',
      'version',
      'input',
      'faults',
      'customerId',
      'items',
      'payment',
      'shippingAddress',
      'token',
      'sku',
      'quantity',
      'line1',
      'city',
      'postalCode',
    ]);
    const key = fc
      .oneof(fc.constantFrom(...POLLUTION_KEYS), fc.string({ minLength: 1, maxLength: 20 }))
      .filter((k) => !known.has(k));
    const arb = fc.tuple(where, key, fc.jsonValue({ maxDepth: 2 })).map(([path, k, v]) => () => {
      const body = validBody();
      const target = JSON.stringify(path.reduce((o: Json, p) => o[p], body));
      // Written as JSON text so that "__proto__" arrives as an own key, as from a real client.
      const inner = target.replace(
        /^\{/,
        `{${JSON.stringify(k)}:${JSON.stringify(v ?? { polluted: true })},`,
      );
      return post('/api/v1/sagas', JSON.stringify(body).replace(target, inner));
    });
    await refusedWithoutWrites('unknown key', arb, 400);
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('nesting from 65 up to 10,000 levels, at the root or inside input: 400 (200 cases)', async () => {
    const arb = fc
      .tuple(
        fc.integer({ min: 65, max: 10_000 }),
        fc.constantFrom<'array' | 'object'>('array', 'object'),
        fc.constantFrom('root', 'input', 'customerId', 'faults'),
      )
      .map(([depth, kind, where]) => () => {
        const deep = nested(depth, kind);
        const text =
          where === 'root'
            ? deep
            : where === 'input'
              ? `{"definition":"order","input":${deep}}`
              : where === 'faults'
                ? `{"definition":"order","input":${JSON.stringify(orderInput())},"faults":${deep}}`
                : JSON.stringify(validBody()).replace('"c-42"', deep);
        return post('/api/v1/sagas', text);
      });
    await refusedWithoutWrites('deep nesting', arb, 200);
    // The extreme: 10,000 levels of both kinds, and the most the 1 MiB limit lets through.
    for (const text of [
      nested(10_000, 'array'),
      nested(10_000, 'object'),
      nested(350_000, 'array'),
    ]) {
      const r = await post('/api/v1/sagas', `{"definition":"x","input":${text}}`);
      assertClientSafe(r, 'extreme nesting');
      expect(r.status).toBe(400);
    }
  });

  it('NUL characters and unpaired surrogates in any string or key: 400 (300 cases)', async () => {
    const poison = fc.constantFrom('\\u0000', '\\ud800', '\\udfff', 'a\\u0000b', '\\udc00\\ud800');
    const field = fc.constantFrom(
      '"c-42"',
      '"IPHONE-15"',
      '"tok_ok"',
      '"Mumbai"',
      '"order"',
      '"customerId"',
    );
    const arb = fc.tuple(poison, field).map(([p, f]) => () => {
      const text = JSON.stringify(validBody()).replace(f, `"${f.slice(1, -1)}${p}"`);
      return post('/api/v1/sagas', text);
    });
    await refusedWithoutWrites('NUL/surrogate', arb, 300);
  });

  it('bodies that are not JSON, under any content type or none: 4xx (600 cases)', async () => {
    const contentType = fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'application/xml',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/octet-stream',
      'application/vnd.api+json',
      '',
      'application/json',
    );
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.constant('definition=order&input[customerId]=x'),
      fc.constant(
        '--xyz\r\nContent-Disposition: form-data; name="definition"\r\n\r\norder\r\n--xyz--\r\n',
      ),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      // A valid body, but not declared as JSON: it must not be read as one.
      fc.constant(JSON.stringify(validBody())),
    );
    const arb = fc.tuple(contentType, body).map(([ct, b]) => () => {
      const isValidJson = ct.startsWith('application/json') || ct === 'application/vnd.api+json';
      const payload = isValidJson && b === JSON.stringify(validBody()) ? '{"definition":' : b;
      return post('/api/v1/sagas', payload, ct ? { 'content-type': ct } : {});
    });
    await refusedWithoutWrites('content type', arb, 600);
  });

  it('invalid UTF-8 bytes inside a JSON body: never a 5xx; accepted only as U+FFFD (60 cases)', async () => {
    const bad = fc.constantFrom(
      [0xff],
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xe0, 0x80],
      [0xf8, 0x88, 0x80, 0x80, 0x80],
      [0x80],
    );
    let accepted = 0;
    const created: string[] = [];
    const before = await rowCounts(t.databaseUrl);
    await fc.assert(
      fc.asyncProperty(
        bad,
        fc.constantFrom('c-42', 'Mumbai', 'IPHONE-15'),
        async (bytes, field) => {
          const [head, tail] = JSON.stringify(validBody()).split(field);
          const r = await post(
            '/api/v1/sagas',
            Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(tail)]),
          );
          assertClientSafe(r, 'invalid UTF-8');
          if (r.status < 400) {
            accepted++;
            const saga = JSON.parse(r.text) as Json;
            created.push(saga.id as string);
            expect(JSON.stringify(saga.input)).toContain('\ufffd');
          }
        },
      ),
      { numRuns: 60 },
    );
    const after = await rowCounts(t.databaseUrl);
    expect(after.sagas - before.sagas).toBe(accepted);
    // Let the accepted sagas finish, so that later row counts are not moved by their steps.
    for (const id of created) await waitForSaga(t, id);
  });

  it('bodies over 1 MiB: 413 with the error shape, whatever they contain (20 cases)', async () => {
    await refusedWithoutWrites(
      'oversized',
      fc.integer({ min: 1024 * 1024 + 1, max: 3 * 1024 * 1024 }).map((size) => () => {
        const pad = 'x'.repeat(size);
        return post(
          '/api/v1/sagas',
          JSON.stringify({ definition: 'order', input: { ...orderInput(), customerId: pad } }),
        );
      }),
      20,
    );
    const r = await post('/api/v1/sagas', JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }));
    expect(r.status).toBe(413);
  });
});

describe('POST /api/v1/faults with hostile bodies', () => {
  it('random JSON and near-valid faults with wrong types: 4xx, no fault written (600 cases)', async () => {
    const valid = { participant: 'payment', action: 'charge', mode: 'fail', times: 1 };
    const near = fc
      .tuple(
        fc.constantFrom<[keyof typeof valid, 'string' | 'number']>(
          ['participant', 'string'],
          ['action', 'string'],
          ['mode', 'string'],
          ['times', 'number'],
        ),
        fc.nat(),
      )
      .chain(([[k, keep]]) => wrongType(keep).map((v) => ({ ...valid, [k]: v })));
    const badValues = fc.oneof(
      fc.constant({ ...valid, times: 0 }),
      fc.constant({ ...valid, times: 1e308 }),
      fc.constant({ ...valid, mode: 'delay' }),
      fc.constant({ ...valid, participant: '__proto__' }),
      fc.constant({ ...valid, action: 'constructor' }),
      fc.string({ minLength: 1 }).map((s) => ({ ...valid, participant: s })),
    );
    await refusedWithoutWrites(
      'fault body',
      fc
        .oneof(fc.jsonValue({ maxDepth: 5 }), near, badValues)
        .map((v) => () => post('/api/v1/faults', JSON.stringify(v))),
      600,
    );
  });
});

describe('cancel and retry with bodies they do not read', () => {
  it('any body on an unknown saga: 404, nothing written (200 cases)', async () => {
    await refusedWithoutWrites(
      'cancel/retry body',
      fc.tuple(fc.constantFrom('cancel', 'retry'), fc.jsonValue({ maxDepth: 4 }), fc.uuid()).map(
        ([action, v, id]) =>
          () =>
            post(`/api/v1/sagas/${id}/${action}`, JSON.stringify(v)),
      ),
      200,
    );
  });
});

describe('afterwards', () => {
  it('the same process still answers /health', async () => {
    await assertStillHealthy(t.baseUrl);
  });
});
