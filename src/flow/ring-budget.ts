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

/**
 * How often the entry dialplan tries the controller again while Stasis() fails (the
 * application is not registered: the controller is restarting or down). Stasis() fails at once,
 * so a call that arrives in a gap of under a second reaches the controller half a second after
 * it is back, still ringing.
 */
export const STASIS_RETRY_MS = 500;

/** The fallback answers this long before the limit at the latest: Answer() and the apology's start. */
export const FALLBACK_MARGIN_MS = 500;

/**
 * The entry dialplan's timing (src/asterisk/render-config.ts), all from the channel's creation:
 * it rings and retries Stasis() every STASIS_RETRY_MS until `answerAtMs`, then answers with
 * the apology. `answerAtMs` is the flow's own answer target, so a caller whom no controller
 * takes is answered exactly when the controller would have (2nd ring by default), or at the
 * end of the first ring burst when the flow answers at once (so a gap of under a second is
 * still ridden out, and the answer is still on the 1st ring), never later than
 * FALLBACK_MARGIN_MS before the limit. Counted in steps: `retries` waits of STASIS_RETRY_MS,
 * then `remainderMs` more (the dialplan counts half-seconds, it has no clock of its own in ms).
 */
export interface FallbackPlan {
  answerAtMs: number;
  retryEveryMs: number;
  retries: number;
  remainderMs: number;
}

export function fallbackPlan(ring: Ring): FallbackPlan {
  const targetMs = ring.answerAfterRings * cycleMs(ring);
  return stepsTo(Math.max(0, Math.min(Math.max(targetMs, ring.cadence.onMs), limitMs(ring) - FALLBACK_MARGIN_MS)));
}

/**
 * The timing of the entry's `shed` label (issue 12), in the same steps: the flow's own answer
 * target, with no first ring added. The fallback rings out the first burst to give a restarting
 * controller its chance; a shed caller was taken by a controller that decided, so waiting longer
 * than the flow would have is a second of ringing for nothing (the whole first burst when the
 * flow answers at once).
 */
export function shedPlan(ring: Ring): FallbackPlan {
  const targetMs = ring.answerAfterRings * cycleMs(ring);
  return stepsTo(Math.max(0, Math.min(targetMs, limitMs(ring) - FALLBACK_MARGIN_MS)));
}

function stepsTo(answerAtMs: number): FallbackPlan {
  const retries = Math.floor(answerAtMs / STASIS_RETRY_MS);
  return { answerAtMs, retryEveryMs: STASIS_RETRY_MS, retries, remainderMs: answerAtMs - retries * STASIS_RETRY_MS };
}
