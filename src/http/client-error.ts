// Requests Node's HTTP parser refuses (headers over 16 KB, bad framing, a request that takes
// too long) never reach express: Node answers them itself with an empty body. Installed on the
// server, this answers them like every other error here, with a JSON body and a stable code.
import { STATUS_CODES, type Server } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ApiErrorBody, ApiErrorCode } from './errors.js';

interface ParserError extends Error {
  code?: string;
  /** The bytes being parsed when the error came (Node sets it on parser errors). */
  rawPacket?: Buffer;
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

/**
 * The raw answer for a parser error (the connection closes after it). `head`: the request it
 * answers is a HEAD, so no body follows the headers.
 */
export function clientErrorResponse(err: ParserError, head = false): string {
  const { status, code, message } = classify(err);
  const body = JSON.stringify({ error: code, message } satisfies ApiErrorBody);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Cache-Control: no-store\r\n' +
    'X-Content-Type-Options: nosniff\r\n' +
    'Connection: close\r\n' +
    `\r\n${head ? '' : body}`
  );
}

/** A socket whose connection has a request in flight (Node's own bookkeeping). */
type HttpSocket = Duplex & { _httpMessage?: { headersSent: boolean; req?: { method?: string } } | null };

/**
 * Whether the answer goes to a HEAD request, which must get no body. Without a request object
 * (the parser failed on the request's head) the raw bytes tell, when they start with it (the
 * usual case: a request's head comes in one read).
 */
function isHead(err: ParserError, inFlight: HttpSocket['_httpMessage']): boolean {
  if (inFlight) return inFlight.req?.method === 'HEAD';
  return err.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
}

// A client that does not close its side after the answer is let go of after this long.
const LINGER_MS = 5_000;

/** Answers the server's `clientError`s with JSON (see clientErrorResponse). */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: ParserError, socket: HttpSocket) => {
    // As Node's own handler: nothing to answer on a reset or closed socket, nor once a response
    // on this connection has started to go out (the answer would land inside it). Otherwise
    // the answer takes the place of the response in flight, if any (a body that broke the
    // parser, or a pipelined request after it).
    const inFlight = socket._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
      socket.destroy();
      return;
    }
    // end(), not destroy(): closing with unread input would reset the connection, and the
    // client could lose the answer with it.
    socket.end(clientErrorResponse(err, isHead(err, inFlight)));
    if (socket instanceof Socket) socket.setTimeout(LINGER_MS, () => socket.destroy());
  });
}
