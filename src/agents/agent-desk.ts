// What the transfer verb may do with agents (N6). The verb depends on this port, not on ARI,
// so its logic can be unit-tested with a fake desk; AriAgentDesk is the real one. The desk owns
// the agent's side only (the leg, the whisper, the agent's claim and screen); the caller's
// channel belongs to the call (hold music and the bridge are CallPort's).
import type { BridgeLeg } from '../calls/call-port.js';
import type { LegOutcome } from '../calls/outbound-leg.js';
import type { Language } from '../prompts/language.js';
import type { Agent, AgentClaim } from './agent-pool.js';
import type { CallOffer } from './call-offer.js';
import type { QueueEntry } from './dispatcher.js';

export type { QueueEntry } from './dispatcher.js';

export type { LegOutcome } from '../calls/outbound-leg.js';

export interface AgentLeg extends BridgeLeg {
  agent: Agent;
  outcome: LegOutcome;
  /** From the dial to the answer or the end of ringing. */
  ringMs: number;
  cause?: number;
  channelId: string;
}

export interface Candidates {
  /** Available and reachable, in the group's strategy order. */
  agents: Agent[];
  /** Available, but their phone is not there (endpoint offline or not configured). */
  unreachable: Array<{ agent: string; state: string }>;
}

export interface AgentDesk {
  /** Agents of the group that may be rung now, in the group's strategy order. A read: claims nothing. */
  candidates(group: string): Promise<Candidates>;
  /**
   * Rings the agent for the call: with the claim the hold queue gave the call, or else claiming
   * the agent now (refused, as 'busy', while callers wait in the group's queue: they came first).
   * Asterisk ends the ringing after timeoutMs (rounded up to whole seconds). An outcome other
   * than 'answered' has already freed the agent, once its leg was gone. The call's signal
   * cancels the leg (the caller hung up): no agent is left ringing. An answered leg stays
   * claimed until release().
   */
  ring(agent: Agent, offer: CallOffer, timeoutMs: number, signal: AbortSignal, claim?: AgentClaim): Promise<AgentLeg>;
  /** N5: callers waiting in the group's hold queue now. */
  waiting(group: string): number;
  /**
   * N5: puts the call in the group's hold queue; agents that come free are given to it in turn.
   * `callback`: the caller's pending callback whose place it takes (N8).
   */
  join(group: string, owner: string, requestedAt: number, callback?: number): QueueEntry;
  /**
   * Plays prompts to the agent (the whisper); false when the agent hung up meanwhile. The
   * caller's signal ends it early (the caller hung up).
   */
  whisper(leg: AgentLeg, prompts: string[], language: Language, signal: AbortSignal): Promise<boolean>;
  /**
   * The agent's answer to 接听请按1: the first key since the leg was answered (during the
   * whisper too), else the next one within timeoutMs. False on any key but 1, a timeout or
   * either side hanging up.
   */
  awaitAccept(leg: AgentLeg, timeoutMs: number, signal: AbortSignal): Promise<boolean>;
  /**
   * After a controller restart: the agent leg that was talking to this adopted call (its id and
   * agent from the call's resume point), claimed again for the call and handed back live, so the
   * conversation goes on; undefined when that leg is not there any more (hung up meanwhile, or
   * already hung up as an orphan) or the agent is no longer configured. Released like any leg.
   */
  rejoin(agentId: string, channelId: string, callId: string): AgentLeg | undefined;
  /** The agent's screen shows the call as connected (the call bridged it). */
  connected(leg: AgentLeg, callId: string): void;
  /**
   * N8: hold music on the agent's leg, or off: a callback's agent waits on it while the callee
   * is dialled and greeted. A leg that went away is no error.
   */
  music(leg: AgentLeg, on: boolean): Promise<void>;
  /** The leg is answered, held for a call (not released) and still up. */
  isLive(leg: AgentLeg): boolean;
  /**
   * Ends the agent's part: hangs up the leg if still up and, once it is gone, frees the agent,
   * with wrap-up only when `talked` (the agent took the call, not just answered the whisper).
   * Safe to call more than once, and for a leg that was never answered.
   */
  release(leg: AgentLeg, callId: string, talked: boolean): Promise<void>;
}
