// N6: transfer to an agent group. The caller hears where the call goes, then music while the
// group's agents ring in strategy order, each for at most the agent-side ring budget (N1,
// Asterisk owns the timeout). The agent hears a whisper (and may have to press 1), the caller
// hears the agent's work number, and the two are bridged. When nobody takes the call the caller
// hears the keys that reach this place next time, computed from the flow.
import type { AgentLeg, OfferInfo } from '../../agents/agent-desk.js';
import { isIdentified } from '../../calls/caller-id.js';
import { digitPrompts, keyPrompt, keyPrompts } from '../../prompts/digit-prompts.js';
import { keyPathTo } from '../key-path.js';
import type { FlowContext, VerbHandler } from '../context.js';
import { WHISPER_PARTS, type WhisperPart } from '../schema.js';

const ACCEPT_TIMEOUT_MS = 10_000;

export const transfer: VerbHandler<'transfer'> = async (ctx, step, stepId) => {
  const { call, flow } = ctx;
  const desk = ctx.agents;
  const group = flow.agents.groups[step.group];
  // Asterisk is asked who is reachable while the caller hears where the call goes: no silence.
  const lookup = desk && group ? desk.candidates(step.group) : Promise.resolve({ agents: [], unreachable: [] });
  lookup.catch(() => undefined); // the caller may hang up during the intro; the error is not theirs
  await call.play(['transfer.intro', step.target, 'transfer.wait']);
  const { agents: candidates, unreachable } = await lookup;
  ctx.record('transfer.started', { step: stepId, group: step.group, candidates: candidates.map((a) => a.id), unreachable });

  if (desk && candidates.length > 0) {
    const { cadence, rings } = flow.agentRing;
    const limitMs = rings * (cadence.onMs + cadence.offMs);
    call.enter('transferring');
    await desk.startMusic(call.id);
    try {
      const offer = offerFor(ctx, step.group);
      for (const agent of candidates) {
        const leg = await desk.ring(agent, offer, limitMs, call.signal);
        call.signal.throwIfAborted();
        ctx.record('transfer.leg', {
          agent: agent.id, workNumber: agent.workNumber, outcome: leg.outcome, ringMs: leg.ringMs, limitMs, cause: leg.cause,
        });
        if (leg.outcome !== 'answered') continue;
        let taken = false;
        try {
          taken = await takeCall(ctx, leg, whisperPrompts(offer, step.confirm, flow.whisper), step.confirm);
        } finally {
          // Not taken, or the whisper failed or the caller left: the agent is free again.
          if (!taken) await desk.release(leg, call.id, false);
        }
        call.signal.throwIfAborted();
        if (taken) return await talk(ctx, leg, step.group, step.next);
      }
    } finally {
      await desk.stopMusic(call.id).catch(() => undefined);
    }
  }
  call.enter('in-flow');
  return fallback(ctx, stepId, step.group, step.failed);
};

/** What the agent's screen shows while the leg rings; the whisper says the same. */
function offerFor(ctx: FlowContext, group: string): OfferInfo {
  // This call's ticket, else the caller's newest one still open from an earlier call.
  const caller = ctx.call.caller;
  const ticket = ctx.ticket ?? (isIdentified(caller) ? ctx.tickets?.openFor(caller)?.number : undefined);
  return {
    callId: ctx.call.id,
    caller: ctx.call.caller,
    group,
    menuPath: [...ctx.trail],
    calledEarlierToday: (ctx.earlierToday?.().calls ?? 0) > 0,
    ...(ticket === undefined ? {} : { ticket }),
  };
}

/**
 * The whisper: the flow's parts in the flow's order (caller number, menu keys, an earlier call
 * today, the ticket), each only when there is something to say; then 接听请按1 when confirming.
 */
export function whisperPrompts(offer: OfferInfo, confirm: boolean, parts: readonly WhisperPart[] = WHISPER_PARTS): string[] {
  const say: Record<WhisperPart, () => string[]> = {
    caller: () => {
      const digits = digitPrompts(offer.caller);
      return digits.length > 0 ? ['whisper.caller', ...digits] : [];
    },
    path: () => (offer.menuPath.length > 0 ? ['whisper.path', ...offer.menuPath.flatMap(keyPrompts)] : []),
    earlier: () => (offer.calledEarlierToday ? ['whisper.earlier'] : []),
    ticket: () => (offer.ticket !== undefined ? ['whisper.ticket', ...digitPrompts(offer.ticket)] : []),
  };
  const prompts = parts.flatMap((part) => say[part]());
  if (confirm) prompts.push('whisper.accept');
  return prompts;
}

/** The whisper, and the agent's 1 when the flow asks for it. */
async function takeCall(ctx: FlowContext, leg: AgentLeg, prompts: string[], confirm: boolean): Promise<boolean> {
  const desk = ctx.agents!;
  const { signal } = ctx.call;
  const heard = await desk.whisper(leg, prompts, ctx.flow.hotline.language, signal);
  const accepted = heard && !signal.aborted && (!confirm || (await desk.awaitAccept(leg, ACCEPT_TIMEOUT_MS, signal)));
  ctx.record('transfer.whisper', { agent: leg.agent.id, prompts, accepted });
  return accepted;
}

/** The work number to the caller, then the bridge; the agent is released whatever happens. */
async function talk(ctx: FlowContext, leg: AgentLeg, group: string, next: string): Promise<string> {
  const { call } = ctx;
  const desk = ctx.agents!;
  let bridged = false;
  try {
    await desk.stopMusic(call.id);
    await call.play([...digitPrompts(leg.agent.workNumber), 'agent.serving']);
    ctx.record('transfer.bridged', { group, agent: leg.agent.id, workNumber: leg.agent.workNumber });
    call.enter('bridged');
    bridged = true;
    const by = await desk.connect(call.id, leg, call.signal);
    ctx.record('transfer.ended', { agent: leg.agent.id, by });
  } finally {
    // A caller who left during the work number never talked to the agent: no wrap-up.
    await desk.release(leg, call.id, bridged);
  }
  call.signal.throwIfAborted();
  call.enter('in-flow');
  return next;
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
