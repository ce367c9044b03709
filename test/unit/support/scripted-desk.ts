// An AgentDesk over the real pool and dispatcher whose agents' phones answer as scripted, on a
// VirtualClock: what the callback scheduler's tests (N8) ring, whisper to and free. Claims and
// releases go through the pool as with AriAgentDesk, so "agent busy", wrap-up and the
// dispatcher's order are real.
import type { AgentDesk, AgentLeg, Candidates, QueueEntry } from '../../../src/agents/agent-desk.js';
import type { AgentNotifier } from '../../../src/agents/agent-notifier.js';
import { noClaim, type Agent, type AgentClaim, type AgentPool } from '../../../src/agents/agent-pool.js';
import type { CallOffer } from '../../../src/agents/call-offer.js';
import type { Dispatcher } from '../../../src/agents/dispatcher.js';
import type { VirtualClock } from '../../../src/clock/virtual-clock.js';
import type { Language } from '../../../src/prompts/language.js';
import { fakeLeg } from './fake-call.js';

type Live = ReturnType<typeof fakeLeg>;

export class ScriptedDesk implements AgentDesk {
  /** Every ring, with the offer the agent's screen got. */
  readonly rung: Array<{ agent: string; offer: CallOffer; t: number; timeoutMs: number }> = [];
  readonly whispers: Array<{ agent: string; prompts: string[]; language: Language; t: number }> = [];
  readonly musicLog: Array<{ agent: string; on: boolean; t: number }> = [];
  readonly released: Array<{ agent: string; callId: string; talked: boolean; t: number }> = [];
  /** Whether an agent's phone answers (default: yes). */
  answers: Record<string, boolean> = {};
  /** How long a phone rings before it answers (a phone that does not answer rings its whole budget). */
  ringMs = 0;
  /** How long a whisper plays. */
  whisperMs = 0;
  /** Agent legs an earlier controller left talking, by channel id → agent: what rejoin() can take back. */
  leftTalking: Record<string, string> = {};
  readonly rejoined: Array<{ agent: string; channelId: string; callId: string; t: number }> = [];
  private readonly legs = new Map<string, { claim: AgentClaim; live: Live; releasing: boolean }>();

  constructor(
    readonly pool: AgentPool,
    readonly dispatcher: Dispatcher,
    private readonly clock: VirtualClock,
    private readonly notifier?: AgentNotifier,
  ) {}

  candidates(group: string): Promise<Candidates> {
    return Promise.resolve({ agents: this.pool.candidates(group), unreachable: [] });
  }

  waiting(group: string): number {
    return this.dispatcher.waiting(group);
  }

  join(group: string, owner: string, requestedAt: number, callback?: number): QueueEntry {
    return this.dispatcher.join(group, owner, requestedAt, callback);
  }

  async ring(agent: Agent, offer: CallOffer, timeoutMs: number, signal: AbortSignal, given?: AgentClaim): Promise<AgentLeg> {
    const claim = given ?? this.dispatcher.claim(agent.id, offer.callId, offer.group);
    if (!claim) return { agent, outcome: 'busy', ringMs: 0, channelId: '', gone: Promise.resolve() };
    this.rung.push({ agent: agent.id, offer: structuredClone(offer), t: this.clock.now(), timeoutMs });
    this.notifier?.offer(agent.id, offer);
    const answers = this.answers[agent.id] ?? true;
    const ms = answers ? this.ringMs : timeoutMs;
    if (ms > 0) await this.clock.sleep(ms, signal).catch(() => undefined);
    if (!answers || signal.aborted) {
      claim.release({ answered: false });
      this.notifier?.ended(agent.id, offer.callId);
      return { agent, outcome: signal.aborted ? 'failed' : 'no-answer', ringMs: ms, channelId: '', gone: Promise.resolve() };
    }
    const channelId = `leg-${agent.id}-${this.rung.length}`;
    const live = fakeLeg(channelId);
    this.legs.set(channelId, { claim, live, releasing: false });
    return { agent, outcome: 'answered', ringMs: ms, channelId, gone: live.gone };
  }

  async whisper(leg: AgentLeg, prompts: string[], language: Language, signal: AbortSignal): Promise<boolean> {
    this.whispers.push({ agent: leg.agent.id, prompts: [...prompts], language, t: this.clock.now() });
    if (this.whisperMs > 0) await this.clock.sleep(this.whisperMs, signal).catch(() => undefined);
    return this.isLive(leg) && !signal.aborted;
  }

  awaitAccept(): Promise<boolean> {
    return Promise.resolve(true);
  }

  rejoin(agentId: string, channelId: string, callId: string): AgentLeg | undefined {
    if (this.leftTalking[channelId] !== agentId) return undefined;
    delete this.leftTalking[channelId];
    const agent = this.pool.agent(agentId);
    // As AriAgentDesk: claimed past the queue, or kept without a claim when not available.
    const claim = this.pool.claim(agentId, callId) ?? noClaim(agentId, callId);
    const live = fakeLeg(channelId);
    this.legs.set(channelId, { claim, live, releasing: false });
    this.rejoined.push({ agent: agentId, channelId, callId, t: this.clock.now() });
    this.notifier?.connected(agentId, callId);
    return { agent, outcome: 'answered', ringMs: 0, channelId, gone: live.gone };
  }

  connected(leg: AgentLeg, callId: string): void {
    this.notifier?.connected(leg.agent.id, callId);
  }

  music(leg: AgentLeg, on: boolean): Promise<void> {
    this.musicLog.push({ agent: leg.agent.id, on, t: this.clock.now() });
    return Promise.resolve();
  }

  isLive(leg: AgentLeg): boolean {
    const held = this.legs.get(leg.channelId);
    return held !== undefined && !held.releasing && !held.live.isGone;
  }

  /** The agent hangs up its phone. */
  hangUp(agentId: string): void {
    for (const held of this.legs.values()) if (held.claim.agentId === agentId) held.live.hangUp();
  }

  /** The agents whose legs are up and not released. */
  liveAgents(): string[] {
    return [...this.legs.entries()].filter(([, h]) => !h.releasing && !h.live.isGone).map(([, h]) => h.claim.agentId);
  }

  release(leg: AgentLeg, callId: string, talked: boolean): Promise<void> {
    const held = this.legs.get(leg.channelId);
    if (!held || held.releasing) return Promise.resolve();
    held.releasing = true;
    held.live.hangUp();
    this.legs.delete(leg.channelId);
    held.claim.release({ answered: talked });
    this.released.push({ agent: leg.agent.id, callId, talked, t: this.clock.now() });
    this.notifier?.ended(leg.agent.id, callId);
    return Promise.resolve();
  }
}
