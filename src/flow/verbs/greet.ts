// N2: greeting by time of day, holiday or weekend; a key stops it and waits for the menu.
import { dayContext, greetingPrompts } from '../greeting-choice.js';
import type { VerbHandler } from '../context.js';

export const greet: VerbHandler<'greet'> = async (ctx, step) => {
  const day = dayContext(new Date(ctx.clock.now()), ctx.flow.hotline);
  const { variant, prompts } = greetingPrompts(day);
  const { interrupted } = await ctx.call.play(prompts, { bargeIn: true });
  ctx.record('greeting.played', { variant, holiday: day.holiday, weekend: day.weekend, prompts, interrupted });
  return step.next;
};
