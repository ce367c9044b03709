// N8: the callee of a callback says "not now" (2 at the greeting) and keys a better hour: two
// digits (one digit and # for 8 or 9), `from`–`to` (08–20 by default), at its next occurrence
// in the hotline's time zone (today if it is still ahead, else tomorrow), inside the callback
// hours (N15). The callback is open again for that hour, promised by its reason's promise from
// then, with a fresh ladder of attempts; the callee hears when (「好的,我们将在(明天)下午3点给您回电。」).
// An hour outside the range or the callback hours is refused with its own phrase and asked again;
// no usable hour after `tries`: the callback stays answered (outcome 'declined'), and the flow
// goes on to `failed` (a polite goodbye). The agent reserved for this attempt is freed at once.
import { z } from 'zod';
import { localDate, nextWallClock } from '../../calendar/local-time.js';
import type { CallPort } from '../../calls/call-port.js';
import type { VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { Ms, PromptId, StepId } from '../schema-parts.js';

const Hour = z.number().int().min(0).max(23);

export const RescheduleCallbackStep = z
  .object({
    verb: z.literal('reschedule-callback'),
    prompt: PromptId.default('callback.ask-hour').describe('asks for the hour (请输入方便接听电话的时间…)'),
    refused: PromptId.default('callback.hour-refused').describe('an hour outside the range or the callback hours'),
    from: Hour.default(8).describe('the earliest hour a callee may key'),
    to: Hour.default(20).describe('the latest hour a callee may key'),
    tries: z.number().int().min(1).max(5).default(2),
    timeoutMs: Ms(1000, 30_000).default(5000).describe('wait for each key'),
    next: StepId.describe('after the callback was moved to the hour keyed'),
    failed: StepId.describe('when no usable hour was keyed (or the call is no callback)'),
  })
  .strict()
  .refine((step) => step.from <= step.to, { message: 'from must not be later than to', path: ['to'] });
export type RescheduleCallbackStep = z.output<typeof RescheduleCallbackStep>;

/** Up to two digits: a second digit, # or a pause ends them; * starts again. */
async function keyHour(call: CallPort, timeoutMs: number): Promise<string> {
  let keys = '';
  while (keys.length < 2) {
    const key = await call.nextDigit(timeoutMs);
    if (key === null || key === '#') break;
    if (key === '*') keys = '';
    else keys += key;
  }
  return keys;
}

const pad = (n: number) => String(n).padStart(2, '0');

const run: VerbRunner<RescheduleCallbackStep> = async (ctx, step, stepId) => {
  const { call, flow, clock } = ctx;
  const callback = ctx.facts.callback;
  const store = ctx.services.callbacks;
  if (!callback || !store) {
    ctx.logger.warn({ step: stepId }, 'reschedule-callback on a call that is no callback: nothing to move');
    return step.failed;
  }
  // The callee will not talk now: the agent waiting for them is free for others.
  await callback.releaseAgent();
  call.forgetInput();
  const zone = flow.hotline.timezone;
  const keys: string[] = [];
  for (let attempt = 1; attempt <= step.tries; attempt++) {
    await call.play([step.prompt], { bargeIn: true });
    const keyed = await keyHour(call, step.timeoutMs);
    if (keyed === '') continue;
    keys.push(keyed);
    const hour = Number(keyed);
    const now = clock.now();
    const dueAt = nextWallClock(now, `${pad(hour)}:00`, zone);
    const open = ctx.services.hours ? ctx.services.hours.callbackStatus(dueAt, flow).state === 'open' : true;
    if (hour < step.from || hour > step.to || !open) {
      await call.play([step.refused], { bargeIn: true });
      continue;
    }
    const row = store.reopen(callback.id, dueAt);
    if (!row) break; // cancelled meanwhile, or another callback of the number calls back
    ctx.record('callback.rescheduled', { id: row.id, hour, dueAt, promisedBy: row.promisedBy, attempt });
    const today = localDate(now, zone);
    const day = localDate(dueAt, zone);
    const tomorrow = day.day !== today.day || day.month !== today.month || day.year !== today.year;
    await call.play(['callback.rescheduled', ...(tomorrow ? ['callback.tomorrow'] : []), `hour.${pad(hour)}`, 'callback.rescheduled-end']);
    return step.next;
  }
  store.noteOutcome(callback.id, 'declined');
  ctx.record('callback.declined', { id: callback.id, tries: step.tries, keys });
  return step.failed;
};

export const rescheduleCallback = defineVerb({
  verb: 'reschedule-callback',
  schema: RescheduleCallbackStep,
  run,
  needs: ['callbacks'],
  targets: (step) => [
    { path: ['next'], step: step.next },
    { path: ['failed'], step: step.failed },
  ],
  prompts: (step) => [
    { path: ['prompt'], prompt: step.prompt },
    { path: ['refused'], prompt: step.refused },
  ],
  windows: (step) => [{ path: ['timeoutMs'], ms: step.timeoutMs }],
  // The question always plays; a callee who keys nothing goes to failed.
  graph: (step) => ({ heard: true, idle: { path: ['failed'], step: step.failed } }),
});
