// N8: the callback scheduler, and the only module that imports node-cron. Every tick it expires
// callbacks past their promised deadline, then, per agent group, claims at most as many due
// callbacks as the group has free agents (never more dials than agents) in one immediate
// transaction, and works each: agent first (reserved through the dispatcher, which refuses while
// callers wait in the group's hold queue, rung, and told 「回拨:」 why, the number and the ticket,
// its screen shown the callback; then hold music), then the callee dialled through the one
// outbound leg module with the hotline's number as caller ID. An answered callee runs the flow
// from `callbacks.entry` as an outbound call that holds the agent's leg; no answer, busy or a
// failure is retried `retryMs` later up to `attempts`, then the callback is expired (agents
// who do not answer cost the callee no attempt: it is tried again a minute later). Issue 9:
// an answered callee is first listened to by Asterisk's AMD() (callbacks.answeringMachine); a
// machine (by default) is hung up at once with nothing played, and the attempt counts as
// unanswered (outcome `machine`) on the same ladder. A claim
// left by a controller that died is retaken after `claimTimeoutMs`; the attempt is counted when the
// dial starts, so a claim that never dialled is not counted. Outside the callback hours (N15)
// nothing is dialled: what falls due is moved to the next opening. The tick also starts the
// daily revisit job (N16) when its time has come.
import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { AgentDesk, AgentLeg } from '../agents/agent-desk.js';
import type { AgentClaim, AgentPool } from '../agents/agent-pool.js';
import type { CallOffer } from '../agents/call-offer.js';
import type { Dispatcher } from '../agents/dispatcher.js';
import type { ChannelInfo } from '../ari/types.js';
import type { CallStart } from '../calls/handle-call.js';
import type { DialResult, OutboundDialer } from '../calls/outbound-leg.js';
import type { HoursService } from '../calendar/hours-service.js';
import { childSignal, type Clock } from '../clock/clock.js';
import type { Flow } from '../flow/schema.js';
import type { Language } from '../prompts/language.js';
import type { TicketStore } from '../tickets/ticket-store.js';
import { callbackWhisperPrompts } from '../agents/whisper-prompts.js';
import { amdDecision, amdRequest } from './answering-machine.js';
import type { EventData, EventType } from '../store/events.js';
import type { CallbackRow, CallbackStore } from './callback-store.js';
import type { RevisitJob } from './revisit-job.js';

/**
 * The default `callbacks.claimTimeoutMs`: a claim not renewed for this long belongs to a
 * controller that died between claim and dial. A working controller renews its claims every
 * third of the timeout (a heartbeat), so a long agent ring, whisper or callee ring never makes
 * a live claim look dead (which would dial the callee twice).
 */
export const STALE_MS = 120_000;
/** A callback whose agents did not answer is tried again this much later (no attempt counted). */
export const AGENT_RETRY_MS = 60_000;

export interface SchedulerDeps {
  store: CallbackStore;
  pool: AgentPool;
  dispatcher: Dispatcher;
  /** Rings, whispers to and frees the callback's agent (N8: reached before the callee). */
  agents: AgentDesk;
  dialer: OutboundDialer;
  /** N13: the callee's open ticket, for the agent's whisper (a revisit names its own). */
  tickets?: Pick<TicketStore, 'openFor'>;
  /** Runs the flow on an answered callee (an outbound call). */
  runCall: (channel: ChannelInfo, start: CallStart) => Promise<void>;
  /** Logs an event on a call's record (the call that asked for the callback). */
  record: <T extends EventType>(callId: string, type: T, data: EventData[T]) => void;
  currentFlow: () => Flow;
  clock: Clock;
  logger: Logger;
  /** The service's signal: dials in progress end with the controller. */
  signal: AbortSignal;
  /** N15: the callback hours; without it callbacks are dialled at any hour. */
  hours?: Pick<HoursService, 'callbackStatus'>;
  /** N16: the daily revisit job, asked at every tick whether its run is due. */
  revisits?: Pick<RevisitJob, 'runIfDue'>;
}

export class CallbackScheduler {
  private task: ScheduledTask | undefined;
  /** Attempts in progress, so stop() can wait for them. */
  private readonly working = new Set<Promise<void>>();

  constructor(private readonly deps: SchedulerDeps) {}

  /** Ticks every second (node-cron, seconds field). */
  start(): void {
    this.task = cron.schedule('* * * * * *', () => this.tick(), { name: 'callbacks', noOverlap: true });
  }

  /** No more ticks. Attempts under way end with the service's signal (their calls are detached). */
  async stop(): Promise<void> {
    await this.task?.stop();
    await this.task?.destroy();
    this.task = undefined;
  }

  /** Resolves when the attempts under way have ended. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.working]);
  }

  /**
   * One pass: expire, then claim and start working what is due (idle() waits for the work).
   * Synchronous up to the dials, so two ticks never claim the same row. Tests call it directly
   * on a VirtualClock.
   */
  tick(): void {
    if (this.deps.signal.aborted) return;
    const { store, clock } = this.deps;
    const flow = this.deps.currentFlow();
    const now = clock.now();
    for (const row of store.expireOverdue(now)) {
      this.record(row, 'callback.expired', { id: row.id, attempts: row.attempts, promisedBy: row.promisedBy, outcome: row.outcome });
    }
    // N16: revisits are stored at any hour; like every callback they are dialled in callback hours.
    try {
      this.deps.revisits?.runIfDue(now, flow);
    } catch (err) {
      this.deps.logger.error({ err }, 'revisits: the daily run failed; trying again at the next tick');
    }
    // N8/N15: nothing is dialled outside the callback hours. What falls due then moves to the
    // next opening (with its promise); with no opening ahead it waits, and expires at its deadline.
    const hours = this.deps.hours?.callbackStatus(now, flow);
    if (hours && hours.state !== 'open') {
      if (hours.opensAt !== null) this.defer(now, hours.opensAt);
      return;
    }
    if (!flow.callbacks.dial) return; // nobody dials: requests wait for people
    const staleMs = flow.callbacks.claimTimeoutMs;
    for (const rowGroup of store.dueGroups(now, staleMs)) {
      const group = rowGroup ?? flow.callbacks.group ?? null;
      if (group === null) continue;
      const free = this.freeAgents(group);
      const token = randomUUID();
      // N8: a callback whose caller called in and waits in its place is not dialled meanwhile.
      const exclude = this.deps.dispatcher.heldCallbacks();
      const rows = store.claimDue({ group: rowGroup, now, limit: free, token, staleMs, exclude });
      for (const row of rows) {
        const beat = this.heartbeat(row.id, token, staleMs / 3);
        const work = this.attempt(row, group, token)
          .catch((err: unknown) => {
            this.deps.logger.error({ err, callback: row.id }, 'callback attempt failed');
            store.finishAttempt(row.id, token, 'error', { status: 'pending', retryAt: clock.now() + flow.callbacks.retryMs });
          })
          .finally(() => beat.abort());
        this.working.add(work);
        void work.finally(() => this.working.delete(work));
      }
    }
  }

  /**
   * Renews a claim every `everyMs` while its attempt works; stops by itself once the claim is no
   * longer held (the attempt finished it, or an operator cancelled it), or when aborted.
   */
  private heartbeat(id: number, token: string, everyMs: number): { abort(): void } {
    const { clock, store, logger } = this.deps;
    const beat = childSignal(this.deps.signal);
    const renew = () => {
      try {
        if (!store.refreshClaim(id, token, clock.now())) return beat.abort();
      } catch (err) {
        logger.warn({ err, callback: id }, 'callback claim not renewed; trying again'); // a busy database: the next beat retries
      }
      clock.timer(everyMs, beat.signal, renew);
    };
    clock.timer(everyMs, beat.signal, renew);
    return beat;
  }

  /** Agents of the group free now, minus callers waiting for them (callers on the line come first). */
  private freeAgents(group: string): number {
    try {
      return Math.max(0, this.deps.pool.candidates(group).length - this.deps.dispatcher.waiting(group));
    } catch {
      return 0; // a group the flow no longer has
    }
  }

  private async attempt(row: CallbackRow, group: string, token: string): Promise<void> {
    const { store, agents, dialer, clock, logger } = this.deps;
    const flow = this.deps.currentFlow();
    const settings = flow.callbacks;
    // The callee's channel id is chosen now: the agent's screen names the call before it exists.
    const calleeId = randomUUID();
    const offer = this.offerFor(row, group, calleeId);
    // Agent first: reserved, rung and told why before the callee is dialled, so the callee never
    // answers to nobody and the agent knows who is coming.
    const reached = await this.reachAgent(row, group, offer, token);
    if (reached === 'none') {
      store.unclaim(row.id, token); // nobody free after all: untouched, no attempt counted
      return;
    }
    if (reached === 'unanswered') {
      // Nobody took it: not the callee's attempt. Back in line a little later.
      store.finishAttempt(row.id, token, 'no-agent', { status: 'pending', retryAt: clock.now() + AGENT_RETRY_MS });
      return;
    }
    const { claim, leg } = reached;
    let handedOver = false;
    try {
      const dueAt = row.nextAttemptAt ?? row.createdAt;
      const startedAt = clock.now();
      if (!store.startAttempt(row.id, token, startedAt)) return; // the claim was lost (retaken as stale): not ours
      const attempt = row.attempts + 1;
      // The agent waits on hold music while the callee's phone rings.
      await agents.music(leg, true);
      const amd = amdRequest(settings.answeringMachine);
      const result: DialResult = await dialer.dial({
        endpoint: settings.dial!.replaceAll('{number}', row.number),
        callerId: flow.hotline.number,
        ringBudgetMs: settings.ringMs,
        role: 'callback-leg',
        owner: `callback-${row.id}`,
        signal: this.deps.signal,
        channelId: calleeId,
        ...(amd ? { amd } : {}),
      });
      // Issue 9: what answered, by the flow's answering-machine policy.
      const decision = result.outcome === 'answered' && result.leg ? amdDecision(settings.answeringMachine, result.amd) : undefined;
      const outcome = decision?.action === 'retry' ? decision.outcome : result.outcome;
      // A machine is hung up before anything is played to it (a voicemail would record it).
      const hungUp = decision?.action === 'retry' ? result.leg?.hangup() : undefined;
      this.record(row, 'callback.attempt', {
        id: row.id, attempt, agent: claim.agentId, outcome, ringMs: result.ringMs, dueAt, lateMs: startedAt - dueAt,
        ...(result.amd ? { amd: result.amd } : {}),
      });
      logger.info({ callback: row.id, attempt, outcome, ...(result.amd ? { amd: result.amd.status } : {}) }, 'callback attempt');
      await hungUp;
      if (result.outcome !== 'answered' || !result.leg || decision?.action === 'retry') {
        // The agent hears why the line goes quiet, then is free for the next call.
        await agents.whisper(leg, ['callback.agent-unanswered'], this.agentLanguage(flow, claim.agentId), this.deps.signal);
        const retry = attempt < settings.attempts;
        const retryAt = clock.now() + settings.retryMs;
        const next = retry && retryAt < row.promisedBy ? { status: 'pending' as const, retryAt } : { status: 'expired' as const };
        store.finishAttempt(row.id, token, outcome, next);
        if (next.status === 'expired') {
          this.record(row, 'callback.expired', { id: row.id, attempts: attempt, promisedBy: row.promisedBy, outcome });
        }
        return;
      }
      store.finishAttempt(row.id, token, 'answered', { status: 'done' });
      // The callee is a call now: the flow's callback entry, holding the reserved agent.
      const channel: ChannelInfo = {
        id: result.channelId,
        name: `callback-${row.id}`,
        state: 'Up',
        caller: { number: flow.hotline.number, name: '' },
        connected: { number: row.number, name: '' },
        creationtime: new Date(startedAt).toISOString(),
      };
      // N16: a revisit starts at its own greeting when the flow names one.
      const entry = (row.reason === 'revisit' ? settings.revisit?.entry : undefined) ?? settings.entry;
      handedOver = true;
      await this.deps.runCall(channel, {
        adopted: false,
        direction: 'outbound',
        ...(entry === undefined ? {} : { startAt: entry }),
        callback: {
          id: row.id, reason: row.reason, group, claim, leg, attempt,
          releaseAgent: () => agents.release(leg, calleeId, false),
          ...(row.language ? { language: row.language } : {}),
          ...(offer.ticket !== undefined ? { ticket: offer.ticket } : {}),
        },
      });
    } finally {
      // The call frees the agent once it has it; before that, this attempt does.
      if (!handedOver) await agents.release(leg, calleeId, false);
    }
  }

  /**
   * N8: reserves an agent of the group and rings it, in the group's order, until one answers;
   * that agent hears 「回拨:」, why, the number and the ticket, and its screen gets the callback.
   * 'none': no agent could be claimed; 'unanswered': those rung did not answer or hung up.
   */
  private async reachAgent(
    row: CallbackRow,
    group: string,
    offer: CallOffer,
    token: string,
  ): Promise<{ claim: AgentClaim; leg: AgentLeg } | 'none' | 'unanswered'> {
    const { store, dispatcher, pool, agents, clock } = this.deps;
    const flow = this.deps.currentFlow();
    const { cadence, rings } = flow.agentRing;
    const limitMs = rings * (cadence.onMs + cadence.offMs);
    let rung = false;
    for (const agent of pool.candidates(group)) {
      if (this.deps.signal.aborted) break;
      const claim = dispatcher.claim(agent.id, `callback-${row.id}`, group);
      if (!claim) continue;
      rung = true;
      const leg = await agents.ring(agent, offer, limitMs, this.deps.signal, claim);
      this.record(row, 'transfer.leg', {
        agent: agent.id, workNumber: agent.workNumber, outcome: leg.outcome, ringMs: leg.ringMs, limitMs,
        ...(leg.cause === undefined ? {} : { cause: leg.cause }),
      });
      // Ringing agents takes time: the claim on the row is ours still, not a dead controller's.
      store.refreshClaim(row.id, token, clock.now());
      if (leg.outcome !== 'answered') continue; // the desk freed the agent once its phone was quiet
      let kept = false;
      try {
        const prompts = callbackWhisperPrompts(offer, flow.whisper);
        const heard = await agents.whisper(leg, prompts, this.agentLanguage(flow, agent.id), this.deps.signal);
        this.record(row, 'callback.whisper', { id: row.id, agent: agent.id, prompts, heard });
        kept = heard && agents.isLive(leg);
        if (kept) return { claim, leg };
      } finally {
        // Hung up during the whisper (or the whisper failed): freed once the phone is quiet.
        if (!kept) await agents.release(leg, offer.callId, false);
      }
    }
    return rung ? 'unanswered' : 'none';
  }

  /** What the agent's screen and whisper say about the callback. */
  private offerFor(row: CallbackRow, group: string, calleeId: string): CallOffer {
    const ticket = row.ticket ?? this.deps.tickets?.openFor(row.number)?.number;
    return {
      callId: calleeId,
      caller: row.number,
      group,
      menuPath: [],
      calledEarlierToday: false,
      ...(ticket === undefined ? {} : { ticket }),
      callback: { id: row.id, reason: row.reason, attempt: row.attempts + 1 },
    };
  }

  /** N18: an agent hears whispers in the agent's own language. */
  private agentLanguage(flow: Flow, agentId: string): Language {
    return flow.agents.agents[agentId]?.language ?? flow.hotline.language;
  }

  /** Moves what is due now to the next opening of the callback hours, each move logged. */
  private defer(now: number, until: number): void {
    for (const row of this.deps.store.deferDue(now, until)) {
      this.record(row, 'callback.deferred', { id: row.id, dueAt: until, promisedBy: row.promisedBy, closedMs: until - now });
      this.deps.logger.info({ callback: row.id, dueAt: until }, 'callback moved to the next callback hours');
    }
  }

  private record<T extends EventType>(row: CallbackRow, type: T, data: EventData[T]): void {
    this.deps.record(row.callId ?? `callback-${row.id}`, type, data);
  }
}
