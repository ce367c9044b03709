// The controller's own overload signal (issue 12): how late its event loop runs. A loop that runs
// late answers late, starts prompts late and stretches every N3/N5/N10 wait of every call it
// holds, whatever the cause (CPU, a burst of events, a slow synchronous store). Node measures it
// itself (perf_hooks.monitorEventLoopDelay, a libuv timer sampled every `resolutionMs`); this
// wraps it so the admission decision can be tested with scripted figures on the virtual clock.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface LoopDelay {
  /** 99th percentile of the delay over the window, ms. */
  p99Ms: number;
  maxMs: number;
}

export interface LoopDelaySource {
  /** The delay since the last read (a window), then starts the next window. */
  read(): LoopDelay;
  close(): void;
}

/**
 * The real loop's delay. The histogram records how long each timer tick really took, the
 * resolution included: the delay is what exceeds it.
 */
export function nodeLoopDelay(resolutionMs = 10): LoopDelaySource {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  const lateMs = (ns: number) => Math.round(Math.max(0, ns / 1e6 - resolutionMs) * 10) / 10;
  return {
    read() {
      // No tick at all in the window: the loop was never free to record one; the next read has it.
      const delay = histogram.count === 0 ? { p99Ms: 0, maxMs: 0 } : { p99Ms: lateMs(histogram.percentile(99)), maxMs: lateMs(histogram.max) };
      histogram.reset();
      return delay;
    },
    close: () => histogram.disable(),
  };
}
