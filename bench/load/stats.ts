// Percentiles of the bench's samples (INVITE→200 times, event-loop windows). Nearest rank, so a
// reported p99 is a time some call really waited, never an interpolation between two calls.

/** The p-th percentile (0-100) of `values` by nearest rank; undefined when there are none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is not between 0 and 100`);
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export interface Spread {
  count: number;
  p50: number | undefined;
  p95: number | undefined;
  p99: number | undefined;
  max: number | undefined;
}

export function spread(values: readonly number[]): Spread {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: percentile(values, 100),
  };
}

/** Rounded for the report: 0.1 ms is below what SIPp's clock and a loaded machine can tell. */
export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
