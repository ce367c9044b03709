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
}

/** What showed the caller is there. */
export type Heard = 'voice' | 'dtmf';

export interface PlayResult {
  /** True when a key or voice stopped it, or it was skipped because one was already there. */
  interrupted: boolean;
  by?: Heard;
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
  bridge(leg: BridgeLeg, signal: AbortSignal): Promise<'caller' | 'leg'>;
  /** Moves the call's lifecycle (DESIGN §6); an undefined transition is logged and ignored. */
  enter(state: 'in-flow' | 'queued' | 'transferring' | 'bridged'): void;
}
