// N7: a callback number. The caller ID is offered first; the caller confirms it with 1 or keys
// another number ending with #. Every number is read back digit by digit before it counts, and
// only numbers matching the allowed patterns are stored: a callback must never become toll
// fraud. The stored request carries its promised deadline (N8).
import { z } from 'zod';
import { CALLBACK_REASONS } from '../../callbacks/deadlines.js';
import { checkCallbackNumber } from '../../callbacks/number-policy.js';
import { digitPrompts } from '../../prompts/digit-prompts.js';
import type { VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { keyNumber } from '../key-number.js';
import { Ms, StepId } from '../schema-parts.js';

export const CaptureNumberStep = z
  .object({
    verb: z.literal('capture-number'),
    reason: z.enum(CALLBACK_REASONS).describe('sets the promised callback deadline (N8)'),
    tries: z.number().int().min(1).max(5).default(3),
    timeoutMs: Ms(1000, 30_000).default(5000).describe('wait for each key'),
    next: StepId.describe('after the request is stored'),
    failed: StepId.describe('when no acceptable number was confirmed'),
  })
  .strict();
export type CaptureNumberStep = z.output<typeof CaptureNumberStep>;

const run: VerbRunner<CaptureNumberStep> = async (ctx, step) => {
  const { call } = ctx;
  const patterns = ctx.flow.callbacks.allowedPatterns;
  call.forgetInput();
  await call.play(['callback.ask'], { bargeIn: true });
  let candidate: { number: string; source: 'caller-id' | 'keyed' } | undefined =
    /^[0-9]+$/.test(call.caller) ? { number: call.caller, source: 'caller-id' } : undefined;

  for (let attempt = 1; attempt <= step.tries; attempt++) {
    if (!candidate) {
      await call.play(['number.enter'], { bargeIn: true });
      const keyed = await keyNumber(call, step.timeoutMs);
      if (!keyed) continue;
      candidate = { number: keyed, source: 'keyed' };
    }
    ctx.record('callback.readback', { number: candidate.number, source: candidate.source, attempt });
    await call.play(['number.readback', ...digitPrompts(candidate.number), 'number.confirm'], { bargeIn: true });
    const answer = await call.nextDigit(step.timeoutMs);
    if (answer !== '1') {
      candidate = undefined; // 2, another key or silence: key the number (again)
      continue;
    }
    const checked = checkCallbackNumber(candidate.number, patterns);
    if (!checked.ok) {
      ctx.record('callback.refused', { number: candidate.number, reason: checked.reason });
      await call.play(['number.refused']);
      candidate = undefined;
      continue;
    }
    const row = ctx.services.callbacks?.add({ callId: call.id, number: checked.number, reason: step.reason, now: ctx.clock.now() });
    if (!row) throw new Error('no callback store is wired');
    ctx.record('callback.requested', { id: row.id, number: row.number, reason: row.reason, promisedBy: row.promisedBy });
    await call.play(['callback.scheduled']);
    return step.next;
  }
  ctx.record('callback.abandoned', { tries: step.tries });
  return step.failed;
};

export const captureNumber = defineVerb({
  verb: 'capture-number',
  schema: CaptureNumberStep,
  run,
  needs: ['callbacks'],
  targets: (step) => [
    { path: ['next'], step: step.next },
    { path: ['failed'], step: step.failed },
  ],
  windows: (step) => [{ path: ['timeoutMs'], ms: step.timeoutMs }],
});
