// Fuzzing (issue: bad input never reaches a caller): random keys at random moments into the
// shipped flow on the virtual clock. Whatever a caller presses, and whenever, the call never
// gets stuck (the flow ends, or the caller's hang-up ends it at once), nothing throws but the
// hang-up, and the caller never sits in dead air over the N5 budget. Seeds are printed by
// fast-check on failure; the run is bounded.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHoursService } from '../../src/calendar/hours-service.js';
import { runFlow } from '../../src/flow/run-flow.js';
import { advance, FakeCall, flowFromYaml, makeContext, newTestClock, track } from './support/fake-call.js';

const SHIPPED = flowFromYaml(readFileSync('dialplans/hotline.yaml', 'utf8'));
const T0 = new Date('2026-03-10T10:00:00+08:00').getTime();
const KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#'] as const;

const pressing = fc.array(
  fc.record({
    afterMs: fc.integer({ min: 0, max: 8000 }),
    key: fc.constantFrom(...KEYS),
    voice: fc.boolean(),
  }),
  { maxLength: 25 },
);

beforeEach(() => {
  newTestClock(T0);
});

describe('DTMF fuzz on the shipped flow (N4 N5 N14)', () => {
  it('any keys at any moments: the call ends or waits properly, never stuck, never dead air over budget', async () => {
    let measured = 0;
    await fc.assert(
      fc.asyncProperty(pressing, fc.boolean(), async (keys, hangUpAtEnd) => {
        newTestClock(T0);
        const call = new FakeCall({ caller: '13800138000' });
        // N15: the shipped flow asks the service hours first (T0 is inside them).
        const ctx = makeContext(SHIPPED, call, { services: { hours: createHoursService() } });
        const done = runFlow(ctx, SHIPPED.start);
        const box = track(done);
        // The N5 figures as the call handler takes them: when the flow ends.
        let silence: ReturnType<FakeCall['silence']> = null;
        void done.catch(() => undefined).finally(() => (silence = call.silence()));
        for (const { afterMs, key, voice } of keys) {
          await advance(afterMs);
          if (box.settled) break;
          if (voice) {
            call.speak();
            await advance(300);
            call.stopSpeaking();
          }
          if (!box.settled) call.press(key);
        }
        if (hangUpAtEnd && !box.settled) call.callerHangsUp();
        // Every protocol of the flow ends within minutes of virtual time (silent line, menus,
        // linger): a caller who stops pressing is never left in a step that waits forever.
        for (let i = 0; i < 200 && !box.settled; i++) await advance(5000);
        expect(box.settled).toBe(true);
        if (box.error !== undefined) expect(box.error).toEqual(new Error('call ended'));
        const figures = silence as ReturnType<FakeCall['silence']>;
        if (figures) {
          measured += 1;
          expect(figures.maxDeadAirMs).toBeLessThanOrEqual(SHIPPED.deadAirBudgetMs);
        }
        expect(ctx.types()).not.toContain('flow.error');
      }),
      { numRuns: 200 },
    );
    // The property saw answered calls (the N5 figures exist only once a call is answered).
    expect(measured).toBeGreaterThan(100);
  }, 30_000);
});
