// Plays one prompt or a list of them.
import { z } from 'zod';
import type { VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { Next, PromptId } from '../schema-parts.js';

export const PlayStep = z
  .object({
    verb: z.literal('play'),
    prompt: z.union([PromptId, z.array(PromptId).min(1)]),
    ...Next,
  })
  .strict();
export type PlayStep = z.output<typeof PlayStep>;

const run: VerbRunner<PlayStep> = async (ctx, step) => {
  const prompts = Array.isArray(step.prompt) ? step.prompt : [step.prompt];
  const { interrupted } = await ctx.call.play(prompts);
  ctx.record('prompt.played', { prompts, interrupted });
  return step.next;
};

export const play = defineVerb({
  verb: 'play',
  schema: PlayStep,
  run,
  targets: (step) => [{ path: ['next'], step: step.next }],
  prompts: (step) =>
    Array.isArray(step.prompt)
      ? step.prompt.map((prompt, i) => ({ path: ['prompt', i], prompt }))
      : [{ path: ['prompt'], prompt: step.prompt }],
  // No barge-in: the prompts always play.
  graph: () => ({ heard: true }),
});
