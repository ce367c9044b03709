// N6: transfer to an agent group. The caller hears where the call goes, then music while the
// group's agents ring in strategy order, each for at most the agent-side ring budget (N1,
// Asterisk owns the timeout). The agent hears a whisper (and may have to press 1), the caller
// hears the agent's work number, and the two are bridged. When nobody takes the call the caller
// hears the keys that reach this place next time, computed from the flow.
import type { AgentDesk, AgentLeg } from '../../agents/agent-desk.js';
import type { Agent, AgentClaim } from '../../agents/agent-pool.js';
import type { CallOffer } from '../../agents/call-offer.js';
import { isIdentified } from '../../calls/caller-id.js';
import { whisperPrompts } from '../../agents/whisper-prompts.js';
import { digitPrompts, keyPrompt } from '../../prompts/digit-prompts.js';
import { agentTalkRecording } from '../../recording/call-recording.js';
import { z } from 'zod';
import { keyPathTo } from '../key-path.js';
import type { FlowContext, VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { HoldQueue, waitInQueue } from '../hold-queue.js';
import { PromptId, StepId } from '../schema-parts.js';

// Where the transfer's whisper was first written; its tests import it from here.
export { whisperPrompts } from '../../agents/whisper-prompts.js';

const ACCEPT_TIMEOUT_MS = 10_000;

export const TransferStep = z
  .object({
    verb: z.literal('transfer'),
    group: z.string().min(1).describe('an agent group from the agents section'),
    target: PromptId.describe('the spoken name of the destination (您的电话需转接<target>)'),
    confirm: z.boolean().default(false).describe('the agent presses 1 to take the call'),
    queue: z
      .union([HoldQueue, z.literal(false)])
      .default(false)
      .describe('N5: when no agent of the group is free, the caller waits on hold for the next one; false: the fallback at once'),
    next: StepId.describe('where the caller goes after the conversation'),
    survey: StepId.optional().describe('N16: where the caller goes instead of next when the agent hung up first (a survey step)'),
    failed: StepId.describe('after the fallback phrase when no agent took the call'),
  })
  .strict();
export type TransferStep = z.output<typeof TransferStep>;

const run: VerbRunner<TransferStep> = (ctx, step, stepId) => transferTo(ctx, step, stepId);

/**
 * The transfer. `since`: a caller adopted after a restart while waiting for this group asked for
 * it then, and keeps that place in the hold queue (the callers ahead are adopted with theirs).
 */
async function transferTo(ctx: FlowContext, step: TransferStep, stepId: string, since?: number): Promise<string | undefined> {
  const { call, flow } = ctx;
  const desk = ctx.services.agents;
  const group = flow.agents.groups[step.group];
  // Asterisk is asked who is reachable while the caller hears where the call goes: no silence.
  const lookup = desk && group ? desk.candidates(step.group) : Promise.resolve({ agents: [], unreachable: [] });
  lookup.catch(() => undefined); // the caller may hang up during the intro; the error is not theirs
  await call.play(['transfer.intro', step.target, 'transfer.wait']);
  const { agents: candidates, unreachable } = await lookup;
  ctx.record('transfer.started', { step: stepId, group: step.group, candidates: candidates.map((a) => a.id), unreachable });
  // N9: the group this call waits for, and since when (a dropped call keeps this place).
  ctx.facts.group = step.group;
  if (ctx.facts.queuedAt === undefined) {
    ctx.facts.queuedAt = ctx.clock.now();
    // Carried by the resume point: adopted after a restart, the caller keeps this place.
    ctx.saveResumePoint?.();
  }
  if (!desk) return fallback(ctx, stepId, step.group, step.failed);

  const attempt: AgentAttempt = {
    ctx, desk, step, offer: offerFor(ctx, step.group), limitMs: ringLimit(ctx), ...(since === undefined ? {} : { since }),
  };
  // N8: a callback's agent was reached, and told why, before the callee was dialled: it waits
  // on hold music and is connected at once. An agent who hung up meanwhile is freed, and the
  // group's other agents are rung as for any caller.
  const reserved = ctx.facts.callback;
  if (reserved && reserved.group === step.group) {
    if (desk.isLive(reserved.leg)) {
      call.enter('transferring');
      if (await connectReserved(attempt, reserved.leg)) {
        call.enter('in-flow');
        return afterTalk(ctx, step);
      }
      call.enter('in-flow');
    }
    await reserved.releaseAgent();
  }
  // Callers already in the group's hold queue came first: a new caller waits behind them.
  const queueFirst = step.queue !== false && desk.waiting(step.group) > 0;
  if (candidates.length > 0 && !queueFirst) {
    call.enter('transferring');
    // Music while agents ring and during the whisper (N5: never silence on hold).
    await call.hold();
    try {
      for (const agent of candidates) {
        if (await tryAgent(attempt, agent)) {
          call.enter('in-flow');
          return afterTalk(ctx, step);
        }
      }
    } finally {
      await call.unhold().catch((err: unknown) => ctx.logger.warn({ err }, 'stopping hold music failed'));
    }
    call.enter('in-flow');
  } else if (step.queue !== false) {
    // Nobody free (all on calls, in wrap-up or paused), or others wait already: the hold queue.
    const outcome = await waitInQueue(attempt, stepId, step.queue, tryAgent);
    if (outcome.kind === 'served') return afterTalk(ctx, step);
    if (outcome.kind === 'callback') return outcome.target;
  }
  return fallback(ctx, stepId, step.group, step.failed);
}

/**
 * Adopted after a controller restart at this step. A caller who was talking to an agent goes on
 * talking: the agent's leg is taken back, and the flow goes on from the conversation's end as
 * if nothing had happened (survey or next). Otherwise, or when the conversation ended during the
 * restart, the step runs again: the caller hears where the call goes and the group rings, and
 * a caller who waited for the group (N5, N9) keeps the place in the hold queue it had.
 */
const resume: VerbRunner<TransferStep> = async (ctx, step, stepId) => {
  const { call, facts } = ctx;
  const talking = facts.talking;
  const since = facts.group === step.group ? facts.queuedAt : undefined;
  if (!talking) return transferTo(ctx, step, stepId, since);
  const desk = ctx.services.agents;
  const leg = desk?.rejoin(talking.agent, talking.leg, call.id);
  call.enter('transferring');
  let by: 'caller' | 'leg' | undefined;
  try {
    // Not the call's own signal: a caller who hangs up must end it as the caller, not as the leg.
    const going = await call.resumeBridge(leg, new AbortController().signal);
    ctx.record('transfer.resumed', { agent: talking.agent, step: stepId, outcome: going ? 'talking' : 'over' });
    if (going) {
      call.enter('bridged');
      by = await going.ended;
    }
  } finally {
    // The agent talked to this caller before the restart: wrap-up either way.
    if (leg) await desk!.release(leg, call.id, true);
  }
  call.enter('in-flow');
  facts.talking = undefined;
  if (by === undefined) {
    ctx.saveResumePoint?.();
    return transferTo(ctx, step, stepId, since);
  }
  facts.agent = talking.agent;
  facts.agentLeftFirst = by === 'leg';
  ctx.record('transfer.ended', { agent: talking.agent, by: by === 'leg' ? 'agent' : 'caller' });
  ctx.saveResumePoint?.();
  return afterTalk(ctx, step);
};

/** N16: a caller whose agent hung up first is asked for a rating (the agent cannot skip it). */
function afterTalk(ctx: FlowContext, step: TransferStep): string {
  return ctx.facts.agentLeftFirst && step.survey !== undefined ? step.survey : step.next;
}

/** The agent side of one transfer: the same for agents rung in order and agents the queue gives. */
export interface AgentAttempt {
  ctx: FlowContext;
  desk: AgentDesk;
  step: TransferStep;
  offer: CallOffer;
  limitMs: number;
  /** When the caller first asked for this group, if before this step began (an adopted caller's place). */
  since?: number;
}

/** N1: an agent rings at most the flow's agent-side rings. */
function ringLimit(ctx: FlowContext): number {
  const { cadence, rings } = ctx.flow.agentRing;
  return rings * (cadence.onMs + cadence.offMs);
}

/**
 * Rings one agent (with the claim the queue made, or claiming it now), whispers, and on
 * acceptance bridges the caller: true once the conversation is over. The caller is on hold
 * until the work number. `thanks`: the caller waited in the queue (「感谢您的耐心等待。」).
 */
export async function tryAgent(
  { ctx, desk, step, offer, limitMs }: AgentAttempt,
  agent: Agent,
  claim?: AgentClaim,
  thanks = false,
  onTaken?: () => void,
): Promise<boolean> {
  const { call, flow } = ctx;
  const leg = await desk.ring(agent, offer, limitMs, call.signal, claim);
  // From here the leg is this call's until released, whatever ends the call: the caller's
  // hang-up can arrive in the same instant as the agent's answer or accept key.
  let talked = false;
  try {
    ctx.record('transfer.leg', {
      agent: agent.id, workNumber: agent.workNumber, outcome: leg.outcome, ringMs: leg.ringMs, limitMs, cause: leg.cause,
    });
    call.signal.throwIfAborted();
    if (leg.outcome !== 'answered') return false;
    const taken = await takeCall(ctx, desk, leg, whisperPrompts(offer, step.confirm, flow.whisper), step.confirm);
    call.signal.throwIfAborted();
    if (!taken) return false;
    onTaken?.();
    await call.unhold();
    talked = await talk(ctx, desk, leg, step.group, thanks);
    call.signal.throwIfAborted();
    return true;
  } finally {
    // A caller who left during the work number never talked to the agent: no wrap-up.
    // (A leg that was not answered was freed by the desk when it ended.)
    if (leg.outcome === 'answered') await desk.release(leg, call.id, talked);
  }
}

/**
 * N8: the callback's agent, answered and whispered before the callee was dialled: off hold
 * music, the work number to the callee, the bridge. True once the conversation is over.
 */
async function connectReserved({ ctx, desk, step }: AgentAttempt, leg: AgentLeg): Promise<boolean> {
  const { call } = ctx;
  let talked = false;
  try {
    await desk.music(leg, false);
    call.signal.throwIfAborted();
    talked = await talk(ctx, desk, leg, step.group, false);
    call.signal.throwIfAborted();
    return true;
  } finally {
    await desk.release(leg, call.id, talked);
  }
}

/** What the agent's screen shows while the leg rings; the whisper says the same. */
function offerFor(ctx: FlowContext, group: string): CallOffer {
  // This call's ticket, else the caller's newest one still open from an earlier call.
  const { facts } = ctx;
  const caller = facts.caller;
  const ticket = facts.ticket ?? (isIdentified(caller) ? ctx.services.tickets?.openFor(caller)?.number : undefined);
  return {
    callId: ctx.call.id,
    caller,
    group,
    menuPath: [...facts.trail],
    calledEarlierToday: facts.earlierToday().calls > 0,
    ...(ticket === undefined ? {} : { ticket }),
  };
}

/** The whisper, and the agent's 1 when the flow asks for it. */
async function takeCall(ctx: FlowContext, desk: AgentDesk, leg: AgentLeg, prompts: string[], confirm: boolean): Promise<boolean> {
  const { signal } = ctx.call;
  // N18: the agent hears the whisper in the agent's own language, whatever the caller chose.
  const language = ctx.flow.agents.agents[leg.agent.id]?.language ?? ctx.flow.hotline.language;
  const heard = await desk.whisper(leg, prompts, language, signal);
  const accepted = heard && !signal.aborted && (!confirm || (await desk.awaitAccept(leg, ACCEPT_TIMEOUT_MS, signal)));
  ctx.record('transfer.whisper', { agent: leg.agent.id, prompts, accepted });
  return accepted;
}

/**
 * The work number to the caller, then the bridge until one side leaves. True once the two were
 * bridged (the agent talked to the caller: wrap-up follows). The caller is off hold.
 */
async function talk(ctx: FlowContext, desk: AgentDesk, leg: AgentLeg, group: string, thanks: boolean): Promise<boolean> {
  const { call } = ctx;
  // N5: back from the hold queue, the caller is thanked for waiting before hearing who serves.
  await call.play([...(thanks ? ['hold.thanks'] : []), ...digitPrompts(leg.agent.workNumber), 'agent.serving']);
  ctx.record('transfer.bridged', { group, agent: leg.agent.id, workNumber: leg.agent.workNumber });
  // N12: a later call today from this number is asked whether it is about this one.
  ctx.services.callerHistory?.noteBridged(call.id, group);
  // N8: a caller who reached an agent no longer needs the callback they asked for earlier.
  if (ctx.facts.direction === 'inbound') {
    for (const row of ctx.services.callbacks?.cancelOpenFor(ctx.facts.caller, 'served') ?? []) {
      ctx.record('callback.cancelled', { id: row.id, reason: 'served' });
    }
  }
  call.enter('bridged');
  desk.connected(leg, call.id);
  const until = new AbortController();
  // A restart from here on does not end the conversation: the adopter takes the leg back.
  ctx.facts.talking = { agent: leg.agent.id, leg: leg.channelId };
  ctx.saveResumePoint?.();
  // N14: with the caller's consent the conversation is recorded (the flow's recording mode).
  let by: 'caller' | 'leg';
  try {
    by = await call.bridge(leg, until.signal, agentTalkRecording(ctx, leg.agent.id));
  } finally {
    ctx.facts.talking = undefined;
  }
  ctx.saveResumePoint?.();
  ctx.facts.agent = leg.agent.id;
  ctx.facts.agentLeftFirst = by === 'leg';
  ctx.record('transfer.ended', { agent: leg.agent.id, by: by === 'leg' ? 'agent' : 'caller' });
  return true;
}

async function fallback(ctx: FlowContext, stepId: string, group: string, failed: string): Promise<string> {
  const keys = keyPathTo(ctx.flow, stepId);
  const prompts = ['transfer.failed'];
  if (keys && keys.length > 0) {
    prompts.push('transfer.keys-first', keyPrompt(keys[0]!));
    for (const key of keys.slice(1)) prompts.push('transfer.keys-then', keyPrompt(key));
  }
  ctx.record('transfer.failed', { step: stepId, group, keyPath: keys, prompts });
  await ctx.call.play(prompts);
  return failed;
}

export const transfer = defineVerb({
  verb: 'transfer',
  schema: TransferStep,
  run,
  resume,
  needs: ['agents'],
  targets: (step) => [
    { path: ['next'], step: step.next },
    { path: ['failed'], step: step.failed },
    ...(step.survey !== undefined ? [{ path: ['survey'], step: step.survey }] : []),
    ...(step.queue && step.queue.callback ? [{ path: ['queue', 'callback'], step: step.queue.callback }] : []),
  ],
  prompts: (step) => [{ path: ['target'], prompt: step.target }],
  // The key after the callback offer is a listening window (N5); hold music fills the rest.
  windows: (step) => (step.queue ? [{ path: ['queue', 'offerListenMs'], ms: step.queue.offerListenMs }] : []),
  groups: (step) => [{ path: ['group'], group: step.group }],
  // The callback offer's 1 is a key, but "press 1 after waiting a minute" is no path to give.
  keyEdges: (step) => [
    { to: step.next, key: null },
    { to: step.failed, key: null },
  ],
  // 您的电话需转接… always plays; when no agent takes the call, the caller goes to failed.
  graph: (step) => ({ heard: true, idle: { path: ['failed'], step: step.failed } }),
});
