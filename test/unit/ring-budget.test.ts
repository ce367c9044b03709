// N1: the ring budget arithmetic. Ring n starts at (n-1) × cycle; "answer after k rings" answers
// at k × cycle; the hard limit is the end of the 3rd ring burst.
import { describe, expect, it } from 'vitest';
import { cycleMs, limitMs, planAnswer, readAnswerDelay } from '../../src/flow/ring-budget.js';
import type { Ring } from '../../src/flow/schema.js';

const china = (answerAfterRings = 1): Ring => ({ cadence: { onMs: 1000, offMs: 4000 }, answerAfterRings });
const northAmerica = (answerAfterRings = 1): Ring => ({ cadence: { onMs: 2000, offMs: 4000 }, answerAfterRings });

const NOW = 1_750_000_000_000;

describe('cycle and limit (N1)', () => {
  it('N1: 1000/4000 rings in 5000 ms cycles and the 3rd burst ends at 11000 ms', () => {
    expect(cycleMs(china())).toBe(5000);
    expect(limitMs(china())).toBe(11_000);
  });

  it('N1: 2000/4000 rings in 6000 ms cycles and the 3rd burst ends at 14000 ms', () => {
    expect(cycleMs(northAmerica())).toBe(6000);
    expect(limitMs(northAmerica())).toBe(14_000);
  });
});

describe('planAnswer (N1)', () => {
  it('N1: a call created just now waits one full cycle to answer on the 2nd ring', () => {
    expect(planAnswer(china(1), NOW, NOW)).toEqual({ targetMs: 5000, limitMs: 11_000, waitMs: 5000 });
  });

  it('N1: the wait counts from channel creation: created 300 ms ago waits 4700 ms', () => {
    expect(planAnswer(china(1), NOW - 300, NOW)).toEqual({ targetMs: 5000, limitMs: 11_000, waitMs: 4700 });
  });

  it('N1: created exactly at the target or long ago: no wait at all', () => {
    expect(planAnswer(china(1), NOW - 5000, NOW).waitMs).toBe(0);
    expect(planAnswer(china(1), NOW - 12_000, NOW)).toEqual({ targetMs: 5000, limitMs: 11_000, waitMs: 0 });
    expect(planAnswer(china(1), NOW - 3_600_000, NOW).waitMs).toBe(0);
  });

  it('N1: answerAfterRings 0 answers at once, 2 on the 3rd ring', () => {
    expect(planAnswer(china(0), NOW, NOW)).toEqual({ targetMs: 0, limitMs: 11_000, waitMs: 0 });
    expect(planAnswer(china(2), NOW - 1000, NOW)).toEqual({ targetMs: 10_000, limitMs: 11_000, waitMs: 9000 });
    expect(planAnswer(northAmerica(2), NOW, NOW)).toEqual({ targetMs: 12_000, limitMs: 14_000, waitMs: 12_000 });
    expect(planAnswer(northAmerica(1), NOW - 250, NOW)).toEqual({ targetMs: 6000, limitMs: 14_000, waitMs: 5750 });
  });

  it('N1: every allowed target is inside the limit', () => {
    for (const ring of [china(0), china(1), china(2), northAmerica(0), northAmerica(1), northAmerica(2)]) {
      const { targetMs, limitMs: limit } = planAnswer(ring, NOW, NOW);
      expect(targetMs).toBeLessThan(limit);
      expect(readAnswerDelay(ring, targetMs)).toEqual({ ringNumber: ring.answerAfterRings + 1, withinBudget: true });
    }
  });
});

describe('readAnswerDelay (N1)', () => {
  it.each([
    [0, 1, true],
    [4999, 1, true],
    [5000, 2, true],
    [9999, 2, true],
    [10_000, 3, true],
    [11_000, 3, true],
    [11_001, 3, false],
    [14_999, 3, false],
    [15_000, 4, false],
    [60_000, 13, false],
  ])('N1 1000/4000: answered after %i ms is ring %i, within budget %s', (delayMs, ringNumber, withinBudget) => {
    expect(readAnswerDelay(china(), delayMs)).toEqual({ ringNumber, withinBudget });
  });

  it.each([
    [5999, 1, true],
    [6000, 2, true],
    [12_000, 3, true],
    [14_000, 3, true],
    [14_001, 3, false],
    [18_000, 4, false],
  ])('N1 2000/4000: answered after %i ms is ring %i, within budget %s', (delayMs, ringNumber, withinBudget) => {
    expect(readAnswerDelay(northAmerica(), delayMs)).toEqual({ ringNumber, withinBudget });
  });

  it('N1: a negative delay (clock skew) reads as the 1st ring, within budget', () => {
    expect(readAnswerDelay(china(), -200)).toEqual({ ringNumber: 1, withinBudget: true });
  });
});
