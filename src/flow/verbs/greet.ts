// N2: greeting by time of day, holiday or weekend; a key stops it and waits for the menu.
import { dayOfCall } from '../day-of-call.js';
import { greetingPrompts } from '../greeting-choice.js';
import { z } from 'zod';
import type { VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { Next } from '../schema-parts.js';

export const GreetStep = z.object({ verb: z.literal('greet'), ...Next }).strict();
export type GreetStep = z.output<typeof GreetStep>;

const run: VerbRunner<GreetStep> = async (ctx, step) => {
  const day = dayOfCall(ctx);
  const { variant, prompts } = greetingPrompts(day);
  const { interrupted } = await ctx.call.play(prompts, { bargeIn: true });
  ctx.record('greeting.played', { variant, holiday: day.holiday, weekend: day.weekend, prompts, interrupted });
  return step.next;
};

export const greet = defineVerb({
  verb: 'greet',
  schema: GreetStep,
  run,
  targets: (step) => [{ path: ['next'], step: step.next }],
  // Barge-in: a key already pressed (type-ahead, kept for the menu) skips the greeting.
  graph: () => ({ heard: false }),
});
