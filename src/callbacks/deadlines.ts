// N8: what the hotline promises a caller, per reason for the callback. The scheduler dials
// before this time, and N17 measures how many callbacks made it.

// Declared once: the flow schema's capture-number `reason` enum and the deadline tables below
// both come from this tuple (its order is the order editors offer the reasons in).
export const CALLBACK_REASONS = [
  'line-trouble',
  'unanswered-query',
  'complaint',
  'complaint-urgent',
  'dropped',
  'transfer-failed',
  'revisit',
] as const;
export type CallbackReason = (typeof CALLBACK_REASONS)[number];

export const isCallbackReason = (value: string): value is CallbackReason =>
  (CALLBACK_REASONS as readonly string[]).includes(value);

/**
 * Defaults from N8. A dropped call (N9) is line trouble from the caller's side; a failed
 * transfer leaves a query unanswered. "A complaint is resolved within 3 working days" is about
 * resolution, not the callback, and is not a deadline here. A revisit (N16) of a resolved
 * complaint is promised within a day of its due time (the daily job sets it `afterHours` after
 * the resolution): the manuals' complaint promise, counted from when the hotline means to call.
 */
export const DEFAULT_PROMISE_MINUTES: Readonly<Record<CallbackReason, number>> = {
  'line-trouble': 3,
  dropped: 3,
  'unanswered-query': 30,
  'transfer-failed': 30,
  'complaint-urgent': 120,
  complaint: 1440,
  revisit: 1440,
};

/** The promised deadline (ms epoch) for a callback requested (or due, for a revisit) at `now`. */
export function promisedBy(
  reason: CallbackReason,
  now: number,
  minutes: Readonly<Record<CallbackReason, number>> = DEFAULT_PROMISE_MINUTES,
): number {
  return now + minutes[reason] * 60_000;
}
