// The ARI events websocket, kept up for as long as the controller runs.
// ari-client's own socket is not used: it stops reconnecting after ~10 tries, sends no
// keepalive pings (a half-open TCP connection goes unnoticed), and throws inside its message
// handler on an event type its API description does not know, which kills the process.
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
  connected = false;

  constructor(private readonly opts: EventSocketOptions) {
    super();
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
    if (this.connected) {
      this.connected = false;
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
      this.connected = true;
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
      const wasConnected = this.connected;
      this.connected = false;
      if (wasConnected) this.emit('close');
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
      this.emit('event', event);
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
