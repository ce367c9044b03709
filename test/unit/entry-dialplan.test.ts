// Issue 12, item 5: the generated entry dialplan rides out a short controller gap. Stasis() fails
// at once while no controller is connected; the entry rings and tries again every 0.5 s while
// the ring budget allows, and only then answers with the apology (N1: inside the ring budget).
// Run through a small interpreter of the generated text (support/dialplan.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entryContext, SHED_LABEL, WAITED_VARIABLE } from '../../src/asterisk/render-config.js';
import { cycleMs, fallbackPlan, FALLBACK_MARGIN_MS, limitMs, shedPlan, STASIS_RETRY_MS } from '../../src/flow/ring-budget.js';
import type { Flow, Ring } from '../../src/flow/schema.js';
import { parseExtension, runExtension, type StasisAt } from './support/dialplan.js';
import { flowFromYaml } from './support/fake-call.js';

const shipped = flowFromYaml(`
hotline: { name: Test line, number: "4008008000" }
steps:
  answer: { verb: answer, next: bye }
  bye: { verb: hangup }
`);

const withRing = (flow: Flow, ring: Ring): Flow => ({ ...flow, ring });
const entry = (flow: Flow) => parseExtension(entryContext('hotline-inbound', 'hotline', flow), 'hotline-inbound', flow.hotline.number);

const down: StasisAt = () => 'FAILED';
/** The controller's application is registered from `back` ms on (a restart's gap ends). */
const backAt =
  (back: number): StasisAt =>
  (t) =>
    t >= back ? 'TAKEN' : 'FAILED';

describe('fallbackPlan (N1, issue 12)', () => {
  it('N1: the shipped ring (1 s on, 4 s off, answer after 1 ring): retry for 5.0 s, then answer, like the controller', () => {
    expect(fallbackPlan(shipped.ring)).toEqual({ answerAtMs: 5000, retryEveryMs: 500, retries: 10, remainderMs: 0 });
  });

  it.each([
    // cadence, answerAfterRings, answer at, retries, remainder
    [{ onMs: 1000, offMs: 4000 }, 0, 1000, 2, 0], // answers at once: retried through the 1st burst, still ring 1
    [{ onMs: 1000, offMs: 4000 }, 2, 10_000, 20, 0],
    [{ onMs: 2000, offMs: 4000 }, 1, 6000, 12, 0],
    [{ onMs: 2000, offMs: 4000 }, 2, 12_000, 24, 0],
    [{ onMs: 300, offMs: 200 }, 1, 500, 1, 0], // the end-to-end flow's short rings
    [{ onMs: 300, offMs: 450 }, 1, 750, 1, 250],
    [{ onMs: 100, offMs: 0 }, 2, 0, 0, 0], // a limit of 300 ms leaves no room: answered at once
    [{ onMs: 300, offMs: 1000 }, 2, 2400, 4, 400], // the target (2600) is past limit − 500 (2400): capped
  ])('N1: cadence %o, answerAfterRings %i: answered at %i ms after %i retries and %i ms more', (cadence, after, at, retries, remainder) => {
    expect(fallbackPlan({ cadence, answerAfterRings: after })).toEqual({ answerAtMs: at, retryEveryMs: 500, retries, remainderMs: remainder });
  });

  it('N1: for every cadence and answerAfterRings the schema allows, the fallback answers inside the budget and no earlier than the target allows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 2 }),
        (onMs, offMs, answerAfterRings) => {
          const ring: Ring = { cadence: { onMs, offMs }, answerAfterRings };
          const plan = fallbackPlan(ring);
          const target = answerAfterRings * cycleMs(ring);
          const latest = limitMs(ring) - FALLBACK_MARGIN_MS;
          expect(plan.answerAtMs).toBeGreaterThanOrEqual(0);
          expect(plan.answerAtMs <= Math.max(0, latest)).toBe(true);
          // Never before the flow's own target, unless the budget forbids it.
          expect(plan.answerAtMs).toBeGreaterThanOrEqual(Math.max(0, Math.min(target, latest)));
          expect(plan.retries * STASIS_RETRY_MS + plan.remainderMs).toBe(plan.answerAtMs);
          expect(plan.remainderMs).toBeLessThan(STASIS_RETRY_MS);
        },
      ),
    );
  });
});

describe('the entry dialplan (issue 12: a controller gap)', () => {
  it('controller connected: Stasis() once, at once; nothing rings or answers in the dialplan', () => {
    const run = runExtension(entry(shipped), () => 'TAKEN');
    expect(run).toMatchObject({ by: 'controller', stasisAt: [0], ringingAt: [], played: [], endedAt: 0 });
    expect(run.answeredAt).toBeUndefined();
  });

  it('N1: no controller at all: rings at once, tries every 0.5 s, answers at 5.0 s (the 2nd ring) and apologises', () => {
    const run = runExtension(entry(shipped), down);
    expect(run.by).toBe('fallback');
    expect(run.stasisAt).toEqual([0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000]);
    expect(run.ringingAt).toEqual([0]); // once: the caller hears one ringback, not a restart of it
    expect(run.answeredAt).toBe(5000);
    expect(run.answeredAt!).toBeLessThanOrEqual(limitMs(shipped.ring) - FALLBACK_MARGIN_MS);
    expect(run.played).toEqual(['hotline/zh-CN/unavailable']);
    expect(run.dialled).toEqual([]);
  });

  it('issue 12: 8 callers during a 0.7 s restart all reach the controller, none hears the apology (measured before: 6 of 8 did)', () => {
    // The controller is gone from t=0 to t=700; callers come in every 100 ms from t=0.
    for (let i = 0; i < 8; i++) {
      const arrives = i * 100;
      const run = runExtension(entry(shipped), (t) => (t >= 700 ? 'TAKEN' : 'FAILED'), { t0: arrives });
      expect(run.by, `caller ${i}`).toBe('controller');
      expect(run.played, `caller ${i}`).toEqual([]);
      expect(run.answeredAt).toBeUndefined();
      // Taken at the first try after the gap: at most 0.5 s later, long before the answer time.
      expect(run.endedAt - 700).toBeLessThan(STASIS_RETRY_MS);
      expect(run.endedAt - arrives).toBeLessThan(fallbackPlan(shipped.ring).answerAtMs);
    }
  });

  it('a controller back at 4.9 s still gets the call (at 5.0 s); back at 5.1 s it is too late and the fallback answers', () => {
    expect(runExtension(entry(shipped), backAt(4900))).toMatchObject({ by: 'controller', endedAt: 5000 });
    const late = runExtension(entry(shipped), backAt(5100));
    expect(late).toMatchObject({ by: 'fallback', answeredAt: 5000, played: ['hotline/zh-CN/unavailable'] });
    expect(late.stasisAt.at(-1)).toBe(5000);
  });

  it('N1: whatever the gap and the ring, a call is taken by the controller before the answer time or answered by the fallback at it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 20_000 }),
        (onMs, offMs, answerAfterRings, back) => {
          const flow = withRing(shipped, { cadence: { onMs, offMs }, answerAfterRings });
          const plan = fallbackPlan(flow.ring);
          const run = runExtension(entry(flow), backAt(back));
          if (back <= plan.retries * STASIS_RETRY_MS) {
            expect(run.by).toBe('controller');
            expect(run.endedAt).toBeLessThanOrEqual(plan.answerAtMs);
            expect(run.endedAt - back).toBeLessThan(STASIS_RETRY_MS);
          } else {
            expect(run.by).toBe('fallback');
            expect(run.answeredAt).toBe(plan.answerAtMs);
            expect(run.played).toEqual(['hotline/zh-CN/unavailable']);
          }
          expect(run.stasisAt.length).toBeLessThanOrEqual(plan.retries + 1);
        },
      ),
    );
  });

  it("the flow's `unavailable.then.dial` still follows the apology", () => {
    const flow: Flow = { ...shipped, unavailable: { prompt: 'unavailable', then: { dial: 'PJSIP/backup', timeoutS: 30 } } };
    const run = runExtension(entry(flow), down);
    expect(run).toMatchObject({ by: 'fallback', answeredAt: 5000, played: ['hotline/zh-CN/unavailable'], dialled: ['PJSIP/backup,30'] });
  });

  it(`counts the half-seconds it rang in ${WAITED_VARIABLE}, set to 0 before the first Stasis()`, () => {
    const text = entryContext('hotline-inbound', 'hotline', shipped);
    const lines = text.split('\n');
    const reset = lines.findIndex((l) => l.includes(`Set(${WAITED_VARIABLE}=0)`));
    const stasis = lines.findIndex((l) => l.includes('(stasis),Stasis(hotline,talk-detect)'));
    expect(reset).toBeGreaterThan(0);
    expect(stasis).toBeGreaterThan(reset);
    expect(lines.findIndex((l) => l.includes('TALK_DETECT(set)'))).toBeLessThan(stasis);
  });
});

describe('the entry dialplan: a caller the controller sheds (issue 12)', () => {
  // The controller sends a shed caller to the `shed` label as soon as it sees it (a few ms in).
  const shedAt = (flow: Flow, t0: number, waited: number) =>
    runExtension(entry(flow), () => {
      throw new Error('a shed caller must not be handed to the controller again');
    }, { start: SHED_LABEL, t0, vars: { [WAITED_VARIABLE]: String(waited) } });

  it('N1: shed at once: rings, answered at the same answer time (5.0 s), hears busy, then unavailable.then', () => {
    const run = shedAt(shipped, 0, 0);
    expect(run).toMatchObject({ by: 'fallback', ringingAt: [0], answeredAt: 5000, played: ['hotline/zh-CN/busy'], dialled: [], stasisAt: [] });
    const withDial: Flow = { ...shipped, unavailable: { prompt: 'unavailable', then: { dial: 'PJSIP/backup', timeoutS: 20 } } };
    expect(shedAt(withDial, 0, 0)).toMatchObject({ answeredAt: 5000, played: ['hotline/zh-CN/busy'], dialled: ['PJSIP/backup,20'] });
  });

  it('N1: a caller who rang 2 s in the retry loop before the controller took and shed it is still answered at 5.0 s, not 7', () => {
    // Four half-seconds counted by the retries: the shed wait counts on from there.
    const run = shedAt(shipped, 2000, 4);
    expect(run.answeredAt).toBe(5000);
  });

  it("the flow's overload.prompt is what Asterisk plays", () => {
    const flow: Flow = { ...shipped, overload: { prompt: 'unavailable', callback: false } };
    expect(shedAt(flow, 0, 0).played).toEqual(['hotline/zh-CN/unavailable']);
  });

  it('N1: a flow that answers at once has its shed callers answered at once too, with no ringback (not after the first ring, as the fallback)', () => {
    const atOnce = withRing(shipped, { ...shipped.ring, answerAfterRings: 0 });
    expect(shedAt(atOnce, 0, 0)).toMatchObject({ by: 'fallback', ringingAt: [], answeredAt: 0, played: ['hotline/zh-CN/busy'] });
    // The fallback for a controller that is away still rings out the first burst, waiting for it.
    expect(fallbackPlan(atOnce.ring).answerAtMs).toBe(atOnce.ring.cadence.onMs);
  });

  it("N1: for every ring the schema allows, a shed caller is answered at the flow's own answer time, inside the budget", () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 5000 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 2 }), (onMs, offMs, answerAfterRings) => {
        const flow = withRing(shipped, { cadence: { onMs, offMs }, answerAfterRings });
        const target = answerAfterRings * cycleMs(flow.ring);
        const run = shedAt(flow, 0, 0);
        expect(run.answeredAt).toBe(Math.max(0, Math.min(target, limitMs(flow.ring) - FALLBACK_MARGIN_MS)));
        expect(run.answeredAt).toBe(shedPlan(flow.ring).answerAtMs);
        expect(run.answeredAt).toBeLessThanOrEqual(limitMs(flow.ring));
        // Ringback exactly when there is a ring to hear.
        expect(run.ringingAt).toEqual(run.answeredAt! > 0 ? [0] : []);
      }),
    );
  });
});
