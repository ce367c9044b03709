// A clock that only moves when told to. Unit tests and the flow simulator advance it by hand;
// timers fire in due order (ties in the order they were set), and after each one the promise
// continuations it released run before the next fires, so a whole call plays out as it would
// in real time, in milliseconds.
import { localTime, type LocalTime } from '../calendar/local-time.js';
import { abortReason, type Clock, type TimerHandle } from './clock.js';

interface Pending {
  due: number;
  seq: number;
  fn: () => void;
  done: boolean;
}

/** Lets promise continuations (and what they schedule in turn) run. */
async function drain(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers: Pending[] = [];

  constructor(startAt = Date.UTC(2026, 0, 5, 2, 0, 0)) {
    this.time = startAt;
  }

  now(): number {
    return this.time;
  }

  local(timeZone: string): LocalTime {
    return localTime(this.time, timeZone);
  }

  /** Timers still waiting to fire. */
  get pending(): number {
    return this.timers.filter((t) => !t.done).length;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = () => {
        handle.cancel();
        reject(abortReason(signal));
      };
      const handle = this.schedule(ms, () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  timer(ms: number, signal: AbortSignal, fn: () => void): TimerHandle {
    if (signal.aborted) return { cancel: () => undefined };
    const cancel = () => {
      handle.cancel();
      signal.removeEventListener('abort', cancel);
    };
    const handle = this.schedule(ms, () => {
      signal.removeEventListener('abort', cancel);
      fn();
    });
    signal.addEventListener('abort', cancel, { once: true });
    return { cancel };
  }

  /**
   * Moves time forward by ms, firing every timer that falls due on the way (also timers set by
   * the ones that fire), each at its own instant; then lets the continuations run.
   */
  async advance(ms = 0): Promise<void> {
    const until = this.time + Math.max(0, ms);
    await drain();
    for (;;) {
      const next = this.nextDue();
      if (!next || next.due > until) break;
      this.time = Math.max(this.time, next.due);
      next.done = true;
      this.timers.splice(this.timers.indexOf(next), 1);
      next.fn();
      await drain();
    }
    this.time = until;
    await drain();
  }

  /** Advances to the next timer and fires it (and any due at the same instant); false when none. */
  async step(): Promise<boolean> {
    const next = this.nextDue();
    if (!next) return false;
    await this.advance(next.due - this.time);
    return true;
  }

  /** Fires timers until none is left or `limitMs` of virtual time has passed. */
  async runAll(limitMs = 24 * 3_600_000): Promise<void> {
    const until = this.time + limitMs;
    while (this.nextDue() && this.nextDue()!.due <= until) await this.step();
  }

  /** Sets the wall clock (e.g. a holiday morning) without firing timers in between. */
  setTime(epochMs: number): void {
    this.time = epochMs;
  }

  private nextDue(): Pending | undefined {
    let best: Pending | undefined;
    for (const t of this.timers) {
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }

  private schedule(ms: number, fn: () => void): TimerHandle {
    const entry: Pending = { due: this.time + Math.max(0, ms), seq: this.seq++, fn, done: false };
    this.timers.push(entry);
    return {
      cancel: () => {
        if (entry.done) return;
        entry.done = true;
        const i = this.timers.indexOf(entry);
        if (i >= 0) this.timers.splice(i, 1);
      },
    };
  }
}
