// AMI watches Asterisk itself (ARI watches the calls): it tells health whether Asterisk is up,
// logs restarts (they end every call in progress), and reports hang-up causes, which ARI does
// not send for a SIP BYE (no cause on ChannelHangupRequest, no ChannelDestroyed after StasisEnd). asterisk-manager's own reconnect logs to
// stdout and waits 10-60 s, so this keeps its own short backoff.
import { EventEmitter } from 'node:events';
import AsteriskManager from 'asterisk-manager';
import type { Logger } from 'pino';
import type { Clock } from '../clock/clock.js';

export interface AmiSettings {
  host: string;
  port: number;
  user: string;
  secret: string;
}

export interface AmiEvents {
  up: [];
  down: [];
  /** A channel hung up; uniqueId is the ARI channel id. */
  hangup: [uniqueId: string, cause: number, causeText: string];
}

export class AmiMonitor extends EventEmitter<AmiEvents> {
  private manager: ReturnType<typeof AsteriskManager> | undefined;
  /** Aborted on stop(): ends the reconnect timer. */
  private life = new AbortController();
  private delay = 500;
  private stopped = false;
  connected = false;

  constructor(
    private readonly settings: AmiSettings,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {
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
    this.drop();
  }

  private connect(): void {
    const { port, host, user, secret } = this.settings;
    const manager = AsteriskManager(port, host, user, secret, true);
    this.manager = manager;
    manager.on('error', (err) => this.logger.debug({ err: err.message }, 'AMI socket error'));
    manager.on('managerevent', (event) => {
      // FullyBooted is sent to every client right after a successful login.
      if (event.event === 'FullyBooted' && !this.connected) {
        this.connected = true;
        this.delay = 500;
        this.logger.info('AMI connected');
        this.emit('up');
      } else if (event.event === 'Hangup') {
        const cause = Number(event.cause);
        if (typeof event.uniqueid === 'string' && Number.isInteger(cause)) {
          const causeText = event['cause-txt'];
          this.emit('hangup', event.uniqueid, cause, typeof causeText === 'string' ? causeText : '');
        }
      } else if (event.event === 'Shutdown') {
        this.logger.warn({ restart: event.restart }, 'Asterisk is shutting down: calls in progress will end');
      }
    });
    manager.on('close', () => this.onClose());
  }

  private onClose(): void {
    this.drop();
    if (this.stopped) return;
    this.clock.timer(this.delay, this.life.signal, () => this.connect());
    this.delay = Math.min(this.delay * 2, 10_000);
  }

  private drop(): void {
    if (this.connected) {
      this.connected = false;
      this.logger.warn('AMI disconnected');
      this.emit('down');
    }
    const manager = this.manager;
    this.manager = undefined;
    if (manager) {
      manager.removeAllListeners();
      manager.on('error', () => undefined);
      manager.disconnect();
    }
  }
}
