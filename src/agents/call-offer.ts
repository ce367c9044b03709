// What an agent is told about an offered call (N6): the agent's screen shows all of it and the
// whisper says the parts the flow chooses. One type for both, so they cannot drift apart.
import type { CallbackReason } from '../callbacks/deadlines.js';

export interface CallOffer {
  callId: string;
  caller: string;
  /** The agent group the call was transferred to. */
  group: string;
  /** The caller's menu keys in order. */
  menuPath: string[];
  /** N12: the number called earlier today. */
  calledEarlierToday: boolean;
  /** N13: this call's ticket, or the caller's open one. */
  ticket?: string;
  /**
   * N8: the hotline calls back: the agent is reached before the callee is dialled, and told why
   * (the screen gets a `callback` event instead of `offer`). `caller` is the number dialled and
   * `callId` the callee's call, once it answers.
   */
  callback?: { id: number; reason: CallbackReason; attempt: number };
}
