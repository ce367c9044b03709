// N9: a call that drops while the caller waits for or talks to an agent (on hold in the queue,
// while agents ring, or bridged) gets an immediate callback ("dropped": a 3 min promise, N8),
// whose first words are 「非常抱歉,刚才电话断线了。」. A drop is a caller-side end with a cause
// other than a normal clearing: a SIP BYE arrives as 16 (or 0/unknown from AMI), a network or
// radio failure as 27, 34, 38, 41, 102… The callback keeps the caller's place: its request time
// is the time the call first asked for the group.
import type { CallState } from '../calls/lifecycle.js';
import type { CallFacts } from '../calls/call-facts.js';
import type { CallbackRow, CallbackStore } from './callback-store.js';
import { checkCallbackNumber } from './number-policy.js';

/** Q.850 causes of a normal end: unknown (0), normal clearing (16), normal unspecified (31). */
const NORMAL = new Set([0, 16, 31]);
const WAITING_FOR_AGENT: ReadonlySet<CallState> = new Set(['queued', 'transferring', 'bridged']);

export interface CallEnd {
  callId: string;
  facts: CallFacts;
  /** The call's state when the channel left. */
  endedIn: CallState;
  by: 'caller' | 'system';
  cause: number | undefined;
  now: number;
}

export function isDropped(end: Pick<CallEnd, 'endedIn' | 'by' | 'cause'>): boolean {
  return end.by === 'caller' && end.cause !== undefined && !NORMAL.has(end.cause) && WAITING_FOR_AGENT.has(end.endedIn);
}

/** Schedules the apology callback of a dropped call; undefined when the call did not drop or cannot be called back. */
export function recoverDroppedCall(end: CallEnd, store: CallbackStore, allowedPatterns: readonly string[]): CallbackRow | undefined {
  if (end.facts.direction !== 'inbound' || !isDropped(end)) return undefined;
  const checked = checkCallbackNumber(end.facts.caller, allowedPatterns);
  if (!checked.ok) return undefined;
  return store.add({
    callId: end.callId,
    number: checked.number,
    reason: 'dropped',
    group: end.facts.group ?? null,
    now: end.now,
    placeAt: end.facts.queuedAt,
    language: end.facts.language,
  });
}
