// What a verb may do to its call. Verbs depend on this interface, not on ARI, so unit tests
// can drive them with a fake call and fake timers; the real one is CallSession.
import type { Language } from '../prompts/language.js';

export interface PlayOptions {
  /** A key stops the prompt (the key is kept for the next menu: type-ahead). */
  bargeIn?: boolean;
  /** The caller's voice stops the prompt (N3: a caller who speaks is there). */
  stopOnVoice?: boolean;
  /**
   * Stops the prompt at once when it aborts (N5: an agent was found for a caller on hold, who
   * must not wait for a reassurance to finish). The result is interrupted, with no `by`.
   */
  stopOn?: AbortSignal;
  /**
   * N14: only these keys stop the prompt, and the one that does is taken out of the type-ahead
   * buffer (it answered this prompt: PlayResult.key); any other key stays buffered for the next
   * menu. Keys pressed before the prompt do not stop it.
   */
  stopKeys?: readonly string[];
  /**
   * N18: plays in this language instead of the call's (a language menu offers each language in
   * its own voice). The call's language does not change.
   */
  language?: Language;
}

/** What showed the caller is there. */
export type Heard = 'voice' | 'dtmf';

export interface PlayResult {
  /** True when a key or voice stopped it, or it was skipped because one was already there. */
  interrupted: boolean;
  by?: Heard;
  /** N14: the key of `stopKeys` that stopped the prompt. */
  key?: string;
}

/** N14: what to record and how (Asterisk writes `<name>.<format>` in its recording directory). */
export interface RecordRequest {
  name: string;
  format: 'wav';
  /** Asterisk ends the recording after this long. */
  maxDurationS: number;
}

/** N14: how a recording ended. */
export interface RecordingEnd {
  /**
   * done: Asterisk closed the file; failed: Asterisk reported a failure; unknown: no report came
   * (the recorded channel left first): the file on disk decides.
   */
  state: 'done' | 'failed' | 'unknown';
  /** Epoch ms. */
  endedAt: number;
  /** The length Asterisk reported (whole seconds), when it reported one. */
  durationMs: number | null;
  cause?: string;
}

/** N14: a recording in progress. It ends with stop(), at its maximum length, or with the call. */
export interface LiveRecording {
  readonly name: string;
  /** Epoch ms when Asterisk took the request. */
  readonly startedAt: number;
  /** Settles once the recording has ended, however it ended; never rejects. */
  readonly finished: Promise<RecordingEnd>;
  /** Stops it (the file is kept) and resolves when it has ended; the same end once it has. */
  stop(): Promise<RecordingEnd>;
}

/** N14: a recording of the bridge, started once both sides are in it and ended with it. */
export interface BridgeRecording {
  request: RecordRequest;
  /** Called once Asterisk records (the caller keeps its books from here). */
  started(recording: LiveRecording): void;
  /** Called when Asterisk refused; the conversation goes on unrecorded. */
  failed(err: unknown): void;
}

export interface BridgeOptions {
  record?: BridgeRecording;
}

/** The other side of a bridge: a channel this call dialled, and when it ends. */
export interface BridgeLeg {
  readonly channelId: string;
  /** Resolves when the leg's channel has left (hung up or gone); never rejects. */
  readonly gone: Promise<void>;
}

export interface CallPort {
  readonly id: string;
  readonly caller: string;
  readonly language: Language;
  /** Aborted when the caller's channel leaves the app: every wait must take it. */
  readonly signal: AbortSignal;
  /** Epoch ms when Asterisk created the channel: the start of the ring budget (N1). */
  readonly createdAt: number;
  readonly answered: boolean;
  ring(): Promise<void>;
  answer(): Promise<void>;
  /** Hangs up from the system side (logged as such). */
  hangup(): Promise<void>;
  play(promptIds: readonly string[], options?: PlayOptions): Promise<PlayResult>;
  /** Next key: a waiting type-ahead key at once, else the next one pressed, or null on timeout. */
  nextDigit(timeoutMs: number): Promise<string | null>;
  /** True when keys pressed earlier wait to be read. */
  hasTypeAhead(): boolean;
  /**
   * Drops keys pressed earlier and the "caller is talking" state: they answered a question that
   * is over. (Asterisk sends talk-end only while audio frames flow; a caller whose line went
   * quiet would otherwise count as talking forever.)
   */
  forgetInput(): void;
  /** True once the caller's voice has been detected since the answer. */
  readonly voiceHeard: boolean;
  /** Turns on Asterisk talk detection with the flow's thresholds (once per call). */
  detectTalk(): Promise<void>;
  /**
   * A declared listening window (N5): resolves 'voice' or 'dtmf' at once if the caller is
   * talking or a key waits, else on the first voice or key, or 'timeout' after ms. Keys stay
   * in the type-ahead buffer for the next menu.
   */
  listen(ms: number): Promise<Heard | 'timeout'>;
  /** A deliberate pause (declared, so not dead air) that ignores input. */
  pause(ms: number): Promise<void>;
  /** Music on hold (N5: a caller on hold hears music, never silence); counts as audio. */
  hold(): Promise<void>;
  /** Ends the music on hold; a call already gone is not an error. */
  unhold(): Promise<void>;
  /**
   * Bridges the caller with a leg this call dialled (an agent, or the callee of a callback) and
   * waits until one side leaves: 'caller' when the caller's channel left (the call's signal has
   * aborted), 'leg' when the leg hung up first or `signal` ended the bridge. Bridged talk counts
   * as audio (N5).
   */
  bridge(leg: BridgeLeg, signal: AbortSignal, options?: BridgeOptions): Promise<'caller' | 'leg'>;
  /**
   * After a controller restart: when the bridge the earlier controller made still holds this
   * adopted call and `leg`, their conversation goes on there: `ended` settles like bridge()
   * once one side leaves (the bridge goes then). null, with the bridge removed, when it no longer
   * holds both (or there is no leg): the conversation is over and the flow goes on without it.
   */
  resumeBridge(leg: BridgeLeg | undefined, signal: AbortSignal): Promise<{ ended: Promise<'caller' | 'leg'> } | null>;
  /**
   * N14: records the caller's channel, both directions (what the caller says and hears), from
   * now until stop(), the maximum length, or the end of the call: a hang-up at any moment leaves
   * no live recording behind. Rejects when Asterisk refuses or the call has ended.
   */
  recordCaller(request: RecordRequest): Promise<LiveRecording>;
  /**
   * N14: a declared listening window (N5) that ends on one of `keys`, pressed from now on (taken
   * out of the type-ahead buffer and returned), or null after ms. Other keys and voice do not
   * end it; other keys stay buffered for the next menu.
   */
  waitForKey(keys: readonly string[], ms: number): Promise<string | null>;
  /** Moves the call's lifecycle (DESIGN §6); an undefined transition is logged and ignored. */
  enter(state: 'in-flow' | 'queued' | 'transferring' | 'bridged'): void;
}
