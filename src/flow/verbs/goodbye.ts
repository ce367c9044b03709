// N10: the closing phrase with the weekend and holiday wishes, then the caller hangs up first.
// A caller who lingers hears two gentle prompts, one wait apart, before the system hangs up;
// one who speaks or keys while lingering goes back to the flow (`linger.resume`).
import { dayOfCall } from '../day-of-call.js';
import { closingPrompt } from '../greeting-choice.js';
import { z } from 'zod';
import type { VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { Ms, PromptId, StepId } from '../schema-parts.js';

const Linger = z
  .object({
    waitMs: Ms(1000, 30_000).default(3000).describe('each wait for the caller to hang up'),
    prompts: z.array(PromptId).max(5).default(['linger.1', 'linger.2']),
    resume: StepId.optional().describe('where a caller who speaks or keys while lingering goes'),
  })
  .strict();

export const GoodbyeStep = z
  .object({
    verb: z.literal('goodbye'),
    next: StepId.optional(),
    linger: z
      .union([Linger, z.literal(false)])
      .default({ waitMs: 3000, prompts: ['linger.1', 'linger.2'] })
      .describe('N10: the caller hangs up first; false skips the linger protocol'),
  })
  .strict()
  .describe('N10 closing phrase, then the linger protocol; next defaults to hanging up');
export type GoodbyeStep = z.output<typeof GoodbyeStep>;

const run: VerbRunner<GoodbyeStep> = async (ctx, step) => {
  const { call, clock } = ctx;
  const day = dayOfCall(ctx);
  const { variant, prompt } = closingPrompt(day);
  const startedAt = clock.now();
  await call.play([prompt]);
  ctx.record('goodbye.played', { variant, prompts: [prompt], startedAt, endedAt: clock.now() });

  const linger = step.linger;
  if (!linger) return step.next;
  await call.detectTalk();
  // Only what the caller does from now on counts: a key pressed before the goodbye is stale.
  call.forgetInput();
  const waits = linger.prompts.length + 1;
  for (let n = 0; n < waits; n++) {
    if (n > 0) {
      const prompt = linger.prompts[n - 1]!;
      const promptStart = clock.now();
      const played = await call.play([prompt], { bargeIn: Boolean(linger.resume), stopOnVoice: Boolean(linger.resume) });
      ctx.record('linger.prompted', { n, prompt, startedAt: promptStart, endedAt: clock.now() });
      if (played.by && linger.resume) {
        ctx.record('linger.resumed', { by: played.by, n, target: linger.resume });
        return linger.resume;
      }
    }
    const heard = linger.resume ? await call.listen(linger.waitMs) : (await call.pause(linger.waitMs), 'timeout');
    if (heard !== 'timeout' && linger.resume) {
      ctx.record('linger.resumed', { by: heard, n, target: linger.resume });
      return linger.resume;
    }
  }
  ctx.record('linger.expired', { waits });
  return step.next;
};

export const goodbye = defineVerb({
  verb: 'goodbye',
  schema: GoodbyeStep,
  run,
  targets: (step) => [
    ...(step.next === undefined ? [] : [{ path: ['next'], step: step.next }]),
    ...(step.linger && step.linger.resume !== undefined ? [{ path: ['linger', 'resume'], step: step.linger.resume }] : []),
  ],
  prompts: (step) => (step.linger ? step.linger.prompts.map((prompt, i) => ({ path: ['linger', 'prompts', i], prompt })) : []),
  windows: (step) => (step.linger ? [{ path: ['linger', 'waitMs'], ms: step.linger.waitMs }] : []),
  // The closing phrase always plays; a caller who lingers silently goes to next, or is hung up.
  graph: (step) => ({ heard: true, idle: step.next === undefined ? null : { path: ['next'], step: step.next } }),
});
