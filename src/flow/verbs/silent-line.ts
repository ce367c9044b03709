// N3: a caller who makes no sound and presses no key is asked up to three times, then hears a
// polite goodbye and is hung up. Voice (TALK_DETECT) or a key ends the protocol at once; a key
// stays in the buffer for the menu that follows.
import type { Heard } from '../../calls/call-port.js';
import { z } from 'zod';
import type { VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { Ms, PromptId, StepId } from '../schema-parts.js';

export const SilentLineStep = z
  .object({
    verb: z.literal('silent-line'),
    firstListenMs: Ms(0, 30_000).default(5000).describe('listening after the previous prompt, before attempt 1'),
    attempts: z
      .array(PromptId)
      .min(1)
      .max(5)
      .default(['silent.attempt1', 'silent.attempt2', 'silent.attempt2'])
      .describe('one prompt per attempt'),
    listenMs: Ms(1000, 30_000).default(5000).describe('listening after each attempt prompt ends'),
    goodbye: PromptId.default('silent.goodbye'),
    pauseMs: Ms(0, 10_000).default(2000).describe('pause after the goodbye before hanging up'),
    next: StepId.describe('where a caller who spoke or keyed goes (keys stay for the menu)'),
    onSilence: StepId.optional().describe('instead of goodbye and hang-up (a crisis line transfers)'),
  })
  .strict();
export type SilentLineStep = z.output<typeof SilentLineStep>;

const run: VerbRunner<SilentLineStep> = async (ctx, step, stepId) => {
  const { call, clock } = ctx;
  await call.detectTalk();
  const present = (by: Heard, attempt: number) => {
    ctx.record('silent.ended', { step: stepId, by, attempt });
    return step.next;
  };
  // A caller who already spoke (over the greeting) is there: no protocol at all.
  if (call.voiceHeard) return present('voice', 0);
  if (call.hasTypeAhead()) return present('dtmf', 0);

  let heard = await call.listen(step.firstListenMs);
  if (heard !== 'timeout') return present(heard, 0);

  for (const [i, prompt] of step.attempts.entries()) {
    const attempt = i + 1;
    const startedAt = clock.now();
    const played = await call.play([prompt], { bargeIn: true, stopOnVoice: true });
    ctx.record('silent.attempt', { step: stepId, attempt, prompt, startedAt, endedAt: clock.now(), interrupted: played.interrupted });
    if (played.by) return present(played.by, attempt);
    heard = await call.listen(step.listenMs);
    if (heard !== 'timeout') return present(heard, attempt);
  }

  if (step.onSilence) {
    ctx.record('silent.gave-up', { step: stepId, target: step.onSilence });
    return step.onSilence;
  }
  const startedAt = clock.now();
  await call.play([step.goodbye]);
  ctx.record('silent.goodbye', { step: stepId, startedAt, endedAt: clock.now() });
  await call.pause(step.pauseMs);
  await call.hangup();
  return undefined;
};

export const silentLine = defineVerb({
  verb: 'silent-line',
  schema: SilentLineStep,
  run,
  targets: (step) => [
    { path: ['next'], step: step.next },
    ...(step.onSilence === undefined ? [] : [{ path: ['onSilence'], step: step.onSilence }]),
  ],
  prompts: (step) => [
    ...step.attempts.map((prompt, i) => ({ path: ['attempts', i], prompt })),
    { path: ['goodbye'], prompt: step.goodbye },
  ],
  windows: (step) => [
    { path: ['firstListenMs'], ms: step.firstListenMs },
    { path: ['listenMs'], ms: step.listenMs },
    { path: ['pauseMs'], ms: step.pauseMs },
  ],
  // onSilence is where a caller goes by doing nothing: no key leads there.
  keyEdges: (step) => [{ to: step.next, key: null }],
  // A caller who spoke once (or keyed ahead) passes straight through; a silent one is hung up
  // unless onSilence names a step.
  graph: (step) => ({
    heard: false,
    idle: step.onSilence === undefined ? null : { path: ['onSilence'], step: step.onSilence },
  }),
});
