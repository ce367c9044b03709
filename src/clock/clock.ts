// The one owner of time. Everything that waits (calls, verbs, agent legs, the agent pool, the
// ARI and AMI links, the recorder, the coming scheduler) takes a Clock from the composition
// root instead of calling setTimeout or Date.now, so that:
//  - every wait is tied to an abort signal (a call's, or the service's): a hang-up or a stop
//    cancels it, and no timer outlives what it was for;
//  - unit tests and the flow simulator run on a VirtualClock and play a whole call in
//    milliseconds, with timers firing in order.
// Asterisk's own timers (ring timeouts on originate) stay Asterisk's.
import { localTime, type LocalTime } from '../calendar/local-time.js';

export interface TimerHandle {
  /** Cancels the timer if it has not fired yet; safe to call more than once. */
  cancel(): void;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** The wall-clock date and time now in a time zone (the hotline's, not the server's). */
  local(timeZone: string): LocalTime;
  /** Resolves after ms; rejects with the signal's reason as soon as it aborts (at once if it has). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /**
   * Calls fn once after ms unless the signal aborts first or the handle is cancelled. fn runs
   * outside any promise chain: it must not throw (wrap what can).
   */
  timer(ms: number, signal: AbortSignal, fn: () => void): TimerHandle;
}

/** An abort reason that reads well in logs. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new Error(typeof reason === 'string' ? reason : 'aborted');
}

/**
 * Resolves after ms, or as soon as the signal aborts, never rejecting: for grace periods that
 * should simply end early when the call or the service ends.
 */
export function settleAfter(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return clock.sleep(ms, signal).catch(() => undefined);
}

/** Resolves as `promise` does, or rejects with the signal's reason as soon as it aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * A signal that aborts with its parent or on its own: a child per wait, so a wait can end
 * without ending the call. Plain listeners, not AbortSignal.any(): Node holds the sources of
 * AbortSignal.any() weakly, and a timeout source could be collected before it fires.
 */
export function childSignal(parent: AbortSignal): { signal: AbortSignal; abort(reason?: unknown): void } {
  const controller = new AbortController();
  const onParent = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onParent, { once: true });
  controller.signal.addEventListener('abort', () => parent.removeEventListener('abort', onParent), { once: true });
  return {
    signal: controller.signal,
    abort: (reason?: unknown) => controller.abort(reason ?? doneReason()),
  };
}

/**
 * The reason a wait that simply ended is aborted with: an Error, as every reason here is, made
 * without a stack trace. One is made per wait and per call; nobody reads where it came from, and
 * capturing the stack cost more than the rest of the child signal.
 */
export function doneReason(): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const reason = new Error('done');
  Error.stackTraceLimit = limit;
  return reason;
}

/**
 * childSignal() for a parent with very many children at once (a service's signal: one child per
 * live channel). Node's EventTarget walks its whole listener list on every add and remove (to
 * skip duplicates), so with a listener per live channel on the parent each channel that came or
 * went cost O(live channels): at 500, an add and remove took 14 times as long as on a quiet
 * signal. Here the parent has one listener and the children wait in a Set: same children (each
 * aborts with the parent's reason, in the order they were made, or on its own), O(1) each.
 */
export class ChildSignals {
  private readonly children = new Set<AbortController>();

  constructor(private readonly parent: AbortSignal) {
    parent.addEventListener(
      'abort',
      () => {
        const children = [...this.children];
        this.children.clear();
        for (const child of children) child.abort(parent.reason);
      },
      { once: true },
    );
  }

  /** Children not yet aborted. */
  get size(): number {
    return this.children.size;
  }

  child(): { signal: AbortSignal; abort(reason?: unknown): void } {
    const controller = new AbortController();
    if (this.parent.aborted) controller.abort(this.parent.reason);
    else {
      this.children.add(controller);
      controller.signal.addEventListener('abort', () => this.children.delete(controller), { once: true });
    }
    return {
      signal: controller.signal,
      abort: (reason?: unknown) => controller.abort(reason ?? doneReason()),
    };
  }
}

/** The real clock: Node's timers and the system time. The only place that calls them. */
export const systemClock: Clock = {
  now: () => Date.now(),
  local: (timeZone) => localTime(Date.now(), timeZone),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = () => {
        clearTimeout(handle);
        reject(abortReason(signal));
      };
      const handle = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  },
  timer(ms, signal, fn) {
    if (signal.aborted) return { cancel: () => undefined };
    const cancel = () => {
      clearTimeout(handle);
      signal.removeEventListener('abort', cancel);
    };
    const handle = setTimeout(() => {
      signal.removeEventListener('abort', cancel);
      fn();
    }, ms);
    signal.addEventListener('abort', cancel, { once: true });
    return { cancel };
  },
};
