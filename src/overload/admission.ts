// Overload is a decision (issue 12). Every new inbound call is admitted or shed here, before its
// flow, for one of three reasons, named in this order when several hold:
//  1. `capacity`: HOTLINE_MAX_CALLS calls are live. The controller's own limit, exact, and the
//     one that says the controller itself is fine (a shed caller may be offered a callback).
//  2. `event-loop`: the event loop's delay over the last window is at or past
//     HOTLINE_MAX_LOOP_DELAY_MS. Named before ARI latency because a late loop makes every ARI
//     round trip look late too (an answer waits in the socket until the loop gets to it): the
//     cause is the controller, not Asterisk.
//  3. `ari-latency`: Asterisk answers ARI requests late: the last window's p99 round trip, or
//     the age of the oldest request still unanswered (a stuck Asterisk answers nothing, so gives
//     no sample), is at or past HOTLINE_MAX_ARI_LATENCY_MS (src/ari/request-latency.ts). Every
//     call it holds already waits that long for each answer, prompt and bridge; one more would
//     add requests to the queue that makes them late.
// A shed caller goes to the fallback (shed-call.ts) instead of the flow, and the calls in
// progress keep their service. Below the thresholds again, the next caller is admitted: no
// hysteresis, the window (a second) is the smoothing. Calls already in progress are never shed:
// a call adopted after a restart and the hotline's own callbacks are counted, not refused.
//
// Counted per reason, and what /health reports: `shedding` (with its reason) while a new caller
// would be shed now, or one was within the last SHED_MEMORY_MS (a monitor polling every few
// seconds still sees a burst).
import { type Clock, type TimerHandle } from '../clock/clock.js';
import type { AriLatencySource, LatencyWindow } from '../ari/request-latency.js';
import type { LoopDelay, LoopDelaySource } from './loop-delay.js';

export type ShedReason = 'capacity' | 'event-loop' | 'ari-latency';
/** In the order they are named when several hold. */
export const SHED_REASONS: readonly ShedReason[] = ['capacity', 'event-loop', 'ari-latency'];

/** A shed decision: the call.shed event's figures. */
export interface Shed {
  reason: ShedReason;
  liveCalls: number;
  maxCalls: number;
  loopDelayMs: number;
  maxLoopDelayMs: number;
  /** The ARI latency the decision saw: the last window's p99, or the oldest pending request's age when longer. */
  ariLatencyMs: number;
  maxAriLatencyMs: number;
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
  /** ARI's round trips: the last complete window's p99 and max, and the oldest request still unanswered now. */
  ariLatencyMs: { p99: number; max: number; oldestPending: number };
  maxAriLatencyMs: number;
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
  /** ARI latency (p99 round trip or oldest pending request, ms) at which new callers are shed. */
  maxAriLatencyMs: number;
  ariLatency: AriLatencySource;
  clock: Clock;
  /** The service's signal: sampling stops with it. */
  signal: AbortSignal;
  /** How often the loop delay and the ARI latency are read (the decision's window). */
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
  private latency: LatencyWindow = { p99Ms: 0, maxMs: 0, samples: 0 };
  private readonly counts: Record<ShedReason, number> = { capacity: 0, 'event-loop': 0, 'ari-latency': 0 };
  private lastShed: { reason: ShedReason; at: number } | undefined;
  private timer: TimerHandle | undefined;
  private readonly windowMs: number;
  private readonly callbackSlots: number;

  constructor(private readonly options: AdmissionOptions) {
    this.windowMs = options.windowMs ?? LOOP_WINDOW_MS;
    this.callbackSlots = options.callbackSlots ?? Math.max(1, Math.floor(options.maxCalls / 10));
  }

  /** Starts reading the loop delay and the ARI latency every window, until the service's signal aborts. */
  start(): void {
    const { clock, signal, loopDelay, ariLatency } = this.options;
    if (signal.aborted || this.timer) return;
    signal.addEventListener('abort', () => loopDelay.close(), { once: true });
    const tick = () => {
      this.delay = loopDelay.read();
      this.latency = ariLatency.read();
      this.timer = clock.timer(this.windowMs, signal, tick);
    };
    this.timer = clock.timer(this.windowMs, signal, tick);
  }

  /**
   * A new inbound caller: admitted with a ticket, or shed (counted). `kept` calls, already in
   * progress (adopted after a restart) or the hotline's own (callbacks), are always admitted.
   */
  admit(kind: 'new' | 'kept'): Admit {
    // Kept calls are not judged: none of the figures is read for them.
    const oldestPending = kind === 'new' ? this.options.ariLatency.oldestPendingMs() : 0;
    const reason = kind === 'new' ? this.overload(oldestPending) : undefined;
    if (reason) {
      this.counts[reason]++;
      this.lastShed = { reason, at: this.options.clock.now() };
      return { admitted: false, shed: this.figures(reason, oldestPending) };
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
    const oldestPending = this.options.ariLatency.oldestPendingMs();
    const reason = this.overload(oldestPending);
    const recent = this.lastShed && now - this.lastShed.at < SHED_MEMORY_MS ? this.lastShed : undefined;
    const shedding = reason ?? recent?.reason;
    return {
      liveCalls: this.live,
      maxCalls: this.options.maxCalls,
      loopDelayMs: { p99: this.delay.p99Ms, max: this.delay.maxMs },
      maxLoopDelayMs: this.options.maxLoopDelayMs,
      ariLatencyMs: { p99: this.latency.p99Ms, max: this.latency.maxMs, oldestPending },
      maxAriLatencyMs: this.options.maxAriLatencyMs,
      shedding: shedding ? { reason: shedding, lastShedAt: this.lastShed?.at ?? null } : null,
      shed: { ...this.counts },
      shedCallbacks: this.callbacks,
    };
  }

  /** Why a new caller would be shed now, if it would (in SHED_REASONS' order). */
  private overload(oldestPending: number): ShedReason | undefined {
    if (this.live >= this.options.maxCalls) return 'capacity';
    if (this.delay.p99Ms >= this.options.maxLoopDelayMs) return 'event-loop';
    if (this.ariLatencyMs(oldestPending) >= this.options.maxAriLatencyMs) return 'ari-latency';
    return undefined;
  }

  /** The window's p99, or the oldest unanswered request's age when that is longer. */
  private ariLatencyMs(oldestPending: number): number {
    return Math.max(this.latency.p99Ms, oldestPending);
  }

  private figures(reason: ShedReason, oldestPending: number): Shed {
    return {
      reason,
      liveCalls: this.live,
      maxCalls: this.options.maxCalls,
      loopDelayMs: this.delay.p99Ms,
      maxLoopDelayMs: this.options.maxLoopDelayMs,
      ariLatencyMs: this.ariLatencyMs(oldestPending),
      maxAriLatencyMs: this.options.maxAriLatencyMs,
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
