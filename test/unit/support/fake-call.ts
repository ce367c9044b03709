// A CallPort for unit tests, on a VirtualClock (src/clock/virtual-clock.ts): each test makes a
// fresh one with newTestClock(startAt) in beforeEach (fakeClock is then that clock, and FakeCall
// and makeContext use it unless given another) and moves time with advance(ms).
// It mirrors CallSession (src/calls/call-session.ts):
//  - every key goes to the type-ahead buffer, whatever is going on;
//  - play with bargeIn returns { interrupted: true, by: 'dtmf' } at once when keys are waiting,
//    without playing; a key during a bargeIn playback stops it ({ interrupted: true, by: 'dtmf' })
//    and stays buffered;
//    a key during a playback without bargeIn is only buffered;
//  - nextDigit returns a waiting key at once, else the next key pressed, or null after timeoutMs;
//  - the caller hanging up aborts the signal with Error('call ended'): pending plays and waits
//    reject with that reason, and so does any later play or nextDigit;
//  - hangup() from the system side after the caller left does nothing;
//  - voice (N3): speak() is Asterisk's talk-start and stopSpeaking() its talk-end. Like Asterisk,
//    the fake only reports talking once detectTalk() has turned TALK_DETECT on: speech before
//    that is logged in `speech` (detected: false) and changes nothing. A caller still talking
//    when detection turns on is reported at that instant. Talk-start sets talking and voiceHeard,
//    stops a stopOnVoice play ({ interrupted: true, by: 'voice' }) and resolves a pending
//    listen with 'voice';
//  - play with stopOnVoice while the caller is talking returns { interrupted: true, by: 'voice' }
//    at once without playing (a bargeIn play with keys waiting is checked first: 'dtmf');
//  - listen(ms) resolves 'voice' at once while the caller talks, 'dtmf' at once when a key waits,
//    else on the first talk-start or key, or 'timeout' after ms; keys stay buffered. A hang-up
//    rejects it with the signal's reason (Error('call ended'));
//  - pause(ms) ignores input; a hang-up rejects it with an AbortError whose cause is the signal's
//    reason (node:timers/promises, as CallSession uses);
//  - the N5 SilenceMeter is fed exactly where CallSession feeds it (silence());
//  - hold()/unhold() are music on hold, and bridge() a conversation with a leg (fakeLeg()): both
//    count as audio for the meter while they last. bridge resolves 'leg' when the leg is gone or
//    its signal aborts, 'caller' when the caller hangs up (the call's signal aborts).
//  - N14: play with stopKeys stops only on those keys and takes the key out of the buffer (other
//    keys stay buffered); waitForKey(keys, ms) is a listening window that ends on one of keys
//    (taken) or null after ms. recordCaller() and bridge(…, { record }) make a recording
//    (a 'record' action) that ends with stop(), its maxDurationS, the bridge's end or the
//    caller's hang-up (done, durationMs the fake time it ran); option recording: 'refused'
//    makes Asterisk refuse them.
// Each prompt id plays for a configurable duration of fake time (default 2000 ms).
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type {
  BridgeLeg,
  BridgeOptions,
  CallPort,
  Heard,
  LiveRecording,
  PlayOptions,
  PlayResult,
  RecordingEnd,
  RecordRequest,
} from '../../../src/calls/call-port.js';
import { SilenceMeter, type SilenceFigures } from '../../../src/calls/silence-meter.js';
import type { Clock } from '../../../src/clock/clock.js';
import { VirtualClock } from '../../../src/clock/virtual-clock.js';
import { createCallFacts, type CallbackCall, type CallDirection } from '../../../src/calls/call-facts.js';
import type { FlowContext } from '../../../src/flow/context.js';
import type { Services } from '../../../src/flow/services.js';
import type { EarlierCalls } from '../../../src/store/caller-history.js';
import { parseFlow } from '../../../src/flow/load-flow.js';
import type { Flow, StepOf, Verb } from '../../../src/flow/schema.js';
import type { Language } from '../../../src/prompts/language.js';
import { loadCatalogue } from '../../../src/prompts/catalogue.js';
import type { EventData, EventType } from '../../../src/store/events.js';

export const DEFAULT_PROMPT_MS = 2000;

interface Timed {
  /** Fake epoch ms when it happened. */
  at: number;
  /** Fake ms since the FakeCall was made (the test's t=0). */
  t: number;
}

export interface PlayAction extends Timed {
  kind: 'play';
  prompts: string[];
  /**
   * N18: the language the prompts played in (the call's, or the play's own), recorded only when
   * it is not the language the FakeCall was made with; langOf() reads it either way.
   */
  language?: Language;
  bargeIn: boolean;
  /** Present (true) only when the play was asked to stop on the caller's voice. */
  stopOnVoice?: true;
  /** Not played at all: bargeIn with keys already waiting, or stopOnVoice while talking. */
  skipped: boolean;
  /** Set when the play settles. */
  endT?: number;
  interrupted?: boolean;
  /** What stopped it; recorded on stopOnVoice plays only (where voice or a key could). */
  by?: Heard;
  aborted?: boolean;
}

/** A declared listening window (listen), from t to endT. */
export interface ListenAction extends Timed {
  kind: 'listen';
  ms: number;
  /** Set when it settles; undefined when aborted. */
  result?: Heard | 'timeout';
  endT?: number;
  aborted?: boolean;
}

/** A declared pause that ignores input (pause), from t to endT. */
export interface PauseAction extends Timed {
  kind: 'pause';
  ms: number;
  endT?: number;
  aborted?: boolean;
}

/** A bridge with a leg (bridge), from t to endT. */
export interface BridgeAction extends Timed {
  kind: 'bridge';
  channelId: string;
  /** Who left first; set when it ends. */
  result?: 'caller' | 'leg';
  endT?: number;
  /** The conversation went on in the bridge an earlier controller made (resumeBridge). */
  resumed?: true;
}

/** N14: a recording of the caller's channel or of a bridge, from t to endT (unset while live). */
export interface RecordAction extends Timed {
  kind: 'record';
  target: 'caller' | 'bridge';
  name: string;
  /** Asterisk refused it: it never ran. */
  refused?: true;
  endT?: number;
}

export type CallAction =
  | (Timed & { kind: 'ring' })
  | (Timed & { kind: 'answer' })
  | (Timed & { kind: 'hangup' })
  | (Timed & { kind: 'detect-talk' })
  | (Timed & { kind: 'hold' })
  | (Timed & { kind: 'unhold' })
  | PlayAction
  | ListenAction
  | PauseAction
  | BridgeAction
  | RecordAction;

export interface SpeechEvent extends Timed {
  kind: 'start' | 'end';
  /** False when talk detection was off: Asterisk reported nothing. */
  detected: boolean;
}

export interface DigitWait extends Timed {
  timeoutMs: number;
  /** The key returned, null on timeout; undefined while pending or when aborted. */
  result?: string | null;
  endT?: number;
}

export interface FakeCallOptions {
  id?: string;
  caller?: string;
  language?: Language;
  /** Epoch ms when "Asterisk created the channel"; default: now (fake time). */
  createdAt?: number;
  /** Starts answered (an adopted call). */
  answered?: boolean;
  /** Play time per prompt id, in ms. */
  durations?: Record<string, number>;
  defaultDurationMs?: number;
  /** Talk detection already on (e.g. an adopted call whose earlier controller set it). */
  talkDetect?: boolean;
  /** The clock it runs on; default: the test's clock (fakeClock, see newTestClock). */
  clock?: Clock;
  /** N14: 'refused': Asterisk refuses every recording (default 'ok'). */
  recording?: 'ok' | 'refused';
}

type DigitListener = (digit: string) => void;
type VoiceListener = () => void;

export class FakeCall implements CallPort {
  readonly id: string;
  readonly caller: string;
  readonly createdAt: number;
  /** Fake epoch ms when this call object was made: t=0 of the recorded times. */
  readonly startedAt: number;
  /** The clock its waits and timestamps run on. */
  readonly clock: Clock;
  readonly actions: CallAction[] = [];
  readonly waits: DigitWait[] = [];
  /** Keys pressed, with when. */
  readonly keys: Array<Timed & { digit: string }> = [];
  /** The caller's talk-starts and talk-ends, with when and whether Asterisk reported them. */
  readonly speech: SpeechEvent[] = [];
  hungUpBySystem = false;
  /** True once the caller's voice has been detected (talk-start with detection on). */
  voiceHeard = false;
  private isAnswered: boolean;
  private talkDetectOn: boolean;
  /** The caller makes sound (whether or not detection reports it). */
  private speaking = false;
  /** Asterisk reported talk-start and no talk-end since. */
  private talking = false;
  /** Music on hold is playing. */
  private holding = false;
  private readonly meter = new SilenceMeter();
  private readonly controller = new AbortController();
  private readonly digits: string[] = [];
  private readonly listeners = new Set<DigitListener>();
  private readonly voiceListeners = new Set<VoiceListener>();
  private readonly durations: Record<string, number>;
  private readonly defaultDurationMs: number;
  private readonly recordingMode: 'ok' | 'refused';
  private readonly initialLanguage: Language;
  /** N18: once a context is made for the call, its language is the facts' (a verb may change it). */
  private facts?: { readonly language: Language };

  constructor(options: FakeCallOptions = {}) {
    this.clock = options.clock ?? fakeClock;
    this.startedAt = this.clock.now();
    this.id = options.id ?? 'call-1';
    this.caller = options.caller ?? '13800138000';
    this.initialLanguage = options.language ?? 'zh-CN';
    this.createdAt = options.createdAt ?? this.startedAt;
    this.isAnswered = options.answered ?? false;
    this.durations = { ...options.durations };
    this.defaultDurationMs = options.defaultDurationMs ?? DEFAULT_PROMPT_MS;
    this.recordingMode = options.recording ?? 'ok';
    this.talkDetectOn = options.talkDetect ?? false;
    if (this.isAnswered) this.meter.answered(this.startedAt);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get answered(): boolean {
    return this.isAnswered;
  }

  /** TALK_DETECT is on. */
  get detectingTalk(): boolean {
    return this.talkDetectOn;
  }

  /** Asterisk currently reports the caller talking. */
  get isTalking(): boolean {
    return this.talking;
  }

  /** True while music on hold plays (hold() without unhold() since). */
  get onHold(): boolean {
    return this.holding;
  }

  /** Fake ms since this call was made. */
  now(): number {
    return this.clock.now() - this.startedAt;
  }

  durationOf(promptIds: readonly string[]): number {
    return promptIds.reduce((sum, id) => sum + (this.durations[id] ?? this.defaultDurationMs), 0);
  }

  async ring(): Promise<void> {
    this.signal.throwIfAborted();
    this.actions.push({ kind: 'ring', ...this.stamp() });
    await Promise.resolve();
  }

  async answer(): Promise<void> {
    this.signal.throwIfAborted();
    this.actions.push({ kind: 'answer', ...this.stamp() });
    this.meter.answered(this.clock.now());
    this.isAnswered = true;
    await Promise.resolve();
  }

  /** Turns TALK_DETECT on (recorded once, like the one setVar CallSession sends). */
  async detectTalk(): Promise<void> {
    if (this.talkDetectOn) return;
    this.signal.throwIfAborted(); // setting a variable on a gone channel fails
    this.actions.push({ kind: 'detect-talk', ...this.stamp() });
    this.talkDetectOn = true;
    // A caller already talking is reported as soon as detection listens.
    if (this.speaking) this.talkStarted();
    await Promise.resolve();
  }

  /** N5 figures so far (null when never answered), as CallSession.silence(). */
  silence(): SilenceFigures | null {
    return this.meter.finish(this.clock.now());
  }

  async hangup(): Promise<void> {
    if (this.signal.aborted) return;
    this.hungUpBySystem = true;
    this.actions.push({ kind: 'hangup', ...this.stamp() });
    await Promise.resolve();
  }

  hasTypeAhead(): boolean {
    return this.digits.length > 0;
  }

  get language(): Language {
    return this.facts?.language ?? this.initialLanguage;
  }

  /** N18: the language a play was heard in. */
  langOf(play: PlayAction): Language {
    return play.language ?? this.initialLanguage;
  }

  /** Called by makeContext: like CallSession, the call plays in its facts' language. */
  attachFacts(facts: { readonly language: Language }): void {
    this.facts = facts;
  }

  /** Lifecycle moves are the session's business; the fake only keeps the last one. */
  state = '';
  enter(state: 'in-flow' | 'queued' | 'transferring' | 'bridged'): void {
    this.state = state;
  }

  forgetInput(): void {
    this.digits.length = 0;
    this.talking = false;
  }

  play(promptIds: readonly string[], options: PlayOptions = {}): Promise<PlayResult> {
    this.signal.throwIfAborted();
    const bargeIn = options.bargeIn ?? false;
    const stopOnVoice = options.stopOnVoice ?? false;
    const language = options.language ?? this.language;
    const action: PlayAction = { kind: 'play', ...this.stamp(), prompts: [...promptIds], bargeIn, skipped: false };
    if (language !== this.initialLanguage) action.language = language;
    if (stopOnVoice) action.stopOnVoice = true;
    this.actions.push(action);
    const skip = (by: Heard): Promise<PlayResult> => {
      action.skipped = true;
      action.interrupted = true;
      if (stopOnVoice) action.by = by;
      action.endT = action.t;
      return Promise.resolve({ interrupted: true, by });
    };
    if (bargeIn && this.hasTypeAhead()) return skip('dtmf');
    if (stopOnVoice && this.talking) return skip('voice');
    if (options.stopOn?.aborted) {
      action.skipped = true;
      action.interrupted = true;
      action.endT = action.t;
      return Promise.resolve({ interrupted: true });
    }
    this.meter.audioStarted(this.clock.now());
    return new Promise<PlayResult>((resolve, reject) => {
      const signal = this.signal;
      const settle = () => {
        timer.cancel();
        this.listeners.delete(onDigit);
        this.voiceListeners.delete(onVoice);
        signal.removeEventListener('abort', onAbort);
        options.stopOn?.removeEventListener('abort', onStopOn);
        action.endT = this.now();
        this.meter.audioEnded(this.clock.now());
      };
      const stopBy = (by: Heard, key?: string) => {
        settle();
        action.interrupted = true;
        if (stopOnVoice) action.by = by;
        resolve(key === undefined ? { interrupted: true, by } : { interrupted: true, by, key });
      };
      const { stopKeys } = options;
      const onDigit: DigitListener = (digit) => {
        if (!stopKeys) return stopBy('dtmf');
        // N14: only a stop key stops it, and it answered this prompt; other keys stay buffered.
        if (!stopKeys.includes(digit)) return;
        this.takeKey(digit);
        stopBy('dtmf', digit);
      };
      const onVoice: VoiceListener = () => stopBy('voice');
      const onAbort = () => {
        settle();
        action.aborted = true;
        reject(signal.reason as Error);
      };
      // Stopped from outside (stopOn): interrupted, with no `by`.
      const onStopOn = () => {
        settle();
        action.interrupted = true;
        resolve({ interrupted: true });
      };
      options.stopOn?.addEventListener('abort', onStopOn, { once: true });
      const timer = this.clock.timer(this.durationOf(promptIds), signal, () => {
        settle();
        action.interrupted = false;
        resolve({ interrupted: false });
      });
      if (bargeIn || options.stopKeys) this.listeners.add(onDigit);
      if (stopOnVoice) this.voiceListeners.add(onVoice);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A declared listening window: see the header. */
  listen(ms: number): Promise<Heard | 'timeout'> {
    if (this.signal.aborted) return Promise.reject(this.signal.reason as Error);
    const action: ListenAction = { kind: 'listen', ...this.stamp(), ms };
    this.actions.push(action);
    const early: Heard | undefined = this.talking ? 'voice' : this.hasTypeAhead() ? 'dtmf' : undefined;
    if (early) {
      action.result = early;
      action.endT = action.t;
      return Promise.resolve(early);
    }
    this.meter.listenStarted(this.clock.now());
    return new Promise<Heard | 'timeout'>((resolve, reject) => {
      const signal = this.signal;
      const settle = (result: Heard | 'timeout' | undefined) => {
        timer.cancel();
        this.listeners.delete(onKey);
        this.voiceListeners.delete(onVoice);
        signal.removeEventListener('abort', onAbort);
        action.result = result;
        action.endT = this.now();
        this.meter.listenEnded(this.clock.now());
      };
      const done = (result: Heard | 'timeout') => {
        settle(result);
        resolve(result);
      };
      const onKey: DigitListener = () => done('dtmf'); // the key stays buffered
      const onVoice: VoiceListener = () => done('voice');
      const onAbort = () => {
        settle(undefined);
        action.aborted = true;
        reject(signal.reason as Error);
      };
      const timer = this.clock.timer(ms, signal, () => done('timeout'));
      this.listeners.add(onKey);
      this.voiceListeners.add(onVoice);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A declared pause that ignores input: see the header. */
  pause(ms: number): Promise<void> {
    const action: PauseAction = { kind: 'pause', ...this.stamp(), ms };
    this.actions.push(action);
    this.meter.listenStarted(this.clock.now());
    const signal = this.signal;
    const end = (aborted: boolean) => {
      action.endT = this.now();
      if (aborted) action.aborted = true;
      this.meter.listenEnded(this.clock.now());
    };
    if (signal.aborted) {
      end(true);
      return Promise.reject(abortError(signal));
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        timer.cancel();
        end(true);
        reject(abortError(signal));
      };
      const timer = this.clock.timer(ms, signal, () => {
        signal.removeEventListener('abort', onAbort);
        end(false);
        resolve();
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  nextDigit(timeoutMs: number): Promise<string | null> {
    this.signal.throwIfAborted();
    const wait: DigitWait = { ...this.stamp(), timeoutMs };
    this.waits.push(wait);
    const waiting = this.digits.shift();
    if (waiting !== undefined) {
      wait.result = waiting;
      wait.endT = wait.t;
      return Promise.resolve(waiting);
    }
    this.meter.listenStarted(this.clock.now());
    return new Promise<string | null>((resolve, reject) => {
      const signal = this.signal;
      const settle = (result: string | null | undefined) => {
        timer.cancel();
        this.listeners.delete(onDigit);
        signal.removeEventListener('abort', onAbort);
        wait.result = result;
        wait.endT = this.now();
        this.meter.listenEnded(this.clock.now());
      };
      const onDigit: DigitListener = () => {
        const digit = this.digits.shift() ?? null;
        settle(digit);
        resolve(digit);
      };
      const onAbort = () => {
        settle(undefined);
        reject(signal.reason as Error);
      };
      const timer = this.clock.timer(timeoutMs, signal, () => {
        settle(null);
        resolve(null);
      });
      this.listeners.add(onDigit);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Music on hold: recorded, and audio for the meter until unhold(). */
  async hold(): Promise<void> {
    this.signal.throwIfAborted(); // starting music on a gone channel fails
    this.actions.push({ kind: 'hold', ...this.stamp() });
    if (!this.holding) {
      this.holding = true;
      this.meter.audioStarted(this.clock.now());
    }
    await Promise.resolve();
  }

  /** Ends the music on hold; after the caller left it is no error (recorded all the same). */
  async unhold(): Promise<void> {
    this.actions.push({ kind: 'unhold', ...this.stamp() });
    if (this.holding) {
      this.holding = false;
      this.meter.audioEnded(this.clock.now());
    }
    await Promise.resolve();
  }

  /**
   * After an adoption (see CallPort.resumeBridge): with a leg and `bridgeKept`, the conversation
   * goes on as bridge() does (its action marked resumed); else the bridge is gone (null), noted
   * in `bridgesLeft`.
   */
  bridgeKept = true;
  bridgesLeft = 0;
  resumeBridge(leg: BridgeLeg | undefined, signal: AbortSignal): Promise<{ ended: Promise<'caller' | 'leg'> } | null> {
    if (!leg || !this.bridgeKept) {
      this.bridgesLeft++;
      return Promise.resolve(null);
    }
    const ended = this.bridge(leg, signal);
    (this.actions[this.actions.length - 1] as BridgeAction).resumed = true;
    return Promise.resolve({ ended });
  }

  /**
   * Bridges the caller with `leg` (see CallPort.bridge): 'caller' when the call's signal aborts
   * (at once when it already has: nothing is bridged), 'leg' when the leg is gone or `signal`
   * aborts (at once when it already has). The bridged talk is audio for the meter.
   */
  bridge(leg: BridgeLeg, signal: AbortSignal, options: BridgeOptions = {}): Promise<'caller' | 'leg'> {
    if (this.signal.aborted) return Promise.resolve('caller');
    const action: BridgeAction = { kind: 'bridge', ...this.stamp(), channelId: leg.channelId };
    this.actions.push(action);
    this.meter.audioStarted(this.clock.now());
    // N14: the conversation's recording runs while the two are bridged.
    let recording: LiveRecording | undefined;
    const record = options.record;
    if (record) {
      const made = this.makeRecording('bridge', record.request);
      if (made) record.started((recording = made));
      else record.failed(new Error('Asterisk refused the recording'));
    }
    return new Promise<'caller' | 'leg'>((resolve) => {
      const callSignal = this.signal;
      let over = false;
      const end = (by: 'caller' | 'leg') => {
        if (over) return;
        over = true;
        callSignal.removeEventListener('abort', onCaller);
        signal.removeEventListener('abort', onSignal);
        action.result = by;
        action.endT = this.now();
        this.meter.audioEnded(this.clock.now());
        void recording?.stop();
        resolve(by);
      };
      const onCaller = () => end('caller');
      // A signal derived from the call's aborts with it: the caller left, not the leg.
      const onSignal = () => end(callSignal.aborted ? 'caller' : 'leg');
      callSignal.addEventListener('abort', onCaller, { once: true });
      if (signal.aborted) onSignal();
      else signal.addEventListener('abort', onSignal, { once: true });
      void leg.gone.then(() => end('leg'));
    });
  }

  /** N14: see CallPort.recordCaller and the header. */
  recordCaller(request: RecordRequest): Promise<LiveRecording> {
    if (this.signal.aborted) return Promise.reject(this.signal.reason as Error);
    const made = this.makeRecording('caller', request);
    return made ? Promise.resolve(made) : Promise.reject(new Error('Asterisk refused the recording'));
  }

  /** N14: a listening window that ends on one of keys (taken out of the buffer), or null after ms. */
  waitForKey(keys: readonly string[], ms: number): Promise<string | null> {
    if (this.signal.aborted) return Promise.reject(this.signal.reason as Error);
    const action: ListenAction = { kind: 'listen', ...this.stamp(), ms };
    this.actions.push(action);
    this.meter.listenStarted(this.clock.now());
    return new Promise<string | null>((resolve, reject) => {
      const signal = this.signal;
      const settle = () => {
        timer.cancel();
        this.listeners.delete(onKey);
        signal.removeEventListener('abort', onAbort);
        action.endT = this.now();
        this.meter.listenEnded(this.clock.now());
      };
      const onKey: DigitListener = (digit) => {
        if (!keys.includes(digit)) return; // type-ahead for the next menu
        this.takeKey(digit);
        settle();
        action.result = 'dtmf';
        resolve(digit);
      };
      const onAbort = () => {
        settle();
        action.aborted = true;
        reject(signal.reason as Error);
      };
      const timer = this.clock.timer(ms, signal, () => {
        settle();
        action.result = 'timeout';
        resolve(null);
      });
      this.listeners.add(onKey);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** N14: the recordings that have started and not ended. */
  liveRecordings(): RecordAction[] {
    return this.actions.filter((a): a is RecordAction => a.kind === 'record' && !a.refused && a.endT === undefined);
  }

  /** A 'record' action and its handle, or undefined when Asterisk refuses. */
  private makeRecording(target: 'caller' | 'bridge', request: RecordRequest): LiveRecording | undefined {
    const action: RecordAction = { kind: 'record', ...this.stamp(), target, name: request.name };
    this.actions.push(action);
    if (this.recordingMode === 'refused') {
      action.refused = true;
      return undefined;
    }
    const startedAt = this.clock.now();
    const running = new AbortController();
    let settle!: (end: RecordingEnd) => void;
    const finished = new Promise<RecordingEnd>((resolve) => {
      settle = resolve;
    });
    const end = (): Promise<RecordingEnd> => {
      if (!running.signal.aborted) {
        running.abort();
        this.signal.removeEventListener('abort', onCallEnd);
        action.endT = this.now();
        settle({ state: 'done', endedAt: this.clock.now(), durationMs: this.clock.now() - startedAt });
      }
      return finished;
    };
    const onCallEnd = () => void end();
    this.signal.addEventListener('abort', onCallEnd, { once: true });
    this.clock.timer(request.maxDurationS * 1000, running.signal, () => void end());
    return { name: request.name, startedAt, finished, stop: end };
  }

  private takeKey(digit: string): void {
    const at = this.digits.lastIndexOf(digit);
    if (at >= 0) this.digits.splice(at, 1);
  }

  // ---- the caller's side ----

  /** The caller presses a key: it is buffered, then wakes a waiting nextDigit or a bargeIn play. */
  press(digit: string): void {
    if (this.signal.aborted) throw new Error('press() after the caller hung up');
    this.keys.push({ digit, ...this.stamp() });
    this.digits.push(digit);
    for (const listener of [...this.listeners]) listener(digit);
  }

  /**
   * The caller starts talking. With detection on this is talk-start: talking and voiceHeard are
   * set, a stopOnVoice play stops and a pending listen resolves 'voice'. With detection off
   * Asterisk reports nothing (until detectTalk() turns it on while the caller still talks).
   */
  speak(): void {
    if (this.signal.aborted) throw new Error('speak() after the caller hung up');
    if (this.speaking) return; // no second talk-start without a talk-end
    this.speaking = true;
    this.speech.push({ kind: 'start', detected: this.talkDetectOn, ...this.stamp() });
    if (this.talkDetectOn) this.talkStarted();
  }

  /** The caller stops talking (talk-end when detection reported the start). */
  stopSpeaking(): void {
    if (!this.speaking) return;
    this.speaking = false;
    this.speech.push({ kind: 'end', detected: this.talking, ...this.stamp() });
    this.talking = false;
  }

  /** The caller hangs up: the channel leaves the app and the call's signal aborts. */
  callerHangsUp(): void {
    this.controller.abort(new Error('call ended'));
  }

  // ---- views for assertions ----

  kinds(): string[] {
    return this.actions.map((a) => a.kind);
  }

  plays(): PlayAction[] {
    return this.actions.filter((a): a is PlayAction => a.kind === 'play');
  }

  /** The first action of a kind; throws when there is none. */
  first<K extends CallAction['kind']>(kind: K): Extract<CallAction, { kind: K }> {
    const found = this.actions.find((a) => a.kind === kind);
    if (!found) throw new Error(`no '${kind}' action; actions: ${this.kinds().join(', ')}`);
    return found as Extract<CallAction, { kind: K }>;
  }

  /** The listening windows, in order. */
  listens(): ListenAction[] {
    return this.actions.filter((a): a is ListenAction => a.kind === 'listen');
  }

  /** The pauses, in order. */
  pauses(): PauseAction[] {
    return this.actions.filter((a): a is PauseAction => a.kind === 'pause');
  }

  private talkStarted(): void {
    this.talking = true;
    this.voiceHeard = true;
    for (const listener of [...this.voiceListeners]) listener();
  }

  private stamp(): Timed {
    const at = this.clock.now();
    return { at, t: at - this.startedAt };
  }
}

// ---- flow context ----

export interface RecordedEvent<T extends EventType = EventType> {
  type: T;
  data: EventData[T];
  /** Fake epoch ms. */
  ts: number;
}

/** Any recorded event, with its data typed by its type. */
export type AnyRecordedEvent = { [T in EventType]: RecordedEvent<T> }[EventType];

export interface TestContext extends FlowContext {
  events: AnyRecordedEvent[];
  /** Event types in order. */
  types(): EventType[];
  /** Data of every event of a type, in order. */
  dataOf<T extends EventType>(type: T): Array<EventData[T]>;
}

/** An AbortError as node:timers/promises rejects with (name AbortError, the reason as cause). */
function abortError(signal: AbortSignal): Error {
  const err = new Error('The operation was aborted', { cause: signal.reason });
  err.name = 'AbortError';
  return Object.assign(err, { code: 'ABORT_ERR' });
}

/**
 * The test's clock: the VirtualClock of the running test, which FakeCall (by default),
 * makeContext and advance() use. Replaced by newTestClock(), which every test file calls in
 * beforeEach, so no test sees another's timers or time.
 */
export let fakeClock: VirtualClock = new VirtualClock();

/** A fresh VirtualClock at `startAt` (epoch ms), made the test's clock (fakeClock); returns it. */
export function newTestClock(startAt?: number): VirtualClock {
  fakeClock = new VirtualClock(startAt);
  return fakeClock;
}

/** What a test wires into a context: services, and the facts a call may have gathered already. */
export interface TestContextOptions {
  /** The read-only services bundle (default: none wired). */
  services?: Services;
  /** N12: the caller-history lookup behind facts.earlierToday() (default: no earlier calls). */
  lookupEarlier?: () => EarlierCalls;
  /** Menu keys chosen before this step. */
  trail?: string[];
  /** A ticket the call created or asked about before this step. */
  ticket?: string;
  direction?: CallDirection;
  /** N8: the call is a callback (outbound), with its reserved agent. */
  callback?: CallbackCall;
}

export function makeContext(flow: Flow, call: CallPort, options: TestContextOptions = {}): TestContext {
  const events: AnyRecordedEvent[] = [];
  const facts = createCallFacts({
    direction: options.direction ?? 'inbound',
    caller: call.caller,
    language: flow.hotline.language,
    ...(options.lookupEarlier ? { lookupEarlier: options.lookupEarlier } : {}),
    ...(options.callback ? { callback: options.callback } : {}),
  });
  if (call instanceof FakeCall) call.attachFacts(facts);
  facts.trail.push(...(options.trail ?? []));
  if (options.ticket !== undefined) facts.ticket = options.ticket;
  return {
    call,
    flow,
    clock: fakeClock,
    facts,
    services: Object.freeze({ ...options.services }),
    logger: pino({ level: 'silent' }),
    record(type, data) {
      events.push({ type, data, ts: fakeClock.now() } as AnyRecordedEvent);
    },
    events,
    types: () => events.map((e) => e.type),
    dataOf: <T extends EventType>(type: T) =>
      events.filter((e) => e.type === type).map((e) => e.data as EventData[T]),
  };
}

// ---- flows from YAML ----

const CATALOGUE = fileURLToPath(new URL('../../../prompts/catalogue.yaml', import.meta.url));
let promptIds: ReadonlySet<string> | undefined;

/** The prompt ids of the shipped catalogue (prompts/catalogue.yaml). */
export function catalogueIds(): ReadonlySet<string> {
  promptIds ??= loadCatalogue(CATALOGUE).ids;
  return promptIds;
}

/** A validated Flow from YAML text, checked against the shipped prompt catalogue. */
export function flowFromYaml(text: string): Flow {
  return parseFlow(text, 'test.yaml', catalogueIds());
}

/** Moves the test's clock by `ms`, firing the timers due on the way (0: only what is due now). */
export async function advance(ms = 0): Promise<void> {
  await fakeClock.advance(ms);
}

/** A leg for FakeCall.bridge: `gone` resolves when the test hangs it up. */
export function fakeLeg(channelId = 'leg-1'): BridgeLeg & { hangUp(): void; readonly isGone: boolean } {
  let leave!: () => void;
  let isGone = false;
  const gone = new Promise<void>((resolve) => {
    leave = resolve;
  });
  return {
    channelId,
    gone,
    hangUp() {
      isGone = true;
      leave();
    },
    get isGone() {
      return isGone;
    },
  };
}

/** The step `id` of a flow, checked to be of the verb a test drives. */
export function stepOf<V extends Verb>(flow: Flow, id: string, verb: V): StepOf<V> {
  const step = flow.steps[id];
  if (step?.verb !== verb) throw new Error(`no ${verb} step '${id}'`);
  return step as StepOf<V>;
}

/** Settles `done` into a box so a test can check whether it has settled yet, and how. */
export function track<T>(done: Promise<T>) {
  const box: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  done.then(
    (value) => Object.assign(box, { settled: true, value }),
    (error: unknown) => Object.assign(box, { settled: true, error }),
  );
  return box;
}
