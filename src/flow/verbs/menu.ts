// N4: a DTMF menu. Invalid keys and silence are separate outcomes with their own counters,
// prompts and fallbacks (Adhearsion's contract): a caller who keeps pressing 9 is not the same
// as a caller who says nothing.
import { z } from 'zod';
import type { VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { Digit, Ms, PromptId, Retry, StepId } from '../schema-parts.js';

export const MenuStep = z
  .object({
    verb: z.literal('menu'),
    prompt: PromptId,
    options: z.record(Digit, StepId).refine((o) => Object.keys(o).length > 0, 'a menu needs options'),
    timeoutMs: Ms(1000, 30_000).default(5000).describe('wait for a key after the prompt ends'),
    invalid: Retry.describe('N4: a key that is not an option'),
    noInput: Retry.describe('N4: no key before the timeout'),
  })
  .strict();
export type MenuStep = z.output<typeof MenuStep>;

const run: VerbRunner<MenuStep> = async (ctx, step, stepId) => {
  const { call } = ctx;
  let invalid = 0;
  let noInput = 0;
  let lead: string[] = []; // the retry phrase that goes before the menu prompt
  for (let attempt = 1; ; attempt++) {
    const typeAhead = call.hasTypeAhead();
    if (!typeAhead) {
      ctx.record('menu.prompted', { step: stepId, prompt: step.prompt, attempt });
      await call.play([...lead, step.prompt], { bargeIn: true });
    }
    const digit = await call.nextDigit(step.timeoutMs);
    if (digit === null) {
      noInput += 1;
      ctx.record('menu.no-input', { step: stepId, count: noInput, tries: step.noInput.tries });
      if (noInput >= step.noInput.tries) {
        ctx.record('menu.fallback', { step: stepId, reason: 'no-input', target: step.noInput.then });
        return step.noInput.then;
      }
      lead = [step.noInput.prompt];
      continue;
    }
    const target = step.options[digit];
    if (target !== undefined) {
      ctx.facts.trail.push(digit);
      ctx.record('menu.choice', { step: stepId, digit, target, typeAhead });
      return target;
    }
    invalid += 1;
    ctx.record('menu.invalid', { step: stepId, digit, count: invalid, tries: step.invalid.tries });
    if (invalid >= step.invalid.tries) {
      ctx.record('menu.fallback', { step: stepId, reason: 'invalid', target: step.invalid.then });
      return step.invalid.then;
    }
    lead = [step.invalid.prompt];
  }
};

export const menu = defineVerb({
  verb: 'menu',
  schema: MenuStep,
  run,
  targets: (step) => [
    ...Object.entries(step.options).map(([key, to]) => ({ path: ['options', key], step: to })),
    { path: ['invalid', 'then'], step: step.invalid.then },
    { path: ['noInput', 'then'], step: step.noInput.then },
  ],
  prompts: (step) => [
    { path: ['prompt'], prompt: step.prompt },
    { path: ['invalid', 'prompt'], prompt: step.invalid.prompt },
    { path: ['noInput', 'prompt'], prompt: step.noInput.prompt },
  ],
  windows: (step) => [{ path: ['timeoutMs'], ms: step.timeoutMs }],
  // Only the options: "press X" cannot lead to a fallback for wrong keys or silence.
  keyEdges: (step) => Object.entries(step.options).map(([key, to]) => ({ to, key })),
  // Each pass plays the prompt or takes a key; a caller who keys nothing ends at noInput.then.
  graph: (step) => ({ heard: true, idle: { path: ['noInput', 'then'], step: step.noInput.then } }),
});
