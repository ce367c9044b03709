// N11: a call that is not for this hotline hears 「这里是<热线名称>,请您查证后再拨。」 (the
// hotline's name is recorded into the prompt when the audio is built), then goes to next, or
// the call ends and the system hangs up. No barge-in: the caller hears whom they reached.
import { z } from 'zod';
import type { VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { StepId } from '../schema-parts.js';

const PROMPT = 'wrong-number';

export const WrongNumberStep = z
  .object({
    verb: z.literal('wrong-number'),
    next: StepId.optional().describe('where the call goes after the phrase; without it the system hangs up'),
  })
  .strict()
  .describe('N11: 这里是<热线名称>,请您查证后再拨。 then next, or hang up');
export type WrongNumberStep = z.output<typeof WrongNumberStep>;

const run: VerbRunner<WrongNumberStep> = async (ctx, step, stepId) => {
  await ctx.call.play([PROMPT]);
  ctx.record('wrong-number.played', { step: stepId, prompts: [PROMPT] });
  return step.next;
};

export const wrongNumber = defineVerb({
  verb: 'wrong-number',
  schema: WrongNumberStep,
  run,
  targets: (step) => (step.next === undefined ? [] : [{ path: ['next'], step: step.next }]),
  // The phrase always plays; without next the call ends there.
  graph: () => ({ heard: true }),
});
