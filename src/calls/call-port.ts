// What a verb may do to its call. Verbs depend on this interface, not on ARI, so unit tests
// can drive them with a fake call and fake timers; the real one is CallSession.
import type { Language } from '../flow/schema.js';

export interface PlayOptions {
  /** A key stops the prompt (the key is kept for the next menu: type-ahead). */
  bargeIn?: boolean;
}

export interface PlayResult {
  /** True when a key stopped it, or it was skipped because keys were already waiting. */
  interrupted: boolean;
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
}
