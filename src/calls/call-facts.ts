// What is known about one call, owned by its session and shared by the verbs: who, which way,
// in which language, which keys led here, which ticket. Services (stores, the agent desk) are a
// separate read-only bundle; facts are per call and change as the call goes on.
import type { AgentLeg } from '../agents/agent-desk.js';
import type { AgentClaim } from '../agents/agent-pool.js';
import type { CallbackReason } from '../callbacks/deadlines.js';
import type { Language } from '../prompts/language.js';
import type { EarlierCalls } from '../store/caller-history.js';

export type CallDirection = 'inbound' | 'outbound';

/** N8: an outbound call that is a scheduled callback, with the agent reserved for it. */
export interface CallbackCall {
  id: number;
  reason: CallbackReason;
  /** The agent group that calls back. */
  group: string;
  /** The agent reserved before the dial. */
  claim: AgentClaim;
  /**
   * The reserved agent's leg: answered and told why before the callee was dialled, waiting on
   * hold music since. The transfer to `group` connects the callee to it without ringing anyone.
   */
  leg: AgentLeg;
  /**
   * Frees the reserved agent (hangs its leg up) when the callee will not talk to it: they are
   * not the person, want another time, or hung up. Idempotent; nothing once the conversation
   * has released the agent.
   */
  releaseAgent(): Promise<void>;
  attempt: number;
  /** N18: the language of the call that asked for it: the callee is greeted in it. */
  language?: Language;
  /** N13/N16: the ticket it is about (a revisit's): the call's ticket, which a survey rates. */
  ticket?: string;
}

export interface CallFacts {
  /** inbound: a caller dialled the hotline; outbound: the hotline dialled out (a callback). */
  readonly direction: CallDirection;
  /** The other party's number: the caller ID inbound, the number dialled outbound. */
  readonly caller: string;
  /** The language every later prompt is played in (N18); the flow's language at the start. */
  language: Language;
  /** The menu keys chosen so far, in order (the agent whisper and screen, N6). */
  readonly trail: string[];
  /** N13: the ticket this call created or asked about, for the agent whisper. */
  ticket?: string;
  /** N12: this number's calls earlier today (looked up once, on first use). */
  earlierToday(): EarlierCalls;
  /** N8: set on an outbound call that is a callback. */
  readonly callback?: CallbackCall;
  /** N9: the agent group this call last asked for, and when it first asked (its place). */
  group?: string;
  queuedAt?: number;
  /** N16: the agent who last talked with the caller, and whether the agent hung up first. */
  agent?: string;
  agentLeftFirst?: boolean;
  /**
   * The conversation going on now: the agent and the channel of the agent's leg. The call's
   * resume point carries it, so a controller that adopts the call after a restart takes the
   * leg back and the conversation goes on (transfer's resume).
   */
  talking?: { agent: string; leg: string };
  /**
   * N14: the caller's answer to the recording announcement: given (heard it, did not decline)
   * or declined. Absent: never asked, and then nothing is recorded.
   */
  recording?: 'given' | 'declined';
}

export interface NewCallFacts {
  direction: CallDirection;
  caller: string;
  language: Language;
  /** The N12 lookup, asked at most once per call. */
  lookupEarlier?: () => EarlierCalls;
  callback?: CallbackCall;
}

export function createCallFacts(init: NewCallFacts): CallFacts {
  let earlier: EarlierCalls | undefined;
  return {
    direction: init.direction,
    caller: init.caller,
    language: init.language,
    trail: [],
    ...(init.callback ? { callback: init.callback } : {}),
    ...(init.callback?.ticket !== undefined ? { ticket: init.callback.ticket } : {}),
    earlierToday: () => (earlier ??= init.lookupEarlier?.() ?? { calls: 0, lastGroup: null }),
  };
}
