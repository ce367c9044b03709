// One caller's call on one channel: the CallPort that verbs use, backed by the ARI adapter.
// It owns the call's AbortController (aborted when the channel leaves the app), the type-ahead
// key buffer, and the lifecycle. Everything it starts ends with the call.
import { randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import type { Logger } from 'pino';
import type { AriAdapter, ChannelEvents } from '../ari/ari-adapter.js';
import { isChannelGone, type ChannelInfo } from '../ari/types.js';
import type { Language } from '../flow/schema.js';
import { mediaFor } from '../prompts/media.js';
import type { CallPort, PlayOptions, PlayResult } from './call-port.js';
import { Lifecycle, type CallState } from './lifecycle.js';

export interface SessionDeps {
  ari: AriAdapter;
  events: ChannelEvents;
  channel: ChannelInfo;
  language: Language;
  logger: Logger;
}

export class CallSession implements CallPort {
  readonly id: string;
  readonly caller: string;
  readonly called: string;
  readonly language: Language;
  readonly createdAt: number;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
  hungUpBySystem = false;
  /** Set when the controller let go of the call (shutting down) without hanging it up. */
  detached = false;
  hangupCause: number | undefined;
  private readonly causeNoted = new EventEmitter<{ cause: [] }>();
  private readonly controller = new AbortController();
  private readonly digits: string[] = [];
  private readonly ari: AriAdapter;
  private readonly events: ChannelEvents;

  constructor(deps: SessionDeps) {
    const { channel } = deps;
    this.id = channel.id;
    this.caller = channel.caller?.number ?? '';
    this.called = channel.dialplan?.exten ?? '';
    this.language = deps.language;
    const created = Date.parse(channel.creationtime);
    this.createdAt = Number.isFinite(created) ? created : Date.now();
    this.ari = deps.ari;
    this.events = deps.events;
    this.logger = deps.logger;
    const initial: CallState = channel.state === 'Up' ? 'answered' : 'ringing';
    this.lifecycle = new Lifecycle(initial, (from, to) => this.logger.debug({ from, to }, 'call state'));

    this.events.on('dtmf', (digit) => {
      this.logger.debug({ digit }, 'key pressed');
      this.digits.push(digit);
    });
    this.events.on('hangup-request', (cause) => {
      if (cause) this.noteHangupCause(cause); // 0 or absent: not a cause, just a request
    });
    this.events.once('destroyed', (cause) => {
      if (cause !== undefined) this.noteHangupCause(cause);
    });
    this.events.once('end', (cause) => {
      if (cause !== undefined) this.noteHangupCause(cause);
      this.lifecycle.to('ended');
      this.controller.abort(new Error('call ended'));
    });
  }

  /**
   * Stops this controller's work on the call but leaves the channel up in the application,
   * so the next controller to connect adopts it (no caller is cut off by a restart).
   */
  detach(): void {
    this.detached = true;
    this.controller.abort(new Error('controller stopping'));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get answered(): boolean {
    return this.lifecycle.state !== 'ringing';
  }

  /** The hang-up cause as AMI reported it (ARI does not always carry one). */
  noteHangupCause(cause: number): void {
    this.hangupCause ??= cause;
    this.causeNoted.emit('cause');
  }

  /** The hang-up cause, waiting up to graceMs for a late report from AMI or ChannelDestroyed. */
  async finalCause(graceMs: number): Promise<number | undefined> {
    if (this.hangupCause !== undefined) return this.hangupCause;
    if (this.hungUpBySystem) return 16; // we cleared the call: normal clearing
    try {
      await once(this.causeNoted, 'cause', { signal: AbortSignal.timeout(graceMs) });
    } catch {
      // no report in time: the cause stays unknown
    }
    return this.hangupCause;
  }

  async ring(): Promise<void> {
    await this.ari.ring(this.id);
  }

  async answer(): Promise<void> {
    await this.ari.answer(this.id);
    this.lifecycle.to('answered');
  }

  async hangup(): Promise<void> {
    if (this.signal.aborted) return;
    this.hungUpBySystem = true;
    try {
      await this.ari.hangup(this.id);
    } catch (err) {
      if (!isChannelGone(err)) throw err;
    }
  }

  hasTypeAhead(): boolean {
    return this.digits.length > 0;
  }

  async play(promptIds: readonly string[], options: PlayOptions = {}): Promise<PlayResult> {
    this.signal.throwIfAborted();
    if (options.bargeIn && this.hasTypeAhead()) return { interrupted: true };
    const playbackId = randomUUID();
    const media = promptIds.map((id) => mediaFor(id, this.language));
    const { finished } = await this.ari.play(this.id, media, playbackId);
    const stop = () => {
      this.logger.debug({ playbackId }, 'stopping prompt');
      this.ari.stopPlayback(playbackId).catch((err: unknown) => this.logger.warn({ err }, 'stopping a prompt failed'));
    };
    let interrupted = false;
    const onDigit = () => {
      interrupted = true;
      stop();
    };
    if (options.bargeIn) this.events.on('dtmf', onDigit);
    // A detached call keeps its prompt playing: the caller hears it while the next controller starts.
    const stopUnlessDetached = () => {
      if (!this.detached) stop();
    };
    this.signal.addEventListener('abort', stopUnlessDetached, { once: true });
    try {
      const outcome = await finished;
      this.signal.throwIfAborted();
      // Asterisk also reports "failed" when the caller hangs up mid-prompt; only a live call's
      // failure means missing or unreadable audio.
      if (outcome === 'failed') this.logger.warn({ media }, 'prompt failed to play (missing audio?)');
      return { interrupted };
    } finally {
      this.events.off('dtmf', onDigit);
      this.signal.removeEventListener('abort', stopUnlessDetached);
    }
  }

  async nextDigit(timeoutMs: number): Promise<string | null> {
    this.signal.throwIfAborted();
    const waiting = this.digits.shift();
    if (waiting !== undefined) return waiting;
    const wait = AbortSignal.any([this.signal, AbortSignal.timeout(timeoutMs)]);
    try {
      await once(this.events, 'dtmf', { signal: wait });
      return this.digits.shift() ?? null;
    } catch (err) {
      this.signal.throwIfAborted();
      if (wait.aborted) return null;
      throw err;
    }
  }
}
