// Overload is a decision (issue 12). Every new inbound call is admitted or shed here, before its
// flow: past HOTLINE_MAX_CALLS live calls (`capacity`), or while the event loop's delay over the
// last window is at or past HOTLINE_MAX_LOOP_DELAY_MS (`event-loop`), a new caller is shed: it
// goes to the fallback (shed-call.ts) instead of the flow, and the calls in progress keep their
// service. Below the threshold again, the next caller is admitted: no hysteresis, the window
// (a second) is the smoothing. Calls already in progress are never shed: a call adopted after a
// restart and the hotline's own callbacks are counted, not refused.
//
// Counted per reason, and what /health reports: `shedding` (with its reason) while a new caller
// would be shed now, or one was within the last SHED_MEMORY_MS (a monitor polling every few
// seconds still sees a burst).
import { type Clock, type TimerHandle } from '../clock/clock.js';
import type { LoopDelay, LoopDelaySource } from './loop-delay.js';

export type ShedReason = 'capacity' | 'event-loop';
export const SHED_REASONS: readonly ShedReason[] = ['capacity', 'event-loop'];

/** A shed decision: the call.shed event's figures. */
export interface Shed {
  reason: ShedReason;
  liveCalls: number;
  maxCalls: number;
  loopDelayMs: number;
  maxLoopDelayMs: number;
}

/** A live call's place; release() when the call ends (idempotent). */
export interface Ticket {
  release(): void;
}

export type Admit = { admitted: true; ticket: Ticket } | { admitted: false; shed: Shed };

export interface AdmissionStatus {
  liveCalls: number;
  maxCalls: number;
  /** The last complete window's event-loop delay. */
  loopDelayMs: { p99: number; max: number };
  maxLoopDelayMs: number;
  /** While callers are shed: why, and when the last one was. */
  shedding: { reason: ShedReason; lastShedAt: number | null } | null;
  /** Callers shed since the start, per reason. */
  shed: Record<ShedReason, number>;
  /** Shed callers the controller is taking a callback number from now. */
  shedCallbacks: number;
}

export interface AdmissionOptions {
  maxCalls: number;
  maxLoopDelayMs: number;
  loopDelay: LoopDelaySource;
  clock: Clock;
  /** The service's signal: sampling stops with it. */
  signal: AbortSignal;
  /** How often the loop delay is read (the decision's window). */
  windowMs?: number;
  /** Shed callers offered a callback at a time (default a tenth of maxCalls, at least 1). */
  callbackSlots?: number;
}

export const LOOP_WINDOW_MS = 1000;
/** How long after the last shed call /health still says `shedding`. */
export const SHED_MEMORY_MS = 10_000;

export class Admission {
  private live = 0;
  private callbacks = 0;
  private delay: LoopDelay = { p99Ms: 0, maxMs: 0 };
  private readonly counts: Record<ShedReason, number> = { capacity: 0, 'event-loop': 0 };
  private lastShed: { reason: ShedReason; at: number } | undefined;
  private timer: TimerHandle | undefined;
  private readonly windowMs: number;
  private readonly callbackSlots: number;

  constructor(private readonly options: AdmissionOptions) {
    this.windowMs = options.windowMs ?? LOOP_WINDOW_MS;
    this.callbackSlots = options.callbackSlots ?? Math.max(1, Math.floor(options.maxCalls / 10));
  }

  /** Starts reading the loop delay every window, until the service's signal aborts. */
  start(): void {
    const { clock, signal, loopDelay } = this.options;
    if (signal.aborted || this.timer) return;
    signal.addEventListener('abort', () => loopDelay.close(), { once: true });
    const tick = () => {
      this.delay = loopDelay.read();
      this.timer = clock.timer(this.windowMs, signal, tick);
    };
    this.timer = clock.timer(this.windowMs, signal, tick);
  }

  /**
   * A new inbound caller: admitted with a ticket, or shed (counted). `kept` calls, already in
   * progress (adopted after a restart) or the hotline's own (callbacks), are always admitted.
   */
  admit(kind: 'new' | 'kept'): Admit {
    const reason = kind === 'new' ? this.overload() : undefined;
    if (reason) {
      this.counts[reason]++;
      this.lastShed = { reason, at: this.options.clock.now() };
      return { admitted: false, shed: this.figures(reason) };
    }
    this.live++;
    return { admitted: true, ticket: this.ticket(() => this.live--) };
  }

  /** A slot to take a shed caller's callback number, or undefined when all are taken. */
  callbackSlot(): Ticket | undefined {
    if (this.callbacks >= this.callbackSlots) return undefined;
    this.callbacks++;
    return this.ticket(() => this.callbacks--);
  }

  status(): AdmissionStatus {
    const now = this.options.clock.now();
    const reason = this.overload();
    const recent = this.lastShed && now - this.lastShed.at < SHED_MEMORY_MS ? this.lastShed : undefined;
    const shedding = reason ?? recent?.reason;
    return {
      liveCalls: this.live,
      maxCalls: this.options.maxCalls,
      loopDelayMs: { p99: this.delay.p99Ms, max: this.delay.maxMs },
      maxLoopDelayMs: this.options.maxLoopDelayMs,
      shedding: shedding ? { reason: shedding, lastShedAt: this.lastShed?.at ?? null } : null,
      shed: { ...this.counts },
      shedCallbacks: this.callbacks,
    };
  }

  /** Why a new caller would be shed now, if it would. */
  private overload(): ShedReason | undefined {
    if (this.live >= this.options.maxCalls) return 'capacity';
    if (this.delay.p99Ms >= this.options.maxLoopDelayMs) return 'event-loop';
    return undefined;
  }

  private figures(reason: ShedReason): Shed {
    return {
      reason,
      liveCalls: this.live,
      maxCalls: this.options.maxCalls,
      loopDelayMs: this.delay.p99Ms,
      maxLoopDelayMs: this.options.maxLoopDelayMs,
    };
  }

  private ticket(free: () => void): Ticket {
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        free();
      },
    };
  }
}
