// AMI watches Asterisk itself (ARI watches the calls): it tells health whether Asterisk is up,
// reports a shutdown or restart as soon as Asterisk starts it (it ends every call in progress),
// and reports hang-up requests and causes, which ARI does not always carry for a SIP BYE (no
// cause on ChannelHangupRequest before 22.4, no ChannelDestroyed after StasisEnd).
// asterisk-manager's own reconnect logs to stdout and waits 10-60 s, so this keeps its own
// short backoff.
import { EventEmitter } from 'node:events';
import AsteriskManager from 'asterisk-manager';
import type { Logger } from 'pino';
import type { Clock } from '../clock/clock.js';
import type { AmiEventName } from './ami-events.js';

export interface AmiSettings {
  host: string;
  port: number;
  user: string;
  secret: string;
}

export interface AmiEvents {
  up: [];
  down: [];
  /** A channel hung up; uniqueId is the ARI channel id; cause 0 is Asterisk's "not set". */
  hangup: [uniqueId: string, cause: number, causeText: string];
  /**
   * Something asked for a channel's hang-up: HangupRequest (soft false: its far end, `cause`
   * Q.850 when given) or SoftHangupRequest (soft: inside Asterisk, `cause` a softhangup flag).
   */
  'hangup-request': [uniqueId: string, soft: boolean, cause: number | undefined];
  /** Asterisk is shutting down or restarting (Shutdown, or the shutdown soft hang-up of a channel). */
  shutdown: [];
}

// AST_SOFTHANGUP_SHUTDOWN: the soft hang-up Asterisk gives every channel when it shuts down.
const SOFTHANGUP_SHUTDOWN = 4;

export class AmiMonitor extends EventEmitter<AmiEvents> {
  private manager: ReturnType<typeof AsteriskManager> | undefined;
  /** Aborted on stop(): ends the reconnect timer. */
  private life = new AbortController();
  private delay = 500;
  private stopped = false;
  private shutdownSeen = false;
  connected = false;

  private readonly managerFor: typeof AsteriskManager;

  constructor(
    private readonly settings: AmiSettings,
    private readonly logger: Logger,
    private readonly clock: Clock,
    /** A scripted manager for tests; by default asterisk-manager's. */
    managerFor?: typeof AsteriskManager,
  ) {
    super();
    this.managerFor = managerFor ?? AsteriskManager;
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
    const manager = this.managerFor(port, host, user, secret, true);
    this.manager = manager;
    manager.on('error', (err) => this.logger.debug({ err: err.message }, 'AMI socket error'));
    manager.on('managerevent', (event) => {
      // Names typed as AmiEventName: reading an event Asterisk is not asked to send (ami-events.ts)
      // does not compile.
      const is = (name: AmiEventName) => event.event === name;
      // FullyBooted is sent to every client right after a successful login.
      if (is('FullyBooted') && !this.connected) {
        this.connected = true;
        this.shutdownSeen = false;
        this.delay = 500;
        this.logger.info('AMI connected');
        this.emit('up');
      } else if (is('Hangup')) {
        const cause = Number(event.cause);
        if (typeof event.uniqueid === 'string' && Number.isInteger(cause)) {
          const causeText = event['cause-txt'];
          this.emit('hangup', event.uniqueid, cause, typeof causeText === 'string' ? causeText : '');
        }
      } else if (is('HangupRequest') || is('SoftHangupRequest')) {
        if (typeof event.uniqueid !== 'string') return;
        const soft = is('SoftHangupRequest');
        const cause = event.cause === undefined ? undefined : Number(event.cause);
        const known = cause !== undefined && Number.isInteger(cause) ? cause : undefined;
        this.emit('hangup-request', event.uniqueid, soft, known);
        if (soft && known === SOFTHANGUP_SHUTDOWN) this.shuttingDown();
      } else if (is('Shutdown')) {
        this.logger.warn({ restart: event.restart }, 'Asterisk is shutting down: calls in progress will end');
        this.shuttingDown();
      }
    });
    manager.on('close', () => this.onClose());
  }

  /** Once per connection: every channel's shutdown hang-up would say it again. */
  private shuttingDown(): void {
    if (this.shutdownSeen) return;
    this.shutdownSeen = true;
    this.emit('shutdown');
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
