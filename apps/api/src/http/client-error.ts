// Requests Node's HTTP parser refuses before Express sees them (a request line or headers over
// the 16 KiB limit, a malformed request line, bad header bytes). Node's default answer is a bare
// status line; this answers with API.md's JSON error shape instead.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { REASONS } from './http-exception.filter';

/** Node parser error codes and the status each gets. Anything else: 400. */
const STATUS_BY_CODE: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

const MESSAGES: Record<number, string> = {
  400: 'The request could not be parsed as HTTP.',
  408: 'The request took too long to arrive.',
  413: 'The request body is too large.',
  431: 'The request line or headers are larger than 16 KiB (a very long URL or query string?).',
};

/** Installs the JSON answer to client (parser) errors on a Node HTTP server. */
export function answerClientErrorsAsJson(server: Server): void {
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    // ECONNRESET and the like: the client is gone, there is nobody to answer.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const statusCode = STATUS_BY_CODE[err.code ?? ''] ?? 400;
    const body = JSON.stringify({
      statusCode,
      error: REASONS[statusCode] ?? 'Bad Request',
      message: MESSAGES[statusCode],
      ...(statusCode === 400 ? { details: [] } : {}),
    });
    socket.end(
      `HTTP/1.1 ${statusCode} ${REASONS[statusCode] ?? 'Bad Request'}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
