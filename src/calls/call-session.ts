// One caller's call on one channel: the CallPort that verbs use, backed by the ARI adapter.
// It owns the call's AbortController (aborted when the channel leaves the app), the type-ahead
// key buffer, the lifecycle, and everything done to the caller's channel: prompts, hold music
// and the bridge to a leg. Time comes from the injected clock; everything it starts ends with
// the call.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AriAdapter, ChannelEvents } from '../ari/ari-adapter.js';
import { INBOUND_CONTEXT } from '../asterisk/render-config.js';
import { isChannelGone, type ChannelInfo } from '../ari/types.js';
import { abortReason, childSignal, raceAbort, settleAfter, type Clock } from '../clock/clock.js';
import type { Language } from '../prompts/language.js';
import { mediaFor } from '../prompts/media.js';
import type { CallFacts } from './call-facts.js';
import type { BridgeLeg, CallPort, Heard, PlayOptions, PlayResult } from './call-port.js';
import { Lifecycle, type CallState } from './lifecycle.js';
import { SilenceMeter, type SilenceFigures } from './silence-meter.js';

// How long a "failed" prompt waits for the hang-up that usually caused it (StasisEnd follows
// PlaybackFinished within milliseconds).
const FAILED_PLAY_GRACE_MS = 300;

/** What a session asks of ARI: the adapter, or a scripted stand-in in unit tests. */
export type SessionAri = Pick<
  AriAdapter,
  | 'ring'
  | 'answer'
  | 'hangup'
  | 'setVar'
  | 'play'
  | 'stopPlayback'
  | 'startMoh'
  | 'stopMoh'
  | 'createBridge'
  | 'addToBridge'
  | 'destroyBridge'
>;

export interface SessionDeps {
  ari: SessionAri;
  events: ChannelEvents;
  channel: ChannelInfo;
  /** The call's facts (caller, language…), shared with the verbs. */
  facts: CallFacts;
  clock: Clock;
  logger: Logger;
  /** TALK_DETECT thresholds from the flow (N3). */
  voice: { silenceMs: number; talkMs: number };
}

export class CallSession implements CallPort {
  readonly id: string;
  readonly called: string;
  readonly facts: CallFacts;
  readonly createdAt: number;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
  hungUpBySystem = false;
  /** Set when the controller let go of the call (shutting down) without hanging it up. */
  detached = false;
  hangupCause: number | undefined;
  /** The lifecycle state the call was in when its channel left (N9: dropped while waiting for an agent?). */
  endedIn: CallState | undefined;
  private readonly causeNoted = new EventEmitter<{ cause: [] }>();
  private readonly meter = new SilenceMeter();
  private readonly voiceSettings: { silenceMs: number; talkMs: number };
  private talkDetectOn = false;
  private talking = false;
  private holding = false;
  voiceHeard = false;
  private readonly controller = new AbortController();
  private readonly digits: string[] = [];
  private readonly ari: SessionAri;
  private readonly events: ChannelEvents;
  private readonly clock: Clock;

  constructor(deps: SessionDeps) {
    const { channel } = deps;
    this.id = channel.id;
    this.called = channel.dialplan?.exten ?? '';
    this.facts = deps.facts;
    this.clock = deps.clock;
    const created = Date.parse(channel.creationtime);
    this.createdAt = Number.isFinite(created) ? created : this.clock.now();
    this.ari = deps.ari;
    this.events = deps.events;
    this.logger = deps.logger;
    this.voiceSettings = deps.voice;
    // The generated entry dialplan turns talk detection on before Stasis(); setting it again
    // over ARI would queue behind a playing prompt (and was seen to block an adopted call).
    this.talkDetectOn = channel.dialplan?.context === INBOUND_CONTEXT;
    if (channel.state === 'Up') this.meter.answered(this.clock.now());
    const initial: CallState = channel.state === 'Up' ? 'answered' : 'ringing';
    this.lifecycle = new Lifecycle(initial, (from, to) => this.logger.info({ from, to }, 'call state'));

    this.events.on('dtmf', (digit) => {
      this.digits.push(digit);
      // N14: never the digit itself: keys spell out numbers during capture (13912345678#).
      this.logger.debug({ buffered: this.digits.length }, 'key pressed');
    });
    this.events.on('talk-start', () => {
      this.logger.debug('caller talking');
      this.talking = true;
      this.voiceHeard = true;
    });
    this.events.on('talk-end', () => {
      this.talking = false;
    });
    this.events.on('hangup-request', (cause) => {
      if (cause) this.noteHangupCause(cause); // 0 or absent: not a cause, just a request
    });
    this.events.once('destroyed', (cause) => {
      if (cause !== undefined) this.noteHangupCause(cause);
    });
    this.events.once('end', (cause) => {
      if (cause !== undefined) this.noteHangupCause(cause);
      this.endedIn = this.lifecycle.state;
      this.lifecycle.to('ended');
      this.controller.abort(new Error('call ended'));
    });
  }

  get caller(): string {
    return this.facts.caller;
  }

  get language(): Language {
    return this.facts.language;
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

  /**
   * The hang-up cause, waiting up to graceMs for a late report from AMI or ChannelDestroyed.
   * `service` ends the wait early (the controller stops).
   */
  async finalCause(graceMs: number, service: AbortSignal): Promise<number | undefined> {
    if (this.hangupCause !== undefined) return this.hangupCause;
    if (this.hungUpBySystem) return 16; // we cleared the call: normal clearing
    const wait = childSignal(service);
    const noted = () => wait.abort();
    this.causeNoted.once('cause', noted);
    await settleAfter(this.clock, graceMs, wait.signal);
    this.causeNoted.off('cause', noted);
    wait.abort();
    // No report in time: the cause stays unknown.
    return this.hangupCause;
  }

  async ring(): Promise<void> {
    await this.ari.ring(this.id);
  }

  async answer(): Promise<void> {
    await this.ari.answer(this.id);
    this.meter.answered(this.clock.now());
    this.lifecycle.to('answered');
  }

  async detectTalk(): Promise<void> {
    if (this.talkDetectOn) return;
    const { silenceMs, talkMs } = this.voiceSettings;
    await this.ari.setVar(this.id, 'TALK_DETECT(set)', `${silenceMs},${talkMs}`);
    this.talkDetectOn = true;
  }

  /** N5 figures so far; the final ones when the call has ended. */
  silence(): SilenceFigures | null {
    return this.meter.finish(this.clock.now());
  }

  async listen(ms: number): Promise<Heard | 'timeout'> {
    this.signal.throwIfAborted();
    if (this.talking) return 'voice';
    if (this.hasTypeAhead()) return 'dtmf';
    this.meter.listenStarted(this.clock.now());
    try {
      return await this.waitFor(ms, { 'talk-start': 'voice', dtmf: 'dtmf' });
    } finally {
      this.meter.listenEnded(this.clock.now());
    }
  }

  /** The first of the named channel events (mapped to a result), or 'timeout' after ms; rejects when the call ends. */
  private waitFor<R extends string>(ms: number, on: Partial<Record<'talk-start' | 'dtmf', R>>): Promise<R | 'timeout'> {
    return new Promise<R | 'timeout'>((resolve, reject) => {
      const wait = childSignal(this.signal);
      const handlers = Object.entries(on).map(([event, result]) => {
        const handler = () => finish(() => resolve(result));
        this.events.on(event as 'dtmf', handler);
        return [event as 'dtmf', handler] as const;
      });
      const onAbort = () => finish(() => reject(abortReason(this.signal)));
      const finish = (settle: () => void) => {
        wait.abort();
        for (const [event, handler] of handlers) this.events.off(event, handler);
        this.signal.removeEventListener('abort', onAbort);
        settle();
      };
      if (this.signal.aborted) {
        onAbort();
        return;
      }
      this.signal.addEventListener('abort', onAbort, { once: true });
      this.clock.timer(ms, wait.signal, () => finish(() => resolve('timeout')));
    });
  }

  async pause(ms: number): Promise<void> {
    this.meter.listenStarted(this.clock.now());
    try {
      await this.clock.sleep(ms, this.signal);
    } finally {
      this.meter.listenEnded(this.clock.now());
    }
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

  enter(state: 'in-flow' | 'queued' | 'transferring' | 'bridged'): void {
    const from = this.lifecycle.state;
    if (!this.lifecycle.to(state)) this.logger.warn({ from, to: state }, 'undefined call state transition ignored');
  }

  hasTypeAhead(): boolean {
    return this.digits.length > 0;
  }

  forgetInput(): void {
    this.digits.length = 0;
    this.talking = false;
  }

  async hold(): Promise<void> {
    this.signal.throwIfAborted();
    if (this.holding) return;
    await this.ari.startMoh(this.id);
    this.holding = true;
    // Music is sound: the caller on hold is not in dead air (N5).
    this.meter.audioStarted(this.clock.now());
  }

  async unhold(): Promise<void> {
    if (!this.holding) return;
    this.holding = false;
    this.meter.audioEnded(this.clock.now());
    if (this.signal.aborted) return;
    try {
      await this.ari.stopMoh(this.id);
    } catch (err) {
      // The caller left meanwhile: no music to stop. Anything else is a real failure.
      if (!isChannelGone(err)) throw err;
    }
  }

  async bridge(leg: BridgeLeg, signal: AbortSignal): Promise<'caller' | 'leg'> {
    this.signal.throwIfAborted();
    const bridgeId = `call-${this.id}`;
    await this.ari.createBridge(bridgeId);
    let talking = false;
    try {
      await this.ari.addToBridge(bridgeId, this.id);
      await this.ari.addToBridge(bridgeId, leg.channelId);
      // Bridged talk is sound both ways: it is not dead air (N5).
      talking = true;
      this.meter.audioStarted(this.clock.now());
      const ended = childSignal(signal);
      return await new Promise<'caller' | 'leg'>((resolve) => {
        const finish = (who: 'caller' | 'leg') => {
          this.signal.removeEventListener('abort', onCaller);
          ended.signal.removeEventListener('abort', onLeg);
          resolve(who);
        };
        const onCaller = () => finish('caller');
        const onLeg = () => finish('leg');
        if (this.signal.aborted) return onCaller();
        this.signal.addEventListener('abort', onCaller, { once: true });
        ended.signal.addEventListener('abort', onLeg, { once: true });
        void leg.gone.then(() => ended.abort());
      });
    } finally {
      if (talking) this.meter.audioEnded(this.clock.now());
      await this.ari.destroyBridge(bridgeId);
    }
  }

  async play(promptIds: readonly string[], options: PlayOptions = {}): Promise<PlayResult> {
    this.signal.throwIfAborted();
    if (options.bargeIn && this.hasTypeAhead()) return { interrupted: true, by: 'dtmf' };
    if (options.stopOnVoice && this.talking) return { interrupted: true, by: 'voice' };
    const playbackId = randomUUID();
    const media = promptIds.map((id) => mediaFor(id, this.language));
    // Listeners go on before the play request: a key pressed while Asterisk has not answered
    // the request yet must stop the prompt as soon as it exists, not be kept for later only.
    let requested = false;
    let stopWanted = false;
    const stop = () => {
      if (!requested) {
        stopWanted = true;
        return;
      }
      this.logger.debug({ playbackId }, 'stopping prompt');
      this.ari.stopPlayback(playbackId).catch((err: unknown) => this.logger.warn({ err }, 'stopping a prompt failed'));
    };
    let by: Heard | undefined;
    const onDigit = () => {
      by ??= 'dtmf';
      stop();
    };
    const onVoice = () => {
      by ??= 'voice';
      stop();
    };
    let stoppedFromOutside = false;
    const onStopOn = () => {
      stoppedFromOutside = true;
      stop();
    };
    if (options.bargeIn) this.events.on('dtmf', onDigit);
    if (options.stopOnVoice) this.events.on('talk-start', onVoice);
    if (options.stopOn?.aborted) return { interrupted: true };
    options.stopOn?.addEventListener('abort', onStopOn, { once: true });
    // A detached call keeps its prompt playing: the caller hears it while the next controller starts.
    const stopUnlessDetached = () => {
      if (!this.detached) stop();
    };
    this.signal.addEventListener('abort', stopUnlessDetached, { once: true });
    let audible = false;
    try {
      const { finished } = await this.ari.play(this.id, media, playbackId);
      requested = true;
      this.meter.audioStarted(this.clock.now());
      audible = true;
      if (stopWanted) stop();
      // Raced with the call's signal: a PlaybackFinished that never comes (channel gone while
      // events were down) must not hold the call forever.
      const outcome = await raceAbort(finished, this.signal);
      if (outcome === 'failed') {
        // Asterisk also reports "failed" when the caller hangs up mid-prompt, just before the
        // channel leaves the app: wait a moment for that, so a cut-off prompt is never taken as
        // played. Only a live call's failure means missing or unreadable audio.
        await settleAfter(this.clock, FAILED_PLAY_GRACE_MS, this.signal);
        this.signal.throwIfAborted();
        this.logger.warn({ media }, 'prompt failed to play (missing audio?)');
      }
      if (by) return { interrupted: true, by };
      return stoppedFromOutside ? { interrupted: true } : { interrupted: false };
    } finally {
      if (audible) this.meter.audioEnded(this.clock.now());
      options.stopOn?.removeEventListener('abort', onStopOn);
      this.events.off('dtmf', onDigit);
      this.events.off('talk-start', onVoice);
      this.signal.removeEventListener('abort', stopUnlessDetached);
    }
  }

  async nextDigit(timeoutMs: number): Promise<string | null> {
    this.signal.throwIfAborted();
    const waiting = this.digits.shift();
    if (waiting !== undefined) return waiting;
    this.meter.listenStarted(this.clock.now());
    try {
      const result = await this.waitFor(timeoutMs, { dtmf: 'key' });
      return result === 'key' ? (this.digits.shift() ?? null) : null;
    } finally {
      this.meter.listenEnded(this.clock.now());
    }
  }
}
