// ARI REST over the events WebSocket (Asterisk 20.14 / 21.9 / 22.4 and later, "ARI REST over
// WebSocket" in docs.asterisk.org): a request is a RESTRequest text frame, its answer a
// RESTResponse with the same request_id, on the one connection that already carries the events.
// No HTTP session per request (Asterisk's HTTP session limit stops mattering), and a response
// comes in its place among the events: whatever Asterisk reported before it has been handled by
// the time the request settles.
//
// Requests are matched to responses by id, in any order. When the socket closes every pending
// request fails at once (it would never be answered: the next connection does not know it);
// a request sent while the socket is down fails at once too. Timeouts are the requester's.
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { abortReason } from '../clock/clock.js';
import { AriLinkError, requestUri, type AriRequest, type AriResponse, type AriTransport } from './ari-request.js';
import type { EventSocketEvents, RestResponseMessage } from './event-socket.js';

/** What the transport needs of the events socket. */
export type RestSocket = EventEmitter<EventSocketEvents> & { sendText(text: string): boolean };

interface Pending {
  request: AriRequest;
  settle(result: { response: AriResponse } | { error: Error }): void;
}

export class WebSocketTransport implements AriTransport {
  readonly kind = 'websocket';
  private readonly pending = new Map<string, Pending>();
  // Ids from an earlier process or connection can never match one of these.
  private readonly prefix = randomUUID().slice(0, 8);
  private seq = 0;

  constructor(private readonly socket: RestSocket) {
    socket.on('response', (message) => this.onResponse(message));
    socket.on('close', () => this.failAll('the events socket closed before Asterisk answered'));
  }

  /** Requests sent and not yet answered. */
  get waiting(): number {
    return this.pending.size;
  }

  send(request: AriRequest, signal: AbortSignal): Promise<AriResponse> {
    return new Promise<AriResponse>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortReason(signal));
        return;
      }
      const id = `${this.prefix}-${++this.seq}`;
      const onAbort = () => {
        // A late answer to it is dropped (no entry matches).
        this.pending.delete(id);
        reject(abortReason(signal));
      };
      const entry: Pending = {
        request,
        settle: (result) => {
          this.pending.delete(id);
          signal.removeEventListener('abort', onAbort);
          if ('error' in result) reject(result.error);
          else resolve(result.response);
        },
      };
      this.pending.set(id, entry);
      signal.addEventListener('abort', onAbort, { once: true });
      const frame = JSON.stringify({ type: 'RESTRequest', request_id: id, method: request.method, uri: requestUri(request) });
      if (!this.socket.sendText(frame)) entry.settle({ error: new AriLinkError(request, 'the events socket is not open') });
    });
  }

  private onResponse(message: RestResponseMessage): void {
    const id = message.request_id;
    const entry = id === undefined ? undefined : this.pending.get(id);
    if (!entry) return; // timed out or aborted already, or not ours
    const status = typeof message.status_code === 'number' ? message.status_code : 0;
    entry.settle({ response: { status, reason: message.reason_phrase ?? '', body: message.message_body ?? '' } });
  }

  private failAll(detail: string): void {
    for (const entry of [...this.pending.values()]) entry.settle({ error: new AriLinkError(entry.request, detail) });
  }
}
