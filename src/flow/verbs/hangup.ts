// The system hangs up.
import { z } from 'zod';
import type { VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';

export const HangupStep = z.object({ verb: z.literal('hangup') }).strict();
export type HangupStep = z.output<typeof HangupStep>;

const run: VerbRunner<HangupStep> = async (ctx) => {
  await ctx.call.hangup();
  return undefined;
};

export const hangup = defineVerb({ verb: 'hangup', schema: HangupStep, run, graph: () => ({ plays: false, idle: null }) });
