// N10: the closing phrase with the weekend and holiday wishes, then the caller hangs up first.
// A caller who lingers hears two gentle prompts, one wait apart, before the system hangs up;
// one who speaks or keys while lingering goes back to the flow (`linger.resume`).
import { closingPrompt, dayContext } from '../greeting-choice.js';
import type { VerbHandler } from '../context.js';

export const goodbye: VerbHandler<'goodbye'> = async (ctx, step) => {
  const { call, clock } = ctx;
  const day = dayContext(new Date(clock.now()), ctx.flow.hotline);
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
