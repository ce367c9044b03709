// What the transfer verb may do with agents (N6). The verb depends on this port, not on ARI,
// so its logic can be unit-tested with a fake desk; AriAgentDesk is the real one.
import type { Language } from '../flow/schema.js';
import type { Agent } from './agent-pool.js';

export type LegOutcome = 'answered' | 'no-answer' | 'busy' | 'unreachable' | 'failed';

export interface AgentLeg {
  agent: Agent;
  outcome: LegOutcome;
  /** From the dial to the answer or the end of ringing. */
  ringMs: number;
  cause?: number;
  channelId: string;
}

export interface OfferInfo {
  callId: string;
  caller: string;
  group: string;
  menuPath: string[];
  calledEarlierToday: boolean;
  ticket?: string;
}

export interface Candidates {
  /** Available and reachable, in the group's strategy order. */
  agents: Agent[];
  /** Available, but their phone is not there (endpoint offline or not configured). */
  unreachable: Array<{ agent: string; state: string }>;
}

export interface AgentDesk {
  /** Agents of the group that may be rung now, in the group's strategy order. */
  candidates(group: string): Promise<Candidates>;
  /**
   * Rings one agent; Asterisk ends the ringing after timeoutMs (rounded up to whole seconds).
   * The call's signal cancels the leg (the caller hung up): no agent is left ringing.
   */
  ring(agent: Agent, offer: OfferInfo, timeoutMs: number, signal: AbortSignal): Promise<AgentLeg>;
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
  /** Bridges caller and agent; resolves with who left first. The signal is the caller's. */
  connect(callId: string, leg: AgentLeg, signal: AbortSignal): Promise<'caller' | 'agent'>;
  /**
   * Ends the agent's part: hangs up the leg if still up and frees the agent, with wrap-up only
   * when `talked` (the agent took the call, not just answered the whisper).
   */
  release(leg: AgentLeg, callId: string, talked: boolean): Promise<void>;
  /** Hold music on the caller while agents ring (never silence). */
  startMusic(callId: string): Promise<void>;
  stopMusic(callId: string): Promise<void>;
}
