// One JSON line per HTTP request, with a request id: the caller's X-Request-Id when it is a
// sane token (so a trace crosses services), else a fresh UUID; echoed in the response.
import type { RequestHandler } from 'express';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Scraped every few seconds: logged at debug so they do not drown the rest. */
const QUIET_PATHS = /^\/(metrics|health)(\/|\?|$)/;

export function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** Express middleware: request log lines (no headers at all, so never the Authorization header). */
export function httpLogger(root: Logger): RequestHandler {
  return pinoHttp({
    logger: root.child({ component: 'http' }),
    genReqId: requestIdOf,
    customLogLevel: (req, res, err) => {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return QUIET_PATHS.test(req.url ?? '') ? 'debug' : 'info';
    },
    // For a 5xx without a thrown error pino-http makes up one ("failed with status code 503")
    // whose stack only points into pino-http: the status code says it all.
    customErrorObject: (_req, _res, err, val) =>
      /^failed with status code \d+$/.test(err?.message ?? '') ? { ...val, err: undefined } : val,
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  }) as unknown as RequestHandler;
}
