// N1 arithmetic: when to answer, and how a measured answer delay reads in rings.
// Ring n (1-based) starts at (n-1) × cycle after the channel was created. "Answer after k
// rings" answers at k × cycle, the start of ring k+1; the hard limit is the end of the 3rd
// ring burst. Times are measured from Asterisk's channel creation time, so a slow or
// restarting controller shows up in the figures instead of hiding behind its own clock.
import type { Ring } from './schema.js';

export interface AnswerPlan {
  targetMs: number;
  limitMs: number;
  /** How long to keep ringing from now; 0 when the target has passed. */
  waitMs: number;
}

export function cycleMs(ring: Ring): number {
  return ring.cadence.onMs + ring.cadence.offMs;
}

export function limitMs(ring: Ring): number {
  return 2 * cycleMs(ring) + ring.cadence.onMs;
}

export function planAnswer(ring: Ring, createdAt: number, now: number): AnswerPlan {
  const targetMs = ring.answerAfterRings * cycleMs(ring);
  return { targetMs, limitMs: limitMs(ring), waitMs: Math.max(0, createdAt + targetMs - now) };
}

export interface AnswerOutcome {
  /** The ring (1-based) in progress at the answer: 2 means "answered on the 2nd ring". */
  ringNumber: number;
  withinBudget: boolean;
}

export function readAnswerDelay(ring: Ring, delayMs: number): AnswerOutcome {
  return {
    ringNumber: Math.floor(Math.max(0, delayMs) / cycleMs(ring)) + 1,
    withinBudget: delayMs <= limitMs(ring),
  };
}
