import type { VerbHandler } from '../context.js';

export const play: VerbHandler<'play'> = async (ctx, step) => {
  const prompts = Array.isArray(step.prompt) ? step.prompt : [step.prompt];
  const { interrupted } = await ctx.call.play(prompts);
  ctx.record('prompt.played', { prompts, interrupted });
  return step.next;
};
