// N4 end to end: invalid keys and silence are separate outcomes with separate counters, and
// each ends in its fallback after the configured tries (2 in the e2e flow).
import { describe, expect, it } from 'vitest';
import { types, waitForEvent } from './support/call-helpers.js';
import { freshCaller } from './support/test-controller.js';
import { useHotline } from './support/use-hotline.js';

describe('N4 unclear input on the real Asterisk', () => {
  const h = useHotline('test/fixtures/flows/e2e.yaml');

  it('N4: two invalid keys, or two silences, each reach their own fallback; both run at once', async () => {
    const presser = freshCaller();
    const silent = freshCaller();
    const [a, b] = await Promise.all([h.callers.dial(presser), h.callers.dial(silent)]);
    await Promise.all([a.answered(), b.answered()]);

    const pressInvalid = async () => {
      await waitForEvent(h.hotline, presser, 'menu.prompted');
      await a.press('9');
      await waitForEvent(h.hotline, presser, 'menu.invalid');
      await a.press('7');
    };
    await pressInvalid();
    await Promise.all([a.ended(90_000), b.ended(90_000)]);

    const invalidCall = await h.hotline.endedCall(presser);
    const invalidEvents = await h.hotline.events(invalidCall.id);
    const invalids = invalidEvents.filter((e) => e.type === 'menu.invalid').map((e) => e.data);
    expect(invalids).toEqual([
      { step: 'main-menu', digit: '9', count: 1, tries: 2 },
      { step: 'main-menu', digit: '7', count: 2, tries: 2 },
    ]);
    expect(types(invalidEvents)).not.toContain('menu.no-input');
    expect(invalidEvents.find((e) => e.type === 'menu.fallback')?.data).toEqual({
      step: 'main-menu', reason: 'invalid', target: 'unclear-goodbye',
    });
    expect(invalidEvents.find((e) => e.type === 'prompt.played')?.data).toMatchObject({ prompts: ['unclear.goodbye'] });
    expect(invalidCall).toMatchObject({ hangupBy: 'system', outcome: 'completed' });

    const silentCall = await h.hotline.endedCall(silent);
    const silentEvents = await h.hotline.events(silentCall.id);
    const noInputs = silentEvents.filter((e) => e.type === 'menu.no-input');
    expect(noInputs.map((e) => e.data)).toEqual([
      { step: 'main-menu', count: 1, tries: 2 },
      { step: 'main-menu', count: 2, tries: 2 },
    ]);
    expect(types(silentEvents)).not.toContain('menu.invalid');
    expect(silentEvents.find((e) => e.type === 'menu.fallback')?.data).toMatchObject({ reason: 'no-input' });
    // The retry re-prompts: the second menu.prompted follows the first no-input.
    const prompted = silentEvents.filter((e) => e.type === 'menu.prompted');
    expect(prompted).toHaveLength(2);
    expect(prompted[1]!.ts).toBeGreaterThanOrEqual(noInputs[0]!.ts);
  });
});
