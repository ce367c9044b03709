// N14: recording with consent. The operator places this step early in the flow (right after the
// answer): with the flow's `recording.mode` set, the caller hears the announcement
// (本次通话可能会被录音…) and may decline with the flow's decline key, during it or within
// declineWaitMs after it; a decline is logged and respected for the whole call. Only the decline
// key stops the announcement, and it is not passed on; any other key stays buffered as type-ahead
// for the next menu. With consent, mode call starts recording the caller's channel (both
// directions) at once, and mode agent leaves a fact the transfer reads: the agent conversation
// is recorded once bridged. With mode off the step passes through without a word.
import { z } from 'zod';
import { recordWholeCall } from '../../recording/call-recording.js';
import type { VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { Ms, Next, PromptId } from '../schema-parts.js';

export const RecordStep = z
  .object({
    verb: z.literal('record'),
    prompt: PromptId.default('recording.notice').describe(
      'N14: the announcement, played before anything is recorded (本次通话可能会被录音…); it should name the decline key',
    ),
    declineWaitMs: Ms(0, 10_000)
      .default(2000)
      .describe('N14: after the announcement, how long the decline key is still taken (a listening window; 0: only during it)'),
    ...Next,
  })
  .strict();
export type RecordStep = z.output<typeof RecordStep>;

const run: VerbRunner<RecordStep> = async (ctx, step, stepId) => {
  const { call, facts } = ctx;
  const { mode, declineKey } = ctx.flow.recording;
  // Nothing will be recorded: nothing to announce. Asked once per call (a loop back here, or a
  // flow that starts over, does not ask again).
  if (mode === 'off' || facts.recording !== undefined) return step.next;
  const recordings = ctx.services.recordings;
  if (!recordings) throw new Error('no recordings service is wired');
  const keys = declineKey === null ? [] : [declineKey];
  const played = await call.play([step.prompt], keys.length > 0 ? { stopKeys: keys } : {});
  let key = played.key ?? null;
  ctx.record('recording.announced', { step: stepId, prompt: step.prompt, declineKey, interrupted: played.interrupted });
  if (key === null && keys.length > 0 && step.declineWaitMs > 0) key = await call.waitForKey(keys, step.declineWaitMs);
  if (key !== null) {
    facts.recording = 'declined';
    ctx.record('recording.declined', { step: stepId, key });
    return step.next;
  }
  facts.recording = 'given';
  if (mode === 'call') await recordWholeCall(ctx, recordings);
  return step.next;
};

export const record = defineVerb({
  verb: 'record',
  schema: RecordStep,
  run,
  needs: ['recordings'],
  targets: (step) => [{ path: ['next'], step: step.next }],
  prompts: (step) => [{ path: ['prompt'], prompt: step.prompt }],
  windows: (step) => [{ path: ['declineWaitMs'], ms: step.declineWaitMs }],
  // With recording off, or on a second pass, the step passes straight through: not heard.
  graph: () => ({ heard: false }),
});
