// Issue 12: overload is a decision. New callers past HOTLINE_MAX_CALLS, or while the event loop
// is late by HOTLINE_MAX_LOOP_DELAY_MS (p99 over the last second), are shed; below the threshold
// again the next caller is taken; calls in progress are counted, never shed. On the virtual
// clock, with the loop delay scripted per window.
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { Admission, SHED_MEMORY_MS, type Ticket } from '../../src/overload/admission.js';
import type { LoopDelay, LoopDelaySource } from '../../src/overload/loop-delay.js';
import { nodeLoopDelay } from '../../src/overload/loop-delay.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';

/** A loop-delay source whose next windows the test writes. */
class ScriptedDelay implements LoopDelaySource {
  next: LoopDelay = { p99Ms: 0, maxMs: 0 };
  reads = 0;
  closed = false;
  read(): LoopDelay {
    this.reads++;
    return this.next;
  }
  close(): void {
    this.closed = true;
  }
}

const T0 = Date.UTC(2026, 2, 10, 2, 0, 0);
let clock: VirtualClock;
let delay: ScriptedDelay;
let life: AbortController;

function admission(maxCalls = 3, maxLoopDelayMs = 200, callbackSlots?: number): Admission {
  const a = new Admission({ maxCalls, maxLoopDelayMs, loopDelay: delay, clock, signal: life.signal, ...(callbackSlots ? { callbackSlots } : {}) });
  a.start();
  return a;
}

const ticketOf = (a: Admission, kind: 'new' | 'kept' = 'new'): Ticket => {
  const admit = a.admit(kind);
  if (!admit.admitted) throw new Error(`shed: ${admit.shed.reason}`);
  return admit.ticket;
};

beforeEach(() => {
  clock = new VirtualClock(T0);
  delay = new ScriptedDelay();
  life = new AbortController();
});

describe('capacity (issue 12)', () => {
  it('the call past HOTLINE_MAX_CALLS is shed with its figures; one call ending lets the next in', () => {
    const a = admission(3);
    const tickets = [ticketOf(a), ticketOf(a), ticketOf(a)];
    expect(a.admit('new')).toEqual({
      admitted: false,
      shed: { reason: 'capacity', liveCalls: 3, maxCalls: 3, loopDelayMs: 0, maxLoopDelayMs: 200 },
    });
    expect(a.status()).toMatchObject({ liveCalls: 3, shedding: { reason: 'capacity', lastShedAt: T0 }, shed: { capacity: 1, 'event-loop': 0 } });
    tickets[0]!.release();
    expect(a.admit('new').admitted).toBe(true);
    expect(a.status().liveCalls).toBe(3);
  });

  it('a ticket released twice frees one place only', () => {
    const a = admission(2);
    const t = ticketOf(a);
    ticketOf(a);
    t.release();
    t.release();
    expect(a.status().liveCalls).toBe(1);
    ticketOf(a);
    expect(a.admit('new').admitted).toBe(false);
  });

  it('calls in progress (adopted after a restart) and the hotline’s callbacks are counted but never shed', () => {
    const a = admission(2);
    ticketOf(a, 'kept');
    ticketOf(a, 'kept');
    ticketOf(a, 'kept'); // a restart brought back three: all kept
    expect(a.status().liveCalls).toBe(3);
    expect(a.admit('new')).toMatchObject({ admitted: false, shed: { reason: 'capacity', liveCalls: 3 } });
    expect(a.status().shed).toEqual({ capacity: 1, 'event-loop': 0 });
  });

  it('property: however calls come and go, a new caller is taken exactly while fewer than HOTLINE_MAX_CALLS are live, and every refusal is counted', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.oneof(fc.constant<'new'>('new'), fc.constant<'kept'>('kept'), fc.nat({ max: 50 })), { maxLength: 200 }),
        (max, script) => {
          clock = new VirtualClock(T0);
          delay = new ScriptedDelay();
          life = new AbortController();
          const a = admission(max);
          const live: Ticket[] = [];
          let shed = 0;
          for (const step of script) {
            if (typeof step === 'number') {
              // A call ends (the step picks which); releasing twice must not matter.
              const t = live.splice(step % Math.max(1, live.length), 1)[0];
              t?.release();
              t?.release();
              continue;
            }
            const before = a.status().liveCalls;
            const admit = a.admit(step);
            if (admit.admitted) live.push(admit.ticket);
            else shed++;
            // A new caller is taken exactly while fewer than max calls are live; a kept one always.
            expect(admit.admitted).toBe(step === 'kept' || before < max);
            expect(a.status().liveCalls).toBe(live.length);
          }
          expect(a.status().shed.capacity).toBe(shed);
          life.abort();
        },
      ),
    );
  });
});

describe('event-loop delay (issue 12)', () => {
  it('shed at the threshold (p99 of the last window), taken again from the first window below it', async () => {
    const a = admission(100, 200);
    delay.next = { p99Ms: 199, maxMs: 250 };
    await clock.advance(1000);
    expect(a.admit('new').admitted).toBe(true);
    delay.next = { p99Ms: 200, maxMs: 410 };
    await clock.advance(1000);
    expect(a.admit('new')).toEqual({
      admitted: false,
      shed: { reason: 'event-loop', liveCalls: 1, maxCalls: 100, loopDelayMs: 200, maxLoopDelayMs: 200 },
    });
    expect(a.status()).toMatchObject({ loopDelayMs: { p99: 200, max: 410 }, shedding: { reason: 'event-loop' } });
    // Within the same window nothing changes.
    await clock.advance(999);
    expect(a.admit('new').admitted).toBe(false);
    // Recovery: the next window is below the threshold.
    delay.next = { p99Ms: 12, maxMs: 30 };
    await clock.advance(1);
    expect(a.admit('new').admitted).toBe(true);
    expect(a.status().shed).toEqual({ capacity: 0, 'event-loop': 2 });
    expect(delay.reads).toBe(3);
  });

  it('capacity is named first when both hold', async () => {
    const a = admission(1, 100);
    ticketOf(a);
    delay.next = { p99Ms: 500, maxMs: 500 };
    await clock.advance(1000);
    expect(a.admit('new')).toMatchObject({ admitted: false, shed: { reason: 'capacity', loopDelayMs: 500 } });
  });

  it('sampling stops with the service: the timer ends and the histogram is closed', async () => {
    admission();
    await clock.advance(3000);
    expect(delay.reads).toBe(3);
    life.abort();
    await clock.advance(10_000);
    expect(delay.reads).toBe(3);
    expect(delay.closed).toBe(true);
    expect(clock.pending).toBe(0);
  });
});

describe('what /health reads (issue 12)', () => {
  it(`shedding while a new caller would be shed, and for ${SHED_MEMORY_MS / 1000} s after the last one was`, async () => {
    const a = admission(1);
    expect(a.status().shedding).toBeNull();
    const t = ticketOf(a);
    // Full, but nobody shed yet: a new caller would be, so it says so.
    expect(a.status().shedding).toEqual({ reason: 'capacity', lastShedAt: null });
    a.admit('new');
    t.release();
    await clock.advance(SHED_MEMORY_MS - 1);
    expect(a.status().shedding).toEqual({ reason: 'capacity', lastShedAt: T0 });
    await clock.advance(1);
    expect(a.status().shedding).toBeNull();
    expect(a.status()).toEqual({
      liveCalls: 0,
      maxCalls: 1,
      loopDelayMs: { p99: 0, max: 0 },
      maxLoopDelayMs: 200,
      shedding: null,
      shed: { capacity: 1, 'event-loop': 0 },
      shedCallbacks: 0,
    });
  });
});

describe('callback slots for shed callers (issue 12, N7)', () => {
  it('a tenth of HOTLINE_MAX_CALLS at a time by default, at least one; a released slot is free again once', () => {
    const a = admission(25);
    const slots = [a.callbackSlot(), a.callbackSlot()];
    expect(slots.every((s) => s !== undefined)).toBe(true);
    expect(a.callbackSlot()).toBeUndefined();
    expect(a.status().shedCallbacks).toBe(2);
    slots[0]!.release();
    slots[0]!.release();
    expect(a.status().shedCallbacks).toBe(1);
    expect(a.callbackSlot()).toBeDefined();
    expect(a.callbackSlot()).toBeUndefined();
    expect(admission(3).callbackSlot()).toBeDefined();
  });
});

describe('nodeLoopDelay', () => {
  it('reads a window and starts the next: figures are ms past the resolution, never negative', () => {
    const source = nodeLoopDelay(10);
    const first = source.read();
    expect(first.p99Ms).toBeGreaterThanOrEqual(0);
    expect(first.maxMs).toBeGreaterThanOrEqual(first.p99Ms);
    source.close();
  });
});
