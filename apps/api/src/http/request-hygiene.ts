// Input that parses but cannot be stored or handled safely is refused at the edge with a 400,
// before any route sees it: PostgreSQL text and jsonb cannot hold U+0000 (nor jsonb an unpaired
// surrogate), and a deeply nested body would make every later recursive walk (validation,
// hashing, JSON.stringify on the way to the database) a stack overflow.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { SagaException } from '../errors/saga-exception';

/** Deepest array/object nesting accepted in a JSON body. */
export const MAX_JSON_DEPTH = 64;

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string cannot be stored, or null. */
function badString(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (UNPAIRED_SURROGATE.test(s))
    return 'must be well-formed Unicode (an unpaired surrogate was found)';
  return null;
}

/** The first problem in a parsed JSON value (iteratively: the walk itself cannot overflow). */
export function unstorableJson(root: unknown): { path: string; message: string } | null {
  const stack: { value: unknown; path: string[] }[] = [{ value: root, path: [] }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const why = badString(value);
      if (why) return { path: path.join('.'), message: why };
    } else if (value !== null && typeof value === 'object') {
      if (path.length >= MAX_JSON_DEPTH) {
        return { path: path.join('.'), message: `nesting deeper than ${MAX_JSON_DEPTH} levels` };
      }
      for (const [k, v] of Object.entries(value)) {
        const why = badString(k);
        if (why) return { path: [...path, k].join('.'), message: `key ${why}` };
        stack.push({ value: v, path: [...path, k] });
      }
    }
  }
  return null;
}

/** After the JSON body parser: 400 for a body the service could not store. */
export function rejectUnstorableJsonBody(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const problem = req.body === undefined ? null : unstorableJson(req.body);
    if (!problem) return next();
    next(
      new SagaException(
        'INVALID_REQUEST',
        `Invalid request body: ${problem.path || '(root)'}: ${problem.message}.`,
        [problem],
      ),
    );
  };
}

/** 400 for a URL whose path or query decodes to U+0000 (no route can use one; SQL text cannot hold it). */
export function rejectNulInUrl(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!/%00/i.test(req.originalUrl ?? req.url)) return next();
    next(
      new SagaException('INVALID_REQUEST', 'Invalid URL: it must not contain %00 (NUL).', [
        { path: 'url', message: 'must not contain %00 (NUL)' },
      ]),
    );
  };
}
