// A body that is not JSON: 400 whose details say where it broke (offset, line and column, the
// character found), not `details: []`. The locating scanner agrees with JSON.parse on what is
// valid JSON.
import fc from 'fast-check';
import { findJsonSyntaxError, malformedJsonDetail } from '../../apps/api/src/http/json-body';
import { startTestApp, type TestApp } from '../support/test-app';

const parses = (s: string) => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

describe('findJsonSyntaxError', () => {
  it.each([
    ['{"a":}', 5, '}'],
    ['{"a": 1,\n "b": }', 15, '}'],
    ['{"a":1 x', 7, 'x'],
    ['[1,]', 3, ']'],
    ['{a:1}', 1, 'a'],
    ['{"a":tru}', 8, '}'],
    ['{"a":"\u0001"}', 6, '\u0001'],
    ['{"a":"\\x"}', 7, 'x'],
    ['{"a":-}', 6, '}'],
    ['{"a":01}', 6, '1'],
    ['{"a":1.}', 7, '}'],
    ['{} x', 3, 'x'],
  ])('%j breaks at %i on %j', (text, position, found) => {
    expect(findJsonSyntaxError(text)).toMatchObject({ position, found });
  });

  it('the end of the text: found is null, the position is its length', () => {
    expect(findJsonSyntaxError('{"definition": ')).toMatchObject({ position: 15, found: null });
    expect(findJsonSyntaxError('{"a": "unterminated')).toMatchObject({ position: 19, found: null });
    expect(findJsonSyntaxError('')).toMatchObject({ position: 0, found: null });
  });

  it('strict (as Express parses): the top level must be an object or an array', () => {
    expect(findJsonSyntaxError('"text"')).toMatchObject({ position: 0, found: '"' });
    expect(findJsonSyntaxError('  42')).toMatchObject({ position: 2, found: '4' });
    expect(findJsonSyntaxError('"text"', false)).toBeNull();
  });

  it('deep nesting does not overflow the stack', () => {
    const deep = '['.repeat(500_000) + ']'.repeat(500_000);
    expect(findJsonSyntaxError(deep)).toBeNull();
    expect(findJsonSyntaxError('['.repeat(500_000))).toMatchObject({ position: 500_000 });
  });

  it('agrees with JSON.parse: valid JSON has no error, and any text JSON.parse refuses has one', () => {
    const valid = fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v, null, 1));
    // Valid JSON with one character deleted, replaced or inserted: sometimes still valid.
    const mutated = fc
      .tuple(
        valid,
        fc.nat(),
        fc.constantFrom(...'{}[],:"\\-.0123456789eE tfnu x\n\u0001'),
        fc.nat(2),
      )
      .map(([text, at, ch, how]) => {
        const i = at % (text.length + 1);
        if (how === 0) return text.slice(0, i) + text.slice(i + 1);
        if (how === 1) return text.slice(0, i) + ch + text.slice(i + 1);
        return text.slice(0, i) + ch + text.slice(i);
      });
    fc.assert(
      fc.property(fc.oneof(valid, mutated, fc.string()), (text) => {
        const error = findJsonSyntaxError(text, false);
        expect([text, error === null]).toEqual([text, parses(text)]);
        if (error) {
          expect(error.position).toBeGreaterThanOrEqual(0);
          expect(error.position).toBeLessThanOrEqual(text.length);
          // Everything before the position is valid JSON or a prefix of some: the error is at
          // the first character that cannot continue it, so the position never overshoots.
          const before = findJsonSyntaxError(text.slice(0, error.position), false);
          if (before) expect(before).toMatchObject({ position: error.position, found: null });
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('the detail message names the character, the position, the line and the column', () => {
    expect(malformedJsonDetail('{\n  "a": }', 'v8 says')).toEqual({
      path: '',
      message: 'Unexpected token "}" in JSON at position 9 (line 2, column 8): expected a value',
    });
    expect(malformedJsonDetail('{"definition": ', 'v8 says')).toEqual({
      path: '',
      message: 'Unexpected end of JSON input at position 15 (line 1, column 16): expected a value',
    });
  });
});

describe('malformed JSON over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (body: string, contentType = 'application/json') =>
    t.api('/api/v1/sagas', { method: 'POST', body, headers: { 'content-type': contentType } });

  it('400 with one detail at path "" saying where the body broke', async () => {
    const res = await post('{"definition": "order",\n "input": {"customerId": }}');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'The request body is not valid JSON.',
      details: [
        {
          path: '',
          message:
            'Unexpected token "}" in JSON at position 49 (line 2, column 26): expected a value',
        },
      ],
    });
  });

  it.each([
    ['{"definition": ', /^Unexpected end of JSON input at position 15 \(line 1, column 16\)/],
    [
      '{"definition": "order",}',
      /^Unexpected token "}" in JSON at position 23 \(line 1, column 24\)/,
    ],
    ['nope', /^Unexpected token "n" in JSON at position 0 \(line 1, column 1\)/],
    ['"a string"', /^Unexpected token "\\"" in JSON at position 0 .*object or array/],
    ['{"a": 1} {"b": 2}', /^Unexpected token "{" in JSON at position 9 /],
  ])('%j: the detail says where', async (body, message) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as { details: { path: string; message: string }[] };
    expect(json.details).toEqual([{ path: '', message: expect.stringMatching(message) }]);
  });

  it('the same for application/*+json bodies', async () => {
    const res = await post('{,}', 'application/merge-patch+json');
    expect(res.status).toBe(400);
    expect((await res.json()).details).toEqual([
      { path: '', message: expect.stringMatching(/at position 1 \(line 1, column 2\)/) },
    ]);
  });
});
