// Authentication at the edge. Every /api/v1 request needs a valid key before its body is even
// read, so an anonymous caller gets the same 401 whatever it sends (malformed JSON, a body over
// 1 MiB, an unstorable one, an unknown route) and learns nothing about what lies behind it.
// ApiKeyGuard still runs on the controllers after this: it tells read-only keys apart (403).
import { HttpException } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ApiKey } from '../config/app-config';
import { ApiKeyVerifier } from './api-key-verifier';

/** The routes that need a key. Case-insensitive, as Express matches routes. */
const PROTECTED = /^\/api\/v1(\/|$)/i;

/** Participants' callbacks: authenticated by the token in their URL, not by an API key. */
export const CALLBACKS_PREFIX = '/api/v1/callbacks/';

export const MISSING_KEY_MESSAGE = 'Missing or malformed Authorization header: use "Bearer <key>".';
export const INVALID_KEY_MESSAGE = 'Invalid API key.';

/** Whether a request path is one this middleware asks a key for. */
export function needsApiKey(path: string): boolean {
  return PROTECTED.test(path) && !path.toLowerCase().startsWith(CALLBACKS_PREFIX);
}

export interface ApiKeyMiddlewareOptions {
  /**
   * Runs for a request about to be answered 401, and may answer something else instead: the
   * rate limit counts these requests per client address and resolves its 429 once over it.
   */
  beforeReject?: (req: Request, res: Response) => Promise<Error | null>;
}

/** 401 (API.md's error shape, through the exception filter) for a /api/v1 request without a valid key. */
export function requireApiKey(
  keys: readonly ApiKey[] | undefined,
  options: ApiKeyMiddlewareOptions = {},
): RequestHandler {
  const verifier = new ApiKeyVerifier(keys);
  return (req: Request, res: Response, next: NextFunction) => {
    if (!needsApiKey(req.path)) return next();
    const token = ApiKeyVerifier.bearerToken(req.headers.authorization);
    if (token && verifier.verify(token)) return next();
    const rejection = new HttpException(token ? INVALID_KEY_MESSAGE : MISSING_KEY_MESSAGE, 401);
    if (!options.beforeReject) return next(rejection);
    options.beforeReject(req, res).then((other) => next(other ?? rejection), next);
  };
}
