// Every error leaves as API.md's JSON shape. Client mistakes get their 4xx; only our own
// bugs become a 500, and those are logged with their stack.
import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { HTTP_STATUS_BY_CODE, SagaException, type ErrorDetail } from '../errors/saga-exception';
import { isDependencyUnavailable } from './dependency-unavailable';
import { malformedJsonException } from './json-body';

export const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: ErrorDetail[];
}

/** Errors thrown by Express' body parser carry `type` and `status`. */
function bodyParserError(err: unknown): ErrorBody | null {
  const e = err as { type?: string; status?: number; message?: string; body?: unknown };
  if (!e || typeof e.type !== 'string' || typeof e.status !== 'number') return null;
  if (e.type === 'entity.too.large') {
    return {
      statusCode: 413,
      error: REASONS[413],
      message: 'The request body is larger than 1 MiB.',
    };
  }
  if (e.type === 'entity.parse.failed') {
    // jsonBodyParser() already turns these into SagaExceptions; this is for any other parser.
    const malformed = malformedJsonException(e);
    return {
      statusCode: 400,
      error: REASONS[400],
      message: malformed.message,
      details: malformed.details,
    };
  }
  if (e.status >= 400 && e.status < 500) {
    return {
      statusCode: e.status,
      error: REASONS[e.status] ?? 'Bad Request',
      message: e.message ?? e.type,
    };
  }
  return null;
}

export function errorBody(err: unknown): ErrorBody {
  if (err instanceof SagaException) {
    const statusCode = HTTP_STATUS_BY_CODE[err.code];
    return {
      statusCode,
      error: REASONS[statusCode],
      message: err.message,
      ...(err.details.length || statusCode === 400 ? { details: err.details } : {}),
    };
  }
  const parser = bodyParserError(err);
  if (parser) return parser;
  if (err instanceof HttpException) {
    const statusCode = err.getStatus();
    const res = err.getResponse();
    const message =
      typeof res === 'string' ? res : String((res as { message?: unknown }).message ?? err.message);
    return {
      statusCode,
      error: REASONS[statusCode] ?? 'Error',
      message,
      ...(statusCode === 400 ? { details: [] } : {}),
    };
  }
  if (isDependencyUnavailable(err)) {
    return {
      statusCode: 503,
      error: REASONS[503],
      message:
        'The database or the queue is unreachable right now. Retry shortly; send an Idempotency-Key with POST /sagas so that a retry cannot create a second saga.',
    };
  }
  return { statusCode: 500, error: REASONS[500], message: 'Internal server error.' };
}

/** Seconds a client should wait before retrying a 503. */
const RETRY_AFTER_UNAVAILABLE_S = 2;

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly log = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const body = errorBody(exception);
    if (body.statusCode === 503) {
      this.log.warn(
        `dependency unavailable: ${(exception as Error)?.message ?? String(exception)}`,
      );
    } else if (body.statusCode >= 500) {
      this.log.error((exception as Error)?.stack ?? String(exception));
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    if (body.statusCode === 503) res.setHeader('Retry-After', String(RETRY_AFTER_UNAVAILABLE_S));
    res.status(body.statusCode).json(body);
  }
}
