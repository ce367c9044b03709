// N16: after an agent call that the agent ended, the caller rates it 1–5 by a key; a wrong key
// or silence gets one re-prompt (by default), then the survey is abandoned. The rating is stored
// with the call, the agent, the group and the ticket. It runs because the agent hung up first
// (the transfer step's `survey`): the agent can neither trigger nor skip it.
import { z } from 'zod';
import type { VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { Ms, Next, PromptId } from '../schema-parts.js';

export const SurveyStep = z
  .object({
    verb: z.literal('survey'),
    prompt: PromptId.default('survey.ask'),
    thanks: PromptId.default('survey.thanks'),
    tries: z.number().int().min(1).max(3).default(2).describe('asks, the first included: 2 is one re-prompt'),
    timeoutMs: Ms(1000, 30_000).default(5000).describe('wait for the rating after the question'),
    ...Next,
  })
  .strict();
export type SurveyStep = z.output<typeof SurveyStep>;

const RATINGS = new Set(['1', '2', '3', '4', '5']);

const run: VerbRunner<SurveyStep> = async (ctx, step, stepId) => {
  const { call, facts } = ctx;
  const store = ctx.services.surveys;
  if (!store) throw new Error('no survey store is wired');
  // Keys pressed during the conversation are not a rating.
  call.forgetInput();
  const keys: string[] = [];
  for (let attempt = 1; attempt <= step.tries; attempt++) {
    await call.play([step.prompt], { bargeIn: true });
    const key = await call.nextDigit(step.timeoutMs);
    if (key !== null && RATINGS.has(key)) {
      const row = store.add({
        callId: call.id,
        agent: facts.agent ?? null,
        group: facts.group ?? null,
        ticket: facts.ticket ?? null,
        rating: Number(key),
        at: ctx.clock.now(),
      });
      ctx.record('survey.rated', { step: stepId, rating: row.rating, agent: row.agent, group: row.group, ticket: row.ticket, attempt });
      await call.play([step.thanks]);
      return step.next;
    }
    if (key !== null) keys.push(key);
  }
  ctx.record('survey.abandoned', { step: stepId, tries: step.tries, keys });
  return step.next;
};

/**
 * Resumed after a crash: a conversation this call rated already (its agent and group, carried
 * into the step) is not rated twice (N17 scores would count it twice): the caller is thanked
 * and goes on. Not rated yet: the step runs from its start.
 */
const resume: VerbRunner<SurveyStep> = async (ctx, step, stepId) => {
  const { call, facts } = ctx;
  const store = ctx.services.surveys;
  const rated = store?.forCall(call.id).some((r) => r.agent === (facts.agent ?? null) && r.group === (facts.group ?? null));
  if (!rated) return await run(ctx, step, stepId);
  await call.play([step.thanks]);
  return step.next;
};

export const survey = defineVerb({
  verb: 'survey',
  schema: SurveyStep,
  run,
  resume,
  needs: ['surveys'],
  targets: (step) => [{ path: ['next'], step: step.next }],
  prompts: (step) => [
    { path: ['prompt'], prompt: step.prompt },
    { path: ['thanks'], prompt: step.thanks },
  ],
  windows: (step) => [{ path: ['timeoutMs'], ms: step.timeoutMs }],
  // Every pass asks the question; a caller who does nothing goes on to next.
  graph: (step) => ({ heard: true, idle: { path: ['next'], step: step.next } }),
});
