import type { VerbHandler } from '../context.js';

export const hangup: VerbHandler<'hangup'> = async (ctx) => {
  await ctx.call.hangup();
  return undefined;
};
