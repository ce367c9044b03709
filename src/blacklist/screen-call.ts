// N11 at call start, before the flow: a caller the blacklist refuses (a listed number or
// pattern, a withheld caller ID when an entry or the flow says so, or a number over the flood
// limit, which lists it) hears the refusal and is hung up; nothing of the flow runs. Inbound
// calls only: the hotline's own callbacks are never screened.
//
// Screening fails open: when the database cannot answer, the call is served (and the error
// logged). A broken blacklist must not turn every caller away.
import type { FlowContext } from '../flow/context.js';
import { planAnswer, readAnswerDelay } from '../flow/ring-budget.js';
import { maskPhone } from '../log/mask-phone.js';
import type { EventData } from '../store/events.js';
import { isWithheld } from './blacklist-match.js';
import type { BlacklistPolicy } from './blacklist-policy.js';
import type { BlacklistStore } from './blacklist-store.js';

export interface ScreenStart {
  /** Taken over from an earlier controller: its start was counted then, so the flood rule skips it. */
  adopted: boolean;
}

/** Why a caller is refused: the blacklist.matched event. */
export type Refusal = EventData['blacklist.matched'];

/** What screening found: a refusal, and the flood rule's new entry when it just listed the number. */
export interface Verdict {
  refusal: Refusal;
  autoAdded?: EventData['blacklist.auto-added'];
}

const MINUTE_MS = 60_000;

/**
 * The decision alone, from the store and the flow's policy: first the entries in force (a
 * number's own entry, then patterns, then anonymous entries), then the flow's `anonymous:
 * refuse`, then the flood rule (more than `calls` calls from the number within the window, this
 * one included, lists the number until now + blockMinutes). Undefined: the caller is served.
 */
export function screenCaller(store: BlacklistStore, policy: BlacklistPolicy, caller: string, now: number, start: ScreenStart): Verdict | undefined {
  const entry = store.match(caller, now);
  if (entry) {
    return { refusal: { entry: entry.id, kind: entry.kind, value: entry.value, reason: entry.reason, source: 'list', prompt: policy.prompt } };
  }
  if (isWithheld(caller)) {
    if (policy.anonymous !== 'refuse') return undefined;
    return {
      refusal: { entry: null, kind: 'anonymous', value: '', reason: 'the flow refuses withheld caller IDs', source: 'flow', prompt: policy.prompt },
    };
  }
  const flood = policy.flood;
  if (!flood || start.adopted) return undefined;
  const calls = store.callsSince(caller, now - flood.withinMinutes * MINUTE_MS);
  if (calls <= flood.calls) return undefined;
  const reason = `flood: ${calls} calls within ${flood.withinMinutes} min (limit ${flood.calls})`;
  const { entry: blocked, added } = store.block(caller, { now, until: now + flood.blockMinutes * MINUTE_MS, reason });
  return {
    refusal: { entry: blocked.id, kind: blocked.kind, value: blocked.value, reason: blocked.reason, source: 'list', prompt: policy.prompt },
    ...(added
      ? {
          autoAdded: {
            entry: blocked.id,
            calls,
            limit: flood.calls,
            withinMinutes: flood.withinMinutes,
            blockMinutes: flood.blockMinutes,
            expiresAt: blocked.expiresAt ?? now + flood.blockMinutes * MINUTE_MS,
          },
        }
      : {}),
  };
}

/**
 * Screens the call and logs the verdict (blacklist.auto-added, blacklist.matched). Returns the
 * refusal, or undefined when the call goes on to the flow. Never throws: a store failure is
 * logged and the caller is served.
 */
export function screenCall(ctx: FlowContext, store: BlacklistStore, start: ScreenStart): Refusal | undefined {
  const { call, clock, logger } = ctx;
  let verdict: Verdict | undefined;
  try {
    verdict = screenCaller(store, ctx.flow.blacklist, call.caller, clock.now(), start);
  } catch (err) {
    logger.error({ err }, 'blacklist: screening failed; the call is served unscreened');
    return undefined;
  }
  if (!verdict) return undefined;
  const { refusal, autoAdded } = verdict;
  if (autoAdded) {
    ctx.record('blacklist.auto-added', autoAdded);
    logger.warn({ entry: autoAdded.entry, calls: autoAdded.calls, expiresAt: autoAdded.expiresAt }, 'blacklist: flood rule blocked the caller');
  }
  ctx.record('blacklist.matched', refusal);
  logger.info({ entry: refusal.entry, kind: refusal.kind, value: maskPhone(refusal.value), source: refusal.source }, 'blacklist: caller refused');
  return refusal;
}

/**
 * The refusal itself: the call is answered (logged as call.answered, as the answer verb logs it,
 * but at once: a refused caller is not kept ringing) and hears the refusal prompt; the call
 * handler hangs up after. A caller who hangs up meanwhile rejects it like any verb (the handler
 * keeps the outcome 'blacklisted').
 */
export async function refuseCall(ctx: FlowContext, refusal: Refusal): Promise<void> {
  const { call, flow, clock } = ctx;
  if (!call.answered) {
    const plan = planAnswer(flow.ring, call.createdAt, clock.now());
    await call.answer();
    const delayMs = clock.now() - call.createdAt;
    const outcome = readAnswerDelay(flow.ring, delayMs);
    ctx.record('call.answered', { delayMs, targetMs: plan.targetMs, rings: outcome.ringNumber, withinBudget: outcome.withinBudget });
  }
  await call.play([refusal.prompt]);
}
