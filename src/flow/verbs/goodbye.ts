// N10: the closing phrase, with the weekend and holiday wishes.
import { closingPrompt, dayContext } from '../greeting-choice.js';
import type { VerbHandler } from '../context.js';

export const goodbye: VerbHandler<'goodbye'> = async (ctx, step) => {
  const day = dayContext(new Date(ctx.clock.now()), ctx.flow.hotline);
  const { variant, prompt } = closingPrompt(day);
  await ctx.call.play([prompt]);
  ctx.record('goodbye.played', { variant, prompts: [prompt] });
  return step.next;
};
