// The JSON body parser, and a malformed body answered with where it broke. Express' parser
// throws a SyntaxError, which Nest turns into a bare BadRequestException before any filter
// sees it (so `details` came back empty), and V8's message often says neither the position
// nor the line ("Unexpected token '}', "{"a":}" is not valid JSON"). Here the error becomes a
// 400 INVALID_REQUEST whose detail gives the offending character, its offset, line and column.
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { SagaException, type ErrorDetail } from '../errors/saga-exception';

/** Largest accepted body; a larger one is refused with 413 before it is read. */
export const JSON_BODY_LIMIT = '1mb';

/** Where a JSON text first breaks: the offset, and the character there (null: the text ended). */
export interface JsonSyntaxError {
  position: number;
  found: string | null;
  /** What was expected instead, when that is worth saying. */
  expected?: string;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX = /^[0-9a-fA-F]{4}$/;
const DIGIT = /[0-9]/;

/**
 * The first syntax error of `text` as JSON (RFC 8259), or null when it is valid. Iterative, so
 * a deeply nested body cannot overflow the stack. `strict`: the top level must be an object
 * or an array, as Express' parser requires by default.
 */
export function findJsonSyntaxError(text: string, strict = true): JsonSyntaxError | null {
  const n = text.length;
  let i = 0;
  const fail = (expected?: string): JsonSyntaxError => ({
    position: i,
    found: i < n ? text[i] : null,
    ...(expected ? { expected } : {}),
  });
  const skipWhitespace = () => {
    while (i < n && WHITESPACE.has(text[i])) i++;
  };
  const scanString = (): JsonSyntaxError | null => {
    i++; // the opening quote
    for (;;) {
      if (i >= n) return fail('the end of the string (")');
      const c = text[i];
      if (c === '"') {
        i++;
        return null;
      }
      if (c === '\\') {
        i++;
        if (i >= n) return fail('an escape character');
        if (text[i] === 'u') {
          if (!HEX.test(text.slice(i + 1, i + 5))) {
            i++;
            while (i < n && /[0-9a-fA-F]/.test(text[i])) i++;
            return fail('four hex digits after \\u');
          }
          i += 5;
        } else if (ESCAPES.has(text[i])) {
          i++;
        } else {
          return fail('one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u');
        }
      } else if (c < ' ') {
        return fail('no control character inside a string (escape it)');
      } else {
        i++;
      }
    }
  };
  const scanDigits = (): boolean => {
    if (i >= n || !DIGIT.test(text[i])) return false;
    while (i < n && DIGIT.test(text[i])) i++;
    return true;
  };
  const scanNumber = (): JsonSyntaxError | null => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (!scanDigits()) return fail('a digit');
    if (text[i] === '.') {
      i++;
      if (!scanDigits()) return fail('a digit');
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!scanDigits()) return fail('a digit');
    }
    return null;
  };
  const scanLiteral = (word: string): JsonSyntaxError | null => {
    for (const ch of word) {
      if (text[i] !== ch) return fail(`"${word}"`);
      i++;
    }
    return null;
  };

  // Open containers, innermost last; `state` says what may come next.
  const open: ('{' | '[')[] = [];
  let state: 'value' | 'valueOrClose' | 'key' | 'keyOrClose' | 'afterValue' = 'value';
  let first = true;
  for (;;) {
    skipWhitespace();
    if (state === 'afterValue') {
      const top = open[open.length - 1];
      if (top === undefined) return i < n ? fail('the end of the JSON text') : null;
      const close = top === '{' ? '}' : ']';
      if (text[i] === ',') {
        i++;
        state = top === '{' ? 'key' : 'value';
      } else if (text[i] === close) {
        i++;
        open.pop();
      } else {
        return fail(`',' or '${close}'`);
      }
      continue;
    }
    if (state === 'valueOrClose' && text[i] === ']') {
      i++;
      open.pop();
      state = 'afterValue';
      continue;
    }
    if (state === 'keyOrClose' && text[i] === '}') {
      i++;
      open.pop();
      state = 'afterValue';
      continue;
    }
    if (state === 'key' || state === 'keyOrClose') {
      if (text[i] !== '"') return fail('a property name in double quotes');
      const bad = scanString();
      if (bad) return bad;
      skipWhitespace();
      if (text[i] !== ':') return fail("':' after the property name");
      i++;
      state = 'value';
      continue;
    }
    // A value.
    const c = i < n ? text[i] : null;
    if (first && strict && c !== '{' && c !== '[') return fail('a JSON object or array');
    first = false;
    if (c === '{') {
      i++;
      open.push('{');
      state = 'keyOrClose';
      continue;
    }
    if (c === '[') {
      i++;
      open.push('[');
      state = 'valueOrClose';
      continue;
    }
    let bad: JsonSyntaxError | null;
    if (c === '"') bad = scanString();
    else if (c === '-' || (c !== null && DIGIT.test(c))) bad = scanNumber();
    else if (c === 't') bad = scanLiteral('true');
    else if (c === 'f') bad = scanLiteral('false');
    else if (c === 'n') bad = scanLiteral('null');
    else return fail('a value');
    if (bad) return bad;
    state = 'afterValue';
  }
}

/** 1-based line and column of an offset (lines end at \n). */
function lineAndColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position);
  const lastNewline = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: position - lastNewline };
}

/** The detail of a malformed JSON body: `path` "" (the body), and where and why it broke. */
export function malformedJsonDetail(text: string | undefined, fallback: string): ErrorDetail {
  const error = typeof text === 'string' ? findJsonSyntaxError(text) : null;
  if (!error || typeof text !== 'string') return { path: '', message: fallback };
  const { line, column } = lineAndColumn(text, error.position);
  const where = `at position ${error.position} (line ${line}, column ${column})`;
  const what =
    error.found === null
      ? `Unexpected end of JSON input ${where}`
      : `Unexpected token ${JSON.stringify(error.found)} in JSON ${where}`;
  return { path: '', message: error.expected ? `${what}: expected ${error.expected}` : what };
}

/** The error of Express' JSON parser for a body that is not JSON (it carries the raw text). */
function isParseFailure(err: unknown): err is { type: string; body?: unknown; message: string } {
  return (err as { type?: unknown } | null)?.type === 'entity.parse.failed';
}

/** The 400 for a body that is not valid JSON (also used by the exception filter). */
export function malformedJsonException(err: { body?: unknown; message?: string }): SagaException {
  const text = typeof err.body === 'string' ? err.body : undefined;
  return new SagaException('INVALID_REQUEST', 'The request body is not valid JSON.', [
    malformedJsonDetail(text, err.message ?? 'malformed JSON'),
  ]);
}

/** express.json (1 MiB, JSON media types), its parse failures as 400s with details. */
export function jsonBodyParser(): RequestHandler {
  const parse = express.json({
    limit: JSON_BODY_LIMIT,
    type: ['application/json', 'application/*+json'],
  });
  return (req: Request, res: Response, next: NextFunction) => {
    parse(req, res, (err?: unknown) => {
      if (err !== undefined && err !== null && isParseFailure(err))
        return next(malformedJsonException(err));
      next(err as Error | undefined);
    });
  };
}
