// N1: ringback first, answer after the configured rings, never past the 3rd.
import { z } from 'zod';
import type { VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { planAnswer, readAnswerDelay } from '../ring-budget.js';
import { Next } from '../schema-parts.js';

export const AnswerStep = z.object({ verb: z.literal('answer'), ...Next }).strict();
export type AnswerStep = z.output<typeof AnswerStep>;

const run: VerbRunner<AnswerStep> = async (ctx, step) => {
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
  const plan = planAnswer(ring, call.createdAt, clock.now());
  // Ringback only when there is a ring to hear: a flow that answers at once (or a call whose
  // target has passed) would pay an ARI round trip, and a 180 Asterisk must send, before the
  // answer, for nothing (issue 12: every request counts at 100 calls a second).
  if (plan.waitMs > 0) {
    await call.ring();
    await clock.sleep(plan.waitMs, call.signal);
  }
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

export const answer = defineVerb({
  verb: 'answer',
  schema: AnswerStep,
  run,
  targets: (step) => [{ path: ['next'], step: step.next }],
  // Ringback is not audio the flow plays; an answered (adopted) call passes straight through.
  graph: () => ({ answers: true, plays: false, heard: false }),
});
