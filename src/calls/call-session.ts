// One caller's call on one channel: the CallPort that verbs use, backed by the ARI adapter.
// It owns the call's AbortController (aborted when the channel leaves the app), the type-ahead
// key buffer, the lifecycle, and everything done to the caller's channel: prompts, hold music
// and the bridge to a leg. Time comes from the injected clock; everything it starts ends with
// the call.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AriAdapter, ChannelEvents, DialledChannel, RecordingOutcome } from '../ari/ari-adapter.js';
import { INBOUND_CONTEXT } from '../asterisk/render-config.js';
import { stasisArgs, talkDetectedByEntry } from '../ari/channel-role.js';
import { isChannelGone, type ChannelInfo } from '../ari/types.js';
import { abortReason, childSignal, raceAbort, settleAfter, type Clock } from '../clock/clock.js';
import type { Language } from '../prompts/language.js';
import { mediaFor } from '../prompts/media.js';
import type { CallFacts } from './call-facts.js';
import type {
  BridgeLeg,
  BridgeOptions,
  BridgeRecording,
  CallPort,
  Heard,
  LiveRecording,
  PlayOptions,
  PlayResult,
  RecordingEnd,
  RecordRequest,
} from './call-port.js';
import { HangupReport, type HangupOutcome } from './hangup-report.js';
import { Lifecycle, type CallState } from './lifecycle.js';
import { SilenceMeter, type SilenceFigures } from './silence-meter.js';

// How long a "failed" prompt waits for the hang-up that usually caused it (StasisEnd follows
// PlaybackFinished within milliseconds).
const FAILED_PLAY_GRACE_MS = 300;
/** How long after the call's bridge went a prompt is checked to start (AriAdapter.play, checkStart). */
const AFTER_BRIDGE_MS = 2000;
// N14: how long a snoop channel may take to enter the app before recording it is given up.
const SNOOP_READY_MS = 5000;
// N14: after a stop request, how long to wait for Asterisk's RecordingFinished (normally at once).
const RECORDING_STOP_GRACE_MS = 3000;

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
  | 'bridgeChannels'
  | 'snoop'
  | 'record'
  | 'stopRecording'
  | 'continueAt'
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
  /** Issue 12: set once the call went back to the entry dialplan (shed): its end is Asterisk's. */
  handedBack = false;
  /** The lifecycle state the call was in when its channel left (N9: dropped while waiting for an agent?). */
  endedIn: CallState | undefined;
  /** Who ended the call and why, from what ARI and AMI reported (see hangup-report.ts). */
  private readonly hangupReport = new HangupReport();
  private channelEnded = false;
  private readonly reportChanged = new EventEmitter<{ changed: [] }>();
  private readonly meter = new SilenceMeter();
  private readonly voiceSettings: { silenceMs: number; talkMs: number };
  private talkDetectOn = false;
  private talking = false;
  private holding = false;
  voiceHeard = false;
  private readonly controller = new AbortController();
  /** The extension the call came from (the entry dialplan), and whether it is the generated one. */
  private readonly entry: { context: string; exten: string; generated: boolean } | undefined;
  private readonly digits: string[] = [];
  private readonly ari: SessionAri;
  /** When the call's bridge last went (epoch ms); -Infinity: never bridged. */
  private bridgeGoneAt = -Infinity;
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
    // Calls that entered before the entry said so in its arguments (an upgrade) are known by
    // the generated entry's context.
    const byEntry = talkDetectedByEntry(stasisArgs(channel.dialplan?.app_data).args);
    this.talkDetectOn = byEntry || channel.dialplan?.context === INBOUND_CONTEXT;
    // Only the generated entry (its Stasis argument says so) has the shed apology to go back to.
    this.entry = channel.dialplan ? { context: channel.dialplan.context, exten: channel.dialplan.exten, generated: byEntry } : undefined;
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
    this.events.on('hangup-request', (cause, soft, flag) => this.noteHangupRequest('ari', soft, cause, flag));
    this.events.once('destroyed', (cause, causeText) => this.noteFinalCause(cause, causeText));
    this.events.once('end', (cause, causeText) => {
      this.channelEnded = true;
      this.noteFinalCause(cause, causeText);
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

  /** Issue 12: the call came from the generated entry dialplan, so it can be handed back to it. */
  get canHandBack(): boolean {
    return this.entry?.generated === true;
  }

  /**
   * Issue 12: gives the call back to its entry dialplan at `label` (a shed caller to the entry's
   * apology). The channel leaves the application; the call's signal ends with its StasisEnd.
   */
  async handBack(label: string): Promise<void> {
    if (!this.entry) throw new Error('the call came from no dialplan extension');
    await this.ari.continueAt(this.id, { context: this.entry.context, extension: this.entry.exten, label });
    this.handedBack = true;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get answered(): boolean {
    return this.lifecycle.state !== 'ringing';
  }

  /** A hang-up request for this channel (ARI's ChannelHangupRequest, AMI's HangupRequest / SoftHangupRequest). */
  noteHangupRequest(link: 'ari' | 'ami', soft: boolean, cause?: number, flag?: number): void {
    this.hangupReport.request(link, soft, cause, flag);
    this.reportChanged.emit('changed');
  }

  /** The channel's final Q.850 cause (ChannelDestroyed, AMI's Hangup); 0 is Asterisk's "not set". */
  noteFinalCause(cause: number | undefined, causeText?: string): void {
    this.hangupReport.finalCause(cause, causeText);
    this.reportChanged.emit('changed');
  }

  /**
   * Who hung up and the Q.850 cause. Read once the channel has left the application (ARI
   * reports hang-up requests before that) and the cause is known, waiting up to graceMs for
   * what is still on its way (AMI's Hangup after a plain BYE); `service` ends the wait early.
   */
  async hangupOutcome(graceMs: number, service: AbortSignal): Promise<HangupOutcome> {
    if (!(this.channelEnded && this.hangupReport.settled)) {
      const wait = childSignal(service);
      const check = () => {
        if (this.channelEnded && this.hangupReport.settled) wait.abort();
      };
      this.reportChanged.on('changed', check);
      await settleAfter(this.clock, graceMs, wait.signal);
      this.reportChanged.off('changed', check);
      wait.abort();
    }
    return this.hangupReport.decide();
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
    this.hangupReport.controllerHangsUp();
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

  /**
   * Removes the call's bridge, noting when: a prompt played just after can be lost in Asterisk,
   * and play() asks the adapter to check that it starts (AriAdapter.play, checkStart).
   */
  private async leaveBridge(bridgeId: string): Promise<void> {
    try {
      await this.ari.destroyBridge(bridgeId);
    } finally {
      this.bridgeGoneAt = this.clock.now();
    }
  }

  /** The bridge this call's transfers use: one at a time, named after the call. */
  private get bridgeId(): string {
    return `call-${this.id}`;
  }

  /**
   * An adopted call may sit in the bridge a controller that crashed made for it (a bridge the
   * application made may outlive its connection; the agent leg was hung up as an orphan): the bridge goes, so
   * the next transfer can make it again under the same id. None (404) is the usual case. A
   * failure is logged, not thrown: the flow can still run.
   */
  async leaveStaleBridge(): Promise<void> {
    try {
      // Not leaveBridge(): there is usually no such bridge, and the adopted call's first prompt
      // may rightly wait behind one the earlier controller started (no start check wanted).
      await this.ari.destroyBridge(this.bridgeId);
    } catch (err) {
      if (!this.signal.aborted) this.logger.warn({ err }, 'removing the bridge an earlier controller left failed');
    }
  }

  async bridge(leg: BridgeLeg, signal: AbortSignal, options: BridgeOptions = {}): Promise<'caller' | 'leg'> {
    this.signal.throwIfAborted();
    const bridgeId = this.bridgeId;
    await this.ari.createBridge(bridgeId);
    let talking = false;
    let recording: LiveRecording | undefined;
    try {
      await this.ari.addToBridge(bridgeId, this.id);
      await this.ari.addToBridge(bridgeId, leg.channelId);
      // Bridged talk is sound both ways: it is not dead air (N5).
      talking = true;
      this.meter.audioStarted(this.clock.now());
      // N14: both sides are in: the conversation is recorded from here (with the caller's consent).
      if (options.record) recording = await this.recordBridge(bridgeId, options.record);
      return await this.untilOneLeaves(leg, signal);
    } finally {
      if (talking) this.meter.audioEnded(this.clock.now());
      // Stopped before the bridge goes, so the file is closed and Asterisk's report still reaches us.
      await recording?.stop();
      await this.leaveBridge(bridgeId);
    }
  }

  async resumeBridge(leg: BridgeLeg | undefined, signal: AbortSignal): Promise<{ ended: Promise<'caller' | 'leg'> } | null> {
    this.signal.throwIfAborted();
    const bridgeId = this.bridgeId;
    const inBridge = leg ? await this.ari.bridgeChannels(bridgeId) : null;
    if (!leg || !inBridge?.includes(this.id) || !inBridge.includes(leg.channelId)) {
      await this.leaveStaleBridge();
      return null;
    }
    // Both still in: they have been talking all along (N5: not dead air).
    this.meter.audioStarted(this.clock.now());
    const ended = (async () => {
      try {
        return await this.untilOneLeaves(leg, signal);
      } finally {
        this.meter.audioEnded(this.clock.now());
        // A recording the earlier controller started on the bridge ends with it (Asterisk keeps the file).
        await this.leaveBridge(bridgeId);
      }
    })();
    return { ended };
  }

  /** Waits while the caller and the leg talk: 'caller' when the caller left, 'leg' when the leg did or `signal` ended. */
  private untilOneLeaves(leg: BridgeLeg, signal: AbortSignal): Promise<'caller' | 'leg'> {
    const ended = childSignal(signal);
    return new Promise<'caller' | 'leg'>((resolve) => {
      const finish = (who: 'caller' | 'leg') => {
        this.signal.removeEventListener('abort', onCaller);
        ended.signal.removeEventListener('abort', onLeg);
        resolve(who);
      };
      const onCaller = () => finish('caller');
      // A signal derived from the call's aborts with it: then the caller left, not the leg.
      const onLeg = () => finish(this.signal.aborted ? 'caller' : 'leg');
      if (this.signal.aborted) return onCaller();
      this.signal.addEventListener('abort', onCaller, { once: true });
      ended.signal.addEventListener('abort', onLeg, { once: true });
      void leg.gone.then(() => ended.abort());
    });
  }

  /** N14: records the bridge; a refusal is the recording's failure, not the conversation's. */
  private async recordBridge(bridgeId: string, record: BridgeRecording): Promise<LiveRecording | undefined> {
    let recording: LiveRecording;
    try {
      const { finished } = await this.ari.record({ bridgeId }, record.request);
      recording = this.liveRecording(record.request.name, finished, () => Promise.resolve());
    } catch (err) {
      record.failed(err);
      return undefined;
    }
    record.started(recording);
    return recording;
  }

  /**
   * N14: a snoop channel spying both ways on the caller's channel, recorded. From the moment
   * the snoop exists, every way out (a refusal, a hang-up while it enters the app or while the
   * record request is out, the end of the recording, the end of the call) hangs it up, so no
   * snoop channel outlives its call or its recording.
   */
  async recordCaller(request: RecordRequest): Promise<LiveRecording> {
    this.signal.throwIfAborted();
    const snoopId = `${this.id}-rec-${randomUUID().slice(0, 8)}`;
    const snoop = await this.ari.snoop({ channelId: this.id, snoopId, owner: this.id });
    let hungUp = false;
    const hangUpSnoop = async () => {
      if (hungUp) return;
      hungUp = true;
      try {
        await this.ari.hangup(snoopId, 'normal');
      } catch (err) {
        // Asterisk ends a snoop with the channel it spies on: gone is the usual answer.
        if (!isChannelGone(err)) this.logger.warn({ err, snoopId }, 'hanging up a snoop channel failed');
      }
    };
    try {
      await this.snoopInApp(snoop);
      const { finished } = await this.ari.record({ channelId: snoopId }, request);
      return this.liveRecording(request.name, finished, hangUpSnoop);
    } catch (err) {
      await hangUpSnoop();
      throw err;
    }
  }

  /** Resolves when the snoop channel has entered the app; rejects when it ends, the call ends, or it takes too long. */
  private snoopInApp(snoop: DialledChannel): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wait = childSignal(this.signal);
      const finish = (err?: Error) => {
        wait.abort();
        snoop.events.off('answered', onAnswered);
        snoop.events.off('end', onEnd);
        this.signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const onAnswered = () => finish();
      const onEnd = () => finish(new Error('the snoop channel ended before it entered the app'));
      const onAbort = () => finish(abortReason(this.signal));
      snoop.events.on('answered', onAnswered);
      snoop.events.on('end', onEnd);
      if (this.signal.aborted) {
        onAbort();
      } else {
        this.signal.addEventListener('abort', onAbort, { once: true });
        this.clock.timer(SNOOP_READY_MS, wait.signal, () => finish(new Error('the snoop channel did not enter the app in time')));
      }
      snoop.release();
    });
  }

  /**
   * N14: the handle of a recording Asterisk has taken. It ends with stop(), with Asterisk's own
   * report (maximum length, its channel gone), or with the call (a hang-up, or the controller
   * letting go of the call: the next controller cannot know this recording, so it is closed).
   * `after` runs once it has ended (the snoop channel is hung up).
   */
  private liveRecording(name: string, reported: Promise<RecordingOutcome>, after: () => Promise<void>): LiveRecording {
    const startedAt = this.clock.now();
    const toEnd = (outcome: RecordingOutcome): RecordingEnd => ({
      state: outcome.state === 'gone' ? 'unknown' : outcome.state,
      endedAt: this.clock.now(),
      durationMs: outcome.durationS === undefined ? null : outcome.durationS * 1000,
      ...(outcome.cause === undefined ? {} : { cause: outcome.cause }),
    });
    let settle!: (end: RecordingEnd) => void;
    const finished = new Promise<RecordingEnd>((resolve) => {
      settle = resolve;
    });
    void reported.then((outcome) => settle(toEnd(outcome)));
    let stopping: Promise<RecordingEnd> | undefined;
    const stop = (): Promise<RecordingEnd> =>
      (stopping ??= (async () => {
        try {
          await this.ari.stopRecording(name);
        } catch (err) {
          this.logger.warn({ err, name }, 'stopping a recording failed');
        }
        // Asterisk reports the end at once; without a report in time the file decides.
        const grace = new AbortController();
        this.clock.timer(RECORDING_STOP_GRACE_MS, grace.signal, () => settle({ state: 'unknown', endedAt: this.clock.now(), durationMs: null }));
        const end = await finished;
        grace.abort();
        return end;
      })());
    const onCallEnd = () => void stop();
    if (this.signal.aborted) onCallEnd();
    else this.signal.addEventListener('abort', onCallEnd, { once: true });
    void finished.then(async () => {
      this.signal.removeEventListener('abort', onCallEnd);
      await after();
    });
    return { name, startedAt, finished, stop };
  }

  async waitForKey(keys: readonly string[], ms: number): Promise<string | null> {
    this.signal.throwIfAborted();
    this.meter.listenStarted(this.clock.now());
    try {
      return await new Promise<string | null>((resolve, reject) => {
        const wait = childSignal(this.signal);
        const finish = (settle: () => void) => {
          wait.abort();
          this.events.off('dtmf', onDigit);
          this.signal.removeEventListener('abort', onAbort);
          settle();
        };
        const onDigit = (digit: string) => {
          if (!keys.includes(digit)) return; // type-ahead for the next menu
          this.takeKey(digit);
          finish(() => resolve(digit));
        };
        const onAbort = () => finish(() => reject(abortReason(this.signal)));
        if (this.signal.aborted) return onAbort();
        this.events.on('dtmf', onDigit);
        this.signal.addEventListener('abort', onAbort, { once: true });
        this.clock.timer(ms, wait.signal, () => finish(() => resolve(null)));
      });
    } finally {
      this.meter.listenEnded(this.clock.now());
    }
  }

  /** Takes the latest buffered press of `digit` out of the type-ahead buffer (it answered a prompt). */
  private takeKey(digit: string): void {
    const at = this.digits.lastIndexOf(digit);
    if (at >= 0) this.digits.splice(at, 1);
  }

  async play(promptIds: readonly string[], options: PlayOptions = {}): Promise<PlayResult> {
    this.signal.throwIfAborted();
    if (options.bargeIn && this.hasTypeAhead()) return { interrupted: true, by: 'dtmf' };
    if (options.stopOnVoice && this.talking) return { interrupted: true, by: 'voice' };
    const playbackId = randomUUID();
    const media = promptIds.map((id) => mediaFor(id, options.language ?? this.language));
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
    let key: string | undefined;
    const { stopKeys } = options;
    const onDigit = (digit: string) => {
      if (stopKeys) {
        // N14: another key is type-ahead for the next menu; this one answered the prompt.
        if (!stopKeys.includes(digit)) return;
        if (key === undefined) {
          this.takeKey(digit);
          key = digit;
        }
      }
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
    if (options.bargeIn || stopKeys) this.events.on('dtmf', onDigit);
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
      const checkStart = this.clock.now() - this.bridgeGoneAt < AFTER_BRIDGE_MS;
      const { finished } = await this.ari.play(this.id, media, playbackId, checkStart ? { checkStart } : undefined);
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
      if (by) return key === undefined ? { interrupted: true, by } : { interrupted: true, by, key };
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
