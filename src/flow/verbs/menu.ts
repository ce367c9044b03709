// N4: a DTMF menu. Invalid keys and silence are separate outcomes with their own counters,
// prompts and fallbacks (Adhearsion's contract): a caller who keeps pressing 9 is not the same
// as a caller who says nothing.
import type { VerbHandler } from '../context.js';

export const menu: VerbHandler<'menu'> = async (ctx, step, stepId) => {
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
      ctx.trail.push(digit);
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
