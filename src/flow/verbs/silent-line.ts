// N3: a caller who makes no sound and presses no key is asked up to three times, then hears a
// polite goodbye and is hung up. Voice (TALK_DETECT) or a key ends the protocol at once; a key
// stays in the buffer for the menu that follows.
import type { Heard } from '../../calls/call-port.js';
import type { VerbHandler } from '../context.js';

export const silentLine: VerbHandler<'silent-line'> = async (ctx, step, stepId) => {
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
