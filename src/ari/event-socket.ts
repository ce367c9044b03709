// The ARI events websocket, kept up for as long as the controller runs.
// ari-client's own socket is not used: it stops reconnecting after ~10 tries, sends no
// keepalive pings (a half-open TCP connection goes unnoticed), and throws inside its message
// handler on an event type its API description does not know, which kills the process.
// Since Asterisk 22.4 (21.9, 20.14) the same socket also carries REST requests and their
// responses (ws-transport.ts): a RESTResponse is handed out as 'response', in its place among
// the events.
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { AriEvent } from './types.js';

export interface EventSocketOptions {
  url: string; // http(s)://host:port of ARI
  user: string;
  password: string;
  app: string;
  logger: Logger;
  clock: Clock;
  /** First reconnect delay; doubles up to maxDelayMs. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** A ping is sent this often; no pong before the next one means the link is dead. */
  pingIntervalMs?: number;
}

export interface EventSocketEvents {
  open: [];
  close: [];
  event: [AriEvent];
  /** The answer to a RESTRequest sent on this socket. */
  response: [RestResponseMessage];
}

/** A RESTResponse as Asterisk sends it (res/ari/ari_websocket_requests.c). */
export interface RestResponseMessage {
  type: 'RESTResponse';
  request_id?: string;
  transaction_id?: string;
  status_code?: number;
  reason_phrase?: string;
  uri?: string;
  content_type?: string;
  /** The JSON text an HTTP request would have had as its body. */
  message_body?: string;
}

export class EventSocket extends EventEmitter<EventSocketEvents> {
  private ws: WebSocket | undefined;
  private stopped = false;
  private attempt = 0;
  private retryTimer: TimerHandle | undefined;
  private pingTimer: TimerHandle | undefined;
  /** Aborted on stop(): ends the ping and reconnect timers. */
  private life = new AbortController();
  private alive = false;
  private opened = false;

  constructor(private readonly opts: EventSocketOptions) {
    super();
  }

  /**
   * Open and not closing: false from the moment Asterisk's close frame arrives (readyState
   * CLOSING), not only once the TCP connection has gone, which can take a while longer.
   */
  get connected(): boolean {
    return this.opened && this.ws?.readyState === WebSocket.OPEN;
  }

  /** Sends a text frame; false when the socket is not open (nothing was sent). */
  sendText(text: string): boolean {
    const ws = this.ws;
    if (!this.connected || !ws) return false;
    ws.send(text, (err) => {
      // The socket failed while sending: its close follows, and with it every pending request fails.
      if (err) this.opts.logger.debug({ err: err.message }, 'ARI events socket send failed');
    });
    return true;
  }

  start(): void {
    this.stopped = false;
    this.life = new AbortController();
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.life.abort();
    this.ws?.removeAllListeners();
    this.ws?.on('error', () => undefined); // a late socket error after close is not news
    this.ws?.terminate();
    this.ws = undefined;
    if (this.opened) {
      this.opened = false;
      this.emit('close');
    }
  }

  private connect(): void {
    const base = new URL(this.opts.url);
    base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
    base.pathname = '/ari/events';
    base.search = new URLSearchParams({ app: this.opts.app, subscribeAll: 'false' }).toString();
    const auth = Buffer.from(`${this.opts.user}:${this.opts.password}`).toString('base64');
    const ws = new WebSocket(base, { headers: { Authorization: `Basic ${auth}` } });
    this.ws = ws;

    ws.on('open', () => {
      this.attempt = 0;
      this.opened = true;
      this.alive = true;
      this.startPings(ws);
      this.opts.logger.info({ app: this.opts.app }, 'ARI events connected');
      this.emit('open');
    });
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('message', (raw: WebSocket.RawData) => this.dispatch(raw));
    ws.on('error', (err) => {
      this.opts.logger.warn({ err: err.message }, 'ARI events socket error');
    });
    ws.on('close', () => {
      this.pingTimer?.cancel();
      const wasOpen = this.opened;
      this.opened = false;
      if (wasOpen) this.emit('close');
      if (!this.stopped) this.scheduleReconnect();
    });
  }

  private dispatch(raw: WebSocket.RawData): void {
    let event: AriEvent;
    try {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- RawData is a Buffer here
      event = JSON.parse(raw.toString()) as AriEvent;
    } catch {
      this.opts.logger.warn('ARI sent an event that is not JSON; ignored');
      return;
    }
    if (typeof event?.type !== 'string') return;
    try {
      if (event.type === 'RESTResponse') this.emit('response', event as unknown as RestResponseMessage);
      else this.emit('event', event);
    } catch (err) {
      // A listener bug must not take down the socket, and with it every call.
      this.opts.logger.error({ err, type: event.type }, 'ARI event handler failed');
    }
  }

  private startPings(ws: WebSocket): void {
    this.pingTimer?.cancel();
    const beat = () => {
      if (!this.alive) {
        this.opts.logger.warn('ARI events socket missed a pong; reconnecting');
        ws.terminate();
        return;
      }
      this.alive = false;
      ws.ping();
      this.pingTimer = this.opts.clock.timer(this.opts.pingIntervalMs ?? 10_000, this.life.signal, beat);
    };
    this.pingTimer = this.opts.clock.timer(this.opts.pingIntervalMs ?? 10_000, this.life.signal, beat);
  }

  private scheduleReconnect(): void {
    const min = this.opts.minDelayMs ?? 250;
    const max = this.opts.maxDelayMs ?? 10_000;
    const delay = Math.min(max, min * 2 ** this.attempt);
    this.attempt += 1;
    this.opts.logger.info({ delayMs: delay, attempt: this.attempt }, 'ARI events reconnect scheduled');
    this.retryTimer = this.opts.clock.timer(delay, this.life.signal, () => this.connect());
  }
}
