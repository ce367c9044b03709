// N7: a callback number. The caller ID is offered first; the caller confirms it with 1 or keys
// another number ending with #. Every number is checked against the allowed patterns before it
// is read back (a callback must never become toll fraud, and a 200-digit caller ID must not
// become 200 prompts): a refused caller ID is not read back at all and the caller is asked to
// key a number; a refused keyed number hears its own phrase and uses up a try. An allowed number
// is read back digit by digit and counts once confirmed with 1. The stored request carries its
// promised deadline (N8).
import { z } from 'zod';
import { CALLBACK_REASONS } from '../../callbacks/deadlines.js';
import { MAX_NUMBER_DIGITS } from '../../callbacks/number-pattern.js';
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
  let candidate: { number: string; source: 'caller-id' | 'keyed' } | undefined;
  // A caller ID without a digit ("anonymous", "") is simply absent; any other one is checked.
  if (/[0-9]/.test(call.caller)) {
    const checked = checkCallbackNumber(call.caller, patterns);
    if (checked.ok) candidate = { number: checked.number, source: 'caller-id' };
    else ctx.record('callback.refused', { number: loggable(call.caller), reason: checked.reason });
  }

  for (let attempt = 1; attempt <= step.tries; attempt++) {
    if (!candidate) {
      await call.play(['number.enter'], { bargeIn: true });
      const keyed = await keyNumber(call, step.timeoutMs);
      if (!keyed) continue;
      const checked = checkCallbackNumber(keyed, patterns);
      if (!checked.ok) {
        ctx.record('callback.refused', { number: loggable(keyed), reason: checked.reason });
        await call.play(['number.refused']);
        continue;
      }
      candidate = { number: checked.number, source: 'keyed' };
    }
    ctx.record('callback.readback', { number: candidate.number, source: candidate.source, attempt });
    await call.play(['number.readback', ...digitPrompts(candidate.number), 'number.confirm'], { bargeIn: true });
    const answer = await call.nextDigit(step.timeoutMs);
    if (answer !== '1') {
      candidate = undefined; // 2, another key or silence: key the number (again)
      continue;
    }
    const row = ctx.services.callbacks?.add({
      callId: call.id, number: candidate.number, reason: step.reason, now: ctx.clock.now(), language: ctx.facts.language,
    });
    if (!row) throw new Error('no callback store is wired');
    ctx.record('callback.requested', { id: row.id, number: row.number, reason: row.reason, promisedBy: row.promisedBy });
    await call.play(['callback.scheduled']);
    return step.next;
  }
  ctx.record('callback.abandoned', { tries: step.tries });
  return step.failed;
};

/** A refused number as the event log keeps it: an absurdly long caller ID is cut short. */
function loggable(number: string): string {
  return number.length > MAX_NUMBER_DIGITS + 1 ? `${number.slice(0, MAX_NUMBER_DIGITS)}…` : number;
}

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
  // callback.ask always plays (earlier keys are forgotten); no confirmed number: failed.
  graph: (step) => ({ heard: true, idle: { path: ['failed'], step: step.failed } }),
});
