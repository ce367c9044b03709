// Scripted stand-ins for the adapter's two links to Asterisk: an events socket the test opens,
// closes and feeds events into, and a REST transport whose answers the test writes per route
// (and may hold back, to script a race or a request that never gets an answer).
import { EventEmitter } from 'node:events';
import { abortReason } from '../../../src/clock/clock.js';
import type { AriMethod, AriRequest, AriResponse, AriTransport } from '../../../src/ari/ari-request.js';
import type { EventSocketEvents } from '../../../src/ari/event-socket.js';
import type { AriEvent } from '../../../src/ari/types.js';

export class ScriptedSocket extends EventEmitter<EventSocketEvents> {
  connected = false;
  /** Like the real socket: connecting, not yet open (open() opens it). */
  start(): void {}
  stop(): void {
    this.connected = false;
  }
  open(): void {
    this.connected = true;
    this.emit('open');
  }
  close(): void {
    this.connected = false;
    this.emit('close');
  }
  send(event: AriEvent): void {
    this.emit('event', event);
  }
}

/** Thrown (or rejected) by a route: Asterisk answers with this status and message. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

export const notFound = (what = 'Channel') => new Refusal(404, `${what} not found`);

export type Route = (request: AriRequest, signal: AbortSignal) => unknown;

export interface SentRequest extends AriRequest {
  /** Whether it got an answer, a refusal or an error, or was aborted (timeout, call ended). */
  outcome?: 'answered' | 'refused' | 'failed' | 'aborted';
}

/**
 * Answers requests by route (`'POST channels/:id/answer'`, `:x` matches one segment): the value
 * a route returns (or resolves to) is the JSON body, undefined a 204; a Refusal is an error
 * status; any other error a broken link. A request with no route is answered 204. Every request
 * honours its signal, as the real transports do.
 */
export class ScriptedTransport implements AriTransport {
  readonly kind = 'websocket';
  readonly sent: SentRequest[] = [];
  private readonly routes: Array<{ method: AriMethod; pattern: RegExp; route: Route }> = [];

  on(spec: string, route: Route): this {
    const [method, path] = spec.split(' ') as [AriMethod, string];
    const pattern = new RegExp(`^${path.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`);
    this.routes.unshift({ method, pattern, route });
    return this;
  }

  /** Requests sent so far as `METHOD path`. */
  lines(): string[] {
    return this.sent.map((r) => `${r.method} ${r.path}`);
  }

  send(request: AriRequest, signal: AbortSignal): Promise<AriResponse> {
    const entry: SentRequest = { ...request };
    this.sent.push(entry);
    return new Promise<AriResponse>((resolve, reject) => {
      if (signal.aborted) {
        entry.outcome = 'aborted';
        reject(abortReason(signal));
        return;
      }
      const onAbort = () => {
        entry.outcome = 'aborted';
        reject(abortReason(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const found = this.routes.find((r) => r.method === request.method && r.pattern.test(request.path));
      Promise.resolve()
        .then(() => found?.route(request, signal))
        .then(
          (value) => {
            if (signal.aborted) return;
            signal.removeEventListener('abort', onAbort);
            entry.outcome = 'answered';
            resolve(value === undefined ? { status: 204, reason: 'No Content', body: '' } : { status: 200, reason: 'OK', body: JSON.stringify(value) });
          },
          (err: unknown) => {
            if (signal.aborted) return;
            signal.removeEventListener('abort', onAbort);
            if (err instanceof Refusal) {
              entry.outcome = 'refused';
              resolve({ status: err.status, reason: 'Refused', body: JSON.stringify({ message: err.message }) });
            } else {
              entry.outcome = 'failed';
              reject(err instanceof Error ? err : new Error(String(err)));
            }
          },
        );
    });
  }
}

/** A promise that never settles: a request Asterisk never answers. */
export function never(): Promise<never> {
  return new Promise<never>(() => undefined);
}
