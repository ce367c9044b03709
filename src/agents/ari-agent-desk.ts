// The AgentDesk on a real Asterisk: the agent is claimed for the call, its leg is dialled by the
// one outbound-leg module (Asterisk owns the ring timeout, typed outcome), and the agent is
// freed only once its leg is gone. The caller's channel is not touched here: hold music and the
// bridge belong to the call.
import type { Logger } from 'pino';
import type { AriAdapter } from '../ari/ari-adapter.js';
import type { Clock } from '../clock/clock.js';
import type { AnsweredLeg, OutboundDialer } from '../calls/outbound-leg.js';
import type { Language } from '../prompts/language.js';
import type { AgentDesk, AgentLeg, Candidates } from './agent-desk.js';
import type { AgentNotifier } from './agent-notifier.js';
import { AgentPoolError, noClaim, type Agent, type AgentClaim, type AgentPool } from './agent-pool.js';
import type { CallOffer } from './call-offer.js';
import type { Dispatcher, QueueEntry } from './dispatcher.js';
import { checkReachability } from './endpoint-reachability.js';

export interface AriAgentDeskDeps {
  ari: AriAdapter;
  dialer: OutboundDialer;
  pool: AgentPool;
  /** The only claimer of agents (calls ringing in order, and the hold queue). */
  dispatcher: Dispatcher;
  notifier: AgentNotifier;
  clock: Clock;
  logger: Logger;
  /** The service's signal (endpoint lookups end with the controller). */
  signal: AbortSignal;
}

interface Held {
  claim: AgentClaim;
  callId: string;
  leg?: AnsweredLeg;
  releasing?: Promise<void>;
}

export class AriAgentDesk implements AgentDesk {
  /** Claimed agents' legs, by channel id, until released. */
  private readonly held = new Map<string, Held>();

  constructor(private readonly deps: AriAgentDeskDeps) {}

  async candidates(group: string): Promise<Candidates> {
    const { pool, ari, logger, clock, signal } = this.deps;
    let available: Agent[];
    try {
      available = pool.candidates(group);
    } catch (err) {
      // A call that started before a reload may name a group the reload removed: nobody to ring.
      if (err instanceof AgentPoolError && err.code === 'group-not-found') return { agents: [], unreachable: [] };
      throw err;
    }
    const { reachable, unreachable } = await checkReachability(
      available,
      (technology, resource) => ari.endpointState(technology, resource),
      (err, agent) => logger.warn({ err: (err as Error).message, agent: agent.id }, 'endpoint state unknown; ringing anyway'),
      clock,
      signal,
    );
    return { agents: reachable, unreachable };
  }

  waiting(group: string): number {
    return this.deps.dispatcher.waiting(group);
  }

  join(group: string, owner: string, requestedAt: number, callback?: number): QueueEntry {
    return this.deps.dispatcher.join(group, owner, requestedAt, callback);
  }

  async ring(agent: Agent, offer: CallOffer, timeoutMs: number, signal: AbortSignal, given?: AgentClaim): Promise<AgentLeg> {
    const { dialer, notifier, logger } = this.deps;
    const claim = given ?? this.deps.dispatcher.claim(agent.id, offer.callId, offer.group);
    if (!claim) return { agent, outcome: 'busy', ringMs: 0, channelId: '', gone: Promise.resolve() };
    notifier.offer(agent.id, offer);
    let dialled;
    try {
      dialled = await dialer.dial({
        endpoint: agent.endpoint,
        callerId: offer.caller,
        ringBudgetMs: timeoutMs,
        role: 'agent-leg',
        owner: offer.callId,
        signal,
      });
    } catch (err) {
      claim.release({ answered: false });
      notifier.ended(agent.id, offer.callId);
      throw err;
    }
    const { outcome, ringMs, cause, channelId, leg } = dialled;
    logger.debug({ agent: agent.id, channelId, outcome, cause }, 'agent leg rung');
    const result: AgentLeg = {
      agent, outcome, ringMs, channelId, gone: leg?.gone ?? Promise.resolve(), ...(cause === undefined ? {} : { cause }),
    };
    if (outcome === 'answered' && leg) {
      this.held.set(channelId, { claim, callId: offer.callId, leg });
    } else {
      // The dial resolves only once a leg it hung up is gone: the agent's phone is quiet.
      claim.release({ answered: false });
      notifier.ended(agent.id, offer.callId);
    }
    return result;
  }

  async whisper(leg: AgentLeg, prompts: string[], language: Language, signal: AbortSignal): Promise<boolean> {
    const live = this.held.get(leg.channelId)?.leg;
    if (!live) return false;
    return live.play(prompts, language, signal);
  }

  async awaitAccept(leg: AgentLeg, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    const live = this.held.get(leg.channelId)?.leg;
    if (!live || signal.aborted) return false;
    // The agent may answer the question before the whisper has finished asking it.
    const key = await live.nextKey(timeoutMs, signal);
    return key === '1' && !signal.aborted;
  }

  rejoin(agentId: string, channelId: string, callId: string): AgentLeg | undefined {
    const { ari, dialer, pool, notifier, logger } = this.deps;
    let agent: Agent;
    try {
      agent = pool.agent(agentId);
    } catch {
      return undefined; // a reload removed the agent: the leg is hung up as an orphan
    }
    const events = ari.takeAdoptedLeg(channelId, callId);
    if (!events) return undefined;
    // Not through the dispatcher: callers waiting in the queue do not come before the caller
    // this agent is talking to. A paused or logged-out agent (changed during the restart) keeps
    // the conversation without a claim: nothing else would be offered to them anyway.
    const claim = pool.claim(agentId, callId) ?? noClaim(agentId, callId);
    const leg = dialer.adopt(channelId, events);
    this.held.set(channelId, { claim, callId, leg });
    notifier.connected(agentId, callId);
    logger.info({ agent: agentId, channelId }, 'agent leg taken back after adoption: the conversation goes on');
    return { agent, outcome: 'answered', ringMs: 0, channelId, gone: leg.gone };
  }

  connected(leg: AgentLeg, callId: string): void {
    this.deps.notifier.connected(leg.agent.id, callId);
  }

  async music(leg: AgentLeg, on: boolean): Promise<void> {
    await this.held.get(leg.channelId)?.leg?.music(on);
  }

  isLive(leg: AgentLeg): boolean {
    const held = this.held.get(leg.channelId);
    return held?.leg !== undefined && !held.leg.ended && held.releasing === undefined;
  }

  release(leg: AgentLeg, callId: string, talked: boolean): Promise<void> {
    const held = this.held.get(leg.channelId);
    if (!held) return Promise.resolve(); // never answered (freed by ring) or released already
    held.releasing ??= (async () => {
      try {
        await held.leg?.hangup();
      } finally {
        this.held.delete(leg.channelId);
        // Wrap-up and the longest-idle clock are for calls the agent took, not ones declined.
        held.claim.release({ answered: talked });
        this.deps.notifier.ended(leg.agent.id, callId);
      }
    })();
    return held.releasing;
  }
}

