// N5: the hold queue of an agent group, the caller's side. A caller whom no agent can take now
// hears 「请您稍等,我帮您查询一下。」, then music on hold (never silence), a reassurance every
// `reassureMs` counted from the end of the previous prompt, and after `offerMs` of waiting the
// callback offer (1: the flow's callback step; 2 or nothing: keep waiting, offered again
// `offerMs` later). The dispatcher gives the call an agent as one comes free, in order of the
// callers' request times; a prompt under way stops at once (no dead air while it finishes), the
// agent rings with the caller still on hold, and the caller hears 「感谢您的耐心等待。」 before the
// work number. An agent who does not take the call sends the caller back to the same place.
// After `maxWaitMs`, or with `maxLength` callers already waiting, the transfer's fallback.
// With `announcePosition` a reassurance also says the caller's place (queue-position.ts), only
// when it went down since the last one said. A caller whose callback for the group is pending
// (N8) takes the callback's place in line, and the callback is cancelled once the call is served.
import { z } from 'zod';
import type { Agent, AgentClaim } from '../agents/agent-pool.js';
import type { CallbackRow } from '../callbacks/callback-store.js';
import { checkCallbackNumber } from '../callbacks/number-policy.js';
import { childSignal } from '../clock/clock.js';
import type { EventData } from '../store/events.js';
import { placePrompts, placeToAnnounce } from './queue-position.js';
import { Ms, StepId } from './schema-parts.js';
import type { AgentAttempt } from './verbs/transfer.js';

export const HoldQueue = z
  .object({
    reassureMs: Ms(5000, 60_000).default(15_000).describe('N5: a reassurance prompt this long after the previous prompt ended'),
    offerMs: Ms(10_000, 600_000).default(60_000).describe('N5: the callback offer after this long in the queue, and again after as long'),
    offerListenMs: Ms(1000, 30_000).default(5000).describe('wait for 1 or 2 after the offer'),
    callback: StepId.optional().describe('where a caller who presses 1 at the offer goes (a capture-number step); without it no offer is made'),
    maxWaitMs: Ms(10_000, 3_600_000).default(600_000).describe('after this long in the queue, the transfer fallback'),
    maxLength: z.number().int().min(1).max(1000).default(20).describe('callers waiting already: a new one gets the transfer fallback'),
    announcePosition: z
      .boolean()
      .default(false)
      .describe("N5: a reassurance also says the caller's place (您前面还有N位, 您是下一位), only when it is lower than the last one said"),
  })
  .strict();
export type HoldQueue = z.output<typeof HoldQueue>;

export type QueueOutcome = { kind: 'served' } | { kind: 'callback'; target: string } | { kind: 'fallback' };

type TryAgent = (attempt: AgentAttempt, agent: Agent, claim?: AgentClaim, thanks?: boolean, onTaken?: () => void) => Promise<boolean>;

export async function waitInQueue(attempt: AgentAttempt, stepId: string, q: HoldQueue, tryAgent: TryAgent): Promise<QueueOutcome> {
  const { ctx, desk, step } = attempt;
  const { call, clock, flow } = ctx;
  const group = step.group;
  const joinedAt = clock.now();
  const waited = () => clock.now() - joinedAt;
  const left = (reason: EventData['queue.left']['reason']) =>
    ctx.record('queue.left', { step: stepId, group, reason, waitedMs: waited() });
  if (desk.waiting(group) >= q.maxLength) {
    left('full');
    return { kind: 'fallback' };
  }
  call.enter('queued');
  // N8: a caller whose callback for this group is pending takes the callback's place in line.
  const held = heldCallback(ctx, group);
  // An adopted caller (attempt.since) keeps the place it had before the restart.
  const requestedAt = Math.min(joinedAt, held?.createdAt ?? joinedAt, attempt.since ?? joinedAt);
  if (held) ctx.facts.queuedAt = Math.min(ctx.facts.queuedAt ?? requestedAt, requestedAt);
  const entry = desk.join(group, call.id, requestedAt, held?.id);
  ctx.record('queue.joined', {
    step: stepId, group, position: entry.position(), waiting: desk.waiting(group),
    ...(held ? { callback: held.id } : {}),
    ...(requestedAt < joinedAt ? { requestedAt } : {}),
  });
  let outcome: QueueOutcome | undefined;
  // The agent the dispatcher gives the call, when it comes; a new wait after each re-queue (the
  // finally below releases a claim left unused).
  let given = waitForAgent(entry.next(), call.signal);
  try {
    const introAt = clock.now();
    await call.play(['hold.intro'], { stopOn: given.signal });
    let promptEnded = clock.now();
    // How long a hold prompt plays (the last one measured): a reassurance that would still be
    // playing when the offer is due gives its slot to the offer, so the offer is never late and
    // the caller never waits more than reassureMs between prompts.
    let promptMs = promptEnded - introAt;
    let nextOffer = joinedAt + q.offerMs;
    let reassured = 0;
    let offered = 0;
    // N5: the place said last; a place is said again only when it is lower.
    let announced: number | undefined;
    const deadline = joinedAt + q.maxWaitMs;
    for (;;) {
      const nextReassure = promptEnded + q.reassureMs;
      const offerDue = q.callback !== undefined ? nextOffer : Infinity;
      const wakeAt = Math.min(nextReassure, offerDue, deadline);
      await call.hold();
      const claim = await given.within(wakeAt - clock.now(), clock);
      if (claim) {
        given.taken();
        const agent = agentOf(flow, claim.agentId);
        call.enter('transferring');
        const waitedMs = waited();
        const served = () => {
          // The agent took the call: the wait is over (logged before the conversation).
          ctx.record('queue.served', { step: stepId, group, agent: claim.agentId, waitedMs });
          ctx.record('queue.left', { step: stepId, group, reason: 'served', waitedMs });
          outcome = { kind: 'served' };
          // N8: the callback whose place the caller took is not needed any more.
          const cancelled = held && ctx.services.callbacks?.cancel(held.id, 'called-in');
          if (cancelled) ctx.record('callback.cancelled', { id: cancelled.id, reason: 'called-in' });
        };
        if (agent && (await tryAgent(attempt, agent, claim, true, served))) {
          call.enter('in-flow');
          return { kind: 'served' };
        }
        // Not taken (no answer, declined, or removed by a reload): back to the same place.
        if (!agent) claim.release({ answered: false });
        call.signal.throwIfAborted();
        call.enter('queued');
        entry.requeue(claim.agentId);
        given = waitForAgent(entry.next(), call.signal);
        continue;
      }
      const now = clock.now();
      if (now >= deadline) {
        outcome = { kind: 'fallback' };
        left('timeout');
        call.enter('in-flow');
        await call.unhold();
        return outcome;
      }
      // A prompt needs the music off; a found agent stops it at once.
      await call.unhold();
      if (q.callback !== undefined && now + promptMs >= offerDue) {
        offered += 1;
        const offerAt = clock.now();
        call.forgetInput();
        await call.play(['hold.offer-callback'], { bargeIn: true, stopOn: given.signal });
        // A key pressed during the offer is kept and read here; an agent found meanwhile wins.
        const key = given.signal.aborted ? null : await call.nextDigit(q.offerListenMs);
        ctx.record('queue.offered', { step: stepId, group, n: offered, waitedMs: waited(), startedAt: offerAt, key });
        promptEnded = clock.now();
        nextOffer = promptEnded + q.offerMs;
        if (key === '1' && !given.signal.aborted) {
          outcome = { kind: 'callback', target: q.callback };
          left('callback');
          call.enter('in-flow');
          return outcome;
        }
        continue;
      }
      reassured += 1;
      const startedAt = clock.now();
      const place = q.announcePosition ? placeToAnnounce(entry.position(), announced) : null;
      // Counted as said once it starts: a caller who heard part of it must not hear a higher one later.
      if (place !== null) announced = place;
      const played = await call.play(['hold.reassure', ...(place !== null ? placePrompts(place) : [])], { stopOn: given.signal });
      promptEnded = clock.now();
      if (!played.interrupted) promptMs = promptEnded - startedAt;
      ctx.record('queue.reassured', {
        step: stepId, group, n: reassured, waitedMs: waited(), startedAt, endedAt: promptEnded, interrupted: played.interrupted,
      });
      if (place !== null) {
        ctx.record('queue.position', {
          step: stepId, group, position: place, ahead: place - 1, waitedMs: startedAt - joinedAt, startedAt, interrupted: played.interrupted,
        });
        ctx.logger.debug({ group, position: place }, 'queue position announced');
      }
    }
  } finally {
    // A claim the dispatcher made for this call that it never rang goes back to the pool.
    given.releaseUnused();
    entry.leave();
    if (!outcome) {
      // The caller hung up while waiting (or the flow failed): out of the queue at once.
      left('hangup');
    }
  }
}

/**
 * N8: the caller's callback waiting for this group (pending: not being dialled now), when the
 * caller called in: the caller takes its place in line. A hang-up before being served leaves it
 * as it was; being served cancels it ('called-in').
 */
function heldCallback(ctx: AgentAttempt['ctx'], group: string): CallbackRow | undefined {
  const store = ctx.services.callbacks;
  if (!store || ctx.facts.direction !== 'inbound') return undefined;
  const checked = checkCallbackNumber(ctx.facts.caller, ctx.flow.callbacks.allowedPatterns);
  return checked.ok ? store.pendingFor(checked.number, group, ctx.flow.callbacks.group ?? null) : undefined;
}

function agentOf(flow: AgentAttempt['ctx']['flow'], agentId: string): Agent | undefined {
  const entry = flow.agents.agents[agentId];
  return entry ? { id: agentId, ...entry } : undefined;
}

/**
 * The dispatcher's answer for a queued call: `signal` aborts the moment an agent is given (to
 * stop a prompt under way), `within(ms)` waits for it up to ms and returns it, or null.
 */
function waitForAgent(next: Promise<AgentClaim>, callSignal: AbortSignal) {
  const found = childSignal(callSignal);
  let claim: AgentClaim | undefined;
  let used = false;
  const arrived = next.then((c) => {
    claim = c;
    found.abort(new Error('agent found'));
    return c;
  });
  return {
    signal: found.signal,
    /** The claim went to the agent leg (the desk frees it from there). */
    taken: () => {
      used = true;
    },
    releaseUnused: () => {
      if (claim && !used) claim.release({ answered: false });
    },
    async within(ms: number, clock: AgentAttempt['ctx']['clock']): Promise<AgentClaim | null> {
      if (claim) return claim;
      callSignal.throwIfAborted();
      const timeout = childSignal(callSignal);
      try {
        return await Promise.race([
          arrived,
          clock.sleep(Math.max(0, ms), timeout.signal).then(() => null),
        ]);
      } finally {
        timeout.abort();
      }
    },
  };
}
