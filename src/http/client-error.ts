// Requests Node's HTTP parser refuses (headers over 16 KB, bad framing, a request that takes
// too long) never reach express: Node answers them itself with an empty body. Installed on the
// server, this answers them like every other error here, with a JSON body and a stable code.
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiErrorBody, ApiErrorCode } from './errors.js';

interface ParserError extends Error {
  code?: string;
}

function classify(err: ParserError): { status: number; code: ApiErrorCode; message: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'request-header-too-large', message: 'request headers are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'request-timeout', message: 'the request took too long' };
    default:
      return { status: 400, code: 'bad-request', message: 'malformed HTTP request' };
  }
}

/** The raw answer for a parser error (the connection closes after it). */
export function clientErrorResponse(err: ParserError): string {
  const { status, code, message } = classify(err);
  const body = JSON.stringify({ error: code, message } satisfies ApiErrorBody);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Cache-Control: no-store\r\n' +
    'X-Content-Type-Options: nosniff\r\n' +
    'Connection: close\r\n' +
    `\r\n${body}`
  );
}

/** Answers the server's `clientError`s with JSON (see clientErrorResponse). */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: ParserError, socket: Duplex) => {
    // Nothing to answer on a reset or closed socket, nor while a response on this connection is
    // under way (a pipelined request after it): the answer would land inside that response.
    const inFlight = (socket as Duplex & { _httpMessage?: unknown })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || (inFlight !== undefined && inFlight !== null)) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(err));
  });
}
