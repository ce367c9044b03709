// npm run bench:load's percentile maths (bench/load/stats.ts): nearest rank, so a reported p99
// is the answer time some call really had.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { percentile, round1, spread } from '../../bench/load/stats.js';

describe('percentile (bench:load)', () => {
  it('takes the nearest rank: of 1..100 the p99 is 99, the p50 50, the p95 95', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // unsorted on purpose
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 0)).toBe(1);
  });

  it('with fewer than 100 samples the p99 is the slowest call, not an interpolation', () => {
    expect(percentile([4.1, 4.3, 9.7], 99)).toBe(9.7);
    expect(percentile([4.1, 4.3, 9.7], 50)).toBe(4.3);
    expect(percentile([7], 99)).toBe(7);
  });

  it('has no percentile of nothing, and refuses a p outside 0..100', () => {
    expect(percentile([], 99)).toBeUndefined();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });

  it('does not reorder the samples it is given', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });

  it('is always one of the samples, between the min and the max, and never falls as p rises', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (values, p, q) => {
          const a = percentile(values, Math.min(p, q))!;
          const b = percentile(values, Math.max(p, q))!;
          expect(values).toContain(a);
          expect(a).toBeLessThanOrEqual(b);
          expect(a).toBeGreaterThanOrEqual(Math.min(...values));
          expect(b).toBeLessThanOrEqual(Math.max(...values));
        },
      ),
    );
  });

  it('spread gives the count, p50, p95, p99 and max', () => {
    expect(spread([5, 1, 3, 2, 4])).toEqual({ count: 5, p50: 3, p95: 5, p99: 5, max: 5 });
    expect(spread([])).toEqual({ count: 0, p50: undefined, p95: undefined, p99: undefined, max: undefined });
    expect(round1(4.26)).toBe(4.3);
  });
});
