// How long Asterisk takes to answer ARI REST requests (issue 12): an Asterisk that answers late
// makes every call late (an answer, a prompt, a bridge each wait a round trip), so past a
// threshold new callers are shed (src/overload/admission.ts). Fed by the requester, the one place
// every request goes through whatever carries it (events WebSocket or HTTP): each attempt's
// round trip, from the moment it is handed to the transport (so a wait for a free HTTP
// connection counts: the call waits it too) to its response, timed on the injected clock.
//
// Two figures, because a stuck Asterisk answers nothing and so gives no sample at all:
//  - per window (the admission's, LOOP_WINDOW_MS): p99 and max of the round trips that ended in
//    it. An attempt that timed out counts at its limit: it is a round trip at least that long.
//    One that ended without an answer otherwise (its caller gave up: the channel left; the link
//    broke, which fails it at once) tells nothing about Asterisk's speed and is not counted.
//  - now: the age of the oldest request still waiting for its answer.
//
// The window is perf_hooks' histogram (Node's own HdrHistogram, built in, fixed size): values
// are recorded in whole ms, exact up to 2,047 ms and within 0.1 % above (3 significant figures),
// whatever the number of requests in a window. It is only a store of numbers: the times
// themselves come from the clock, so the virtual clock drives it in tests. hdr-histogram-js
// would be the same structure as a dependency; Node's is already here.
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { Clock } from '../clock/clock.js';

/** One window's round trips. */
export interface LatencyWindow {
  /** 99th percentile, ms (0 without a sample). */
  p99Ms: number;
  maxMs: number;
  /** Round trips that ended in the window. */
  samples: number;
}

/** What the admission reads. */
export interface AriLatencySource {
  /** The window since the last read, then starts the next. */
  read(): LatencyWindow;
  /** Age of the oldest request still waiting for its answer, ms (0 when none). */
  oldestPendingMs(): number;
}

/** A request on its way: end() once it is over, saying whether a round trip is to be counted. */
export interface PendingRequest {
  /** Idempotent: the first call decides. */
  end(counted: boolean): void;
}

// The histogram's range: a round trip is at most a request's timeout (60 s for a recording's
// audio); longer values are recorded at this ceiling.
const HIGHEST_MS = 3_600_000;

export class RequestLatency implements AriLatencySource {
  private readonly histogram: RecordableHistogram = createHistogram({ lowest: 1, highest: HIGHEST_MS, figures: 3 });
  /** Kept beside the histogram: its max is its bucket's upper bound, this is the exact value. */
  private maxMs = 0;
  private readonly pending = new Set<{ sentAt: number }>();

  constructor(private readonly clock: Clock) {}

  /** A request is handed to the transport now. */
  sent(): PendingRequest {
    const entry = { sentAt: this.clock.now() };
    this.pending.add(entry);
    return {
      end: (counted) => {
        if (!this.pending.delete(entry)) return;
        if (counted) this.record(this.clock.now() - entry.sentAt);
      },
    };
  }

  read(): LatencyWindow {
    const samples = this.histogram.count;
    // The bucket's bound can pass the exact max (values are rounded up to whole ms): never above it.
    const p99Ms = samples === 0 ? 0 : Math.min(this.histogram.percentile(99), this.maxMs);
    const window = { p99Ms, maxMs: this.maxMs, samples };
    this.histogram.reset();
    this.maxMs = 0;
    return window;
  }

  oldestPendingMs(): number {
    // All of them, not the first in insertion order: the wall clock may be stepped back.
    const now = this.clock.now();
    let oldest = now;
    for (const entry of this.pending) oldest = Math.min(oldest, entry.sentAt);
    return now - oldest;
  }

  private record(ms: number): void {
    const elapsed = Math.max(0, ms);
    this.maxMs = Math.max(this.maxMs, elapsed);
    // Whole ms, rounded up (never under-reported), at least 1 (the histogram's lowest value).
    this.histogram.record(Math.min(HIGHEST_MS, Math.max(1, Math.ceil(elapsed))));
  }
}
