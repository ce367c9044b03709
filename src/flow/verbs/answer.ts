// N1: ringback first, answer after the configured rings, never past the 3rd.
import { planAnswer, readAnswerDelay } from '../ring-budget.js';
import type { VerbHandler } from '../context.js';

export const answer: VerbHandler<'answer'> = async (ctx, step) => {
  const { call, flow, clock } = ctx;
  if (call.answered) {
    // Adopted after the answer: nothing to answer, but voice must be heard from here on (N3).
    await call.detectTalk();
    call.enter('in-flow');
    return step.next;
  }
  const ring = flow.ring;
  ctx.record('call.ringing', {
    cadenceOnMs: ring.cadence.onMs,
    cadenceOffMs: ring.cadence.offMs,
    answerAfterRings: ring.answerAfterRings,
  });
  await call.ring();
  const plan = planAnswer(ring, call.createdAt, clock.now());
  if (plan.waitMs > 0) await clock.sleep(plan.waitMs, call.signal);
  await call.answer();
  const delayMs = clock.now() - call.createdAt;
  // From the first word: a caller who talks over the greeting is there (N3).
  await call.detectTalk();
  const outcome = readAnswerDelay(ring, delayMs);
  ctx.record('call.answered', {
    delayMs,
    targetMs: plan.targetMs,
    rings: outcome.ringNumber,
    withinBudget: outcome.withinBudget,
  });
  if (!outcome.withinBudget) ctx.record('call.answer-breach', { delayMs, limitMs: plan.limitMs });
  call.enter('in-flow');
  return step.next;
};
