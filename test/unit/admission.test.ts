// Issue 12: overload is a decision. New callers past HOTLINE_MAX_CALLS, while the event loop is
// late by HOTLINE_MAX_LOOP_DELAY_MS (p99 over the last second), or while Asterisk answers ARI
// late by HOTLINE_MAX_ARI_LATENCY_MS (the last second's p99 round trip, or the oldest request
// still unanswered) are shed; below the threshold again the next caller is taken; calls in
// progress are counted, never shed. On the virtual clock, with the loop delay scripted per
// window and ARI round trips timed on the clock.
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { RequestLatency } from '../../src/ari/request-latency.js';
import { Admission, SHED_MEMORY_MS, SHED_REASONS, type ShedReason, type Ticket } from '../../src/overload/admission.js';
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
let latency: RequestLatency;
let life: AbortController;

function admission(maxCalls = 3, maxLoopDelayMs = 200, callbackSlots?: number, maxAriLatencyMs = 500): Admission {
  const a = new Admission({
    maxCalls,
    maxLoopDelayMs,
    loopDelay: delay,
    maxAriLatencyMs,
    ariLatency: latency,
    clock,
    signal: life.signal,
    ...(callbackSlots ? { callbackSlots } : {}),
  });
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
  latency = new RequestLatency(clock);
  life = new AbortController();
});

describe('capacity (issue 12)', () => {
  it('the call past HOTLINE_MAX_CALLS is shed with its figures; one call ending lets the next in', () => {
    const a = admission(3);
    const tickets = [ticketOf(a), ticketOf(a), ticketOf(a)];
    expect(a.admit('new')).toEqual({
      admitted: false,
      shed: { reason: 'capacity', liveCalls: 3, maxCalls: 3, loopDelayMs: 0, maxLoopDelayMs: 200, ariLatencyMs: 0, maxAriLatencyMs: 500 },
    });
    expect(a.status()).toMatchObject({ liveCalls: 3, shedding: { reason: 'capacity', lastShedAt: T0 }, shed: { capacity: 1, 'event-loop': 0, 'ari-latency': 0 } });
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
    expect(a.status().shed).toEqual({ capacity: 1, 'event-loop': 0, 'ari-latency': 0 });
  });

  it('property: however calls come and go, a new caller is taken exactly while fewer than HOTLINE_MAX_CALLS are live, and every refusal is counted', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.oneof(fc.constant<'new'>('new'), fc.constant<'kept'>('kept'), fc.nat({ max: 50 })), { maxLength: 200 }),
        (max, script) => {
          clock = new VirtualClock(T0);
          delay = new ScriptedDelay();
          latency = new RequestLatency(clock);
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
      shed: { reason: 'event-loop', liveCalls: 1, maxCalls: 100, loopDelayMs: 200, maxLoopDelayMs: 200, ariLatencyMs: 0, maxAriLatencyMs: 500 },
    });
    expect(a.status()).toMatchObject({ loopDelayMs: { p99: 200, max: 410 }, shedding: { reason: 'event-loop' } });
    // Within the same window nothing changes.
    await clock.advance(999);
    expect(a.admit('new').admitted).toBe(false);
    // Recovery: the next window is below the threshold.
    delay.next = { p99Ms: 12, maxMs: 30 };
    await clock.advance(1);
    expect(a.admit('new').admitted).toBe(true);
    expect(a.status().shed).toEqual({ capacity: 0, 'event-loop': 2, 'ari-latency': 0 });
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

/** One ARI round trip of `ms` on the clock, sent now. */
async function roundTrip(ms: number): Promise<void> {
  await roundTrips(1, ms);
}

/** `n` ARI requests sent now at once, all answered `ms` later. */
async function roundTrips(n: number, ms: number): Promise<void> {
  const requests = Array.from({ length: n }, () => latency.sent());
  await clock.advance(ms);
  for (const r of requests) r.end(true);
}

/** To the next window's start: the admission reads its figures every whole second from T0. */
const nextWindow = () => clock.advance(1000 - ((clock.now() - T0) % 1000));

describe('ARI latency (issue 12)', () => {
  it('a slow window sheds (its p99 at the threshold); the next normal window admits again', async () => {
    const a = admission(100, 200, undefined, 500);
    // Window 1: nine quick round trips and one of 499 ms: the p99 is 499, below the threshold.
    await roundTrips(9, 20);
    await roundTrip(499);
    await nextWindow();
    expect(a.status().ariLatencyMs).toEqual({ p99: 499, max: 499, oldestPending: 0 });
    expect(a.admit('new').admitted).toBe(true);
    // Window 2: the same with 500 ms: at the threshold, new callers are shed for the whole next window.
    await roundTrips(9, 20);
    await roundTrip(500);
    await nextWindow();
    expect(a.admit('new')).toEqual({
      admitted: false,
      shed: { reason: 'ari-latency', liveCalls: 1, maxCalls: 100, loopDelayMs: 0, maxLoopDelayMs: 200, ariLatencyMs: 500, maxAriLatencyMs: 500 },
    });
    expect(a.status()).toMatchObject({ ariLatencyMs: { p99: 500, max: 500, oldestPending: 0 }, shedding: { reason: 'ari-latency', lastShedAt: T0 + 2000 } });
    await roundTrips(10, 20);
    await clock.advance(999 - 20);
    expect(a.admit('new').admitted).toBe(false);
    // Window 3 was normal: from its end on, the next caller is taken.
    await clock.advance(1);
    expect(a.status().ariLatencyMs).toEqual({ p99: 20, max: 20, oldestPending: 0 });
    expect(a.admit('new').admitted).toBe(true);
    expect(a.status().shed).toEqual({ capacity: 0, 'event-loop': 0, 'ari-latency': 2 });
  });

  it('the p99, not the max: one slow answer among two hundred quick ones sheds nobody, and the max shows it', async () => {
    const a = admission(100, 200, undefined, 500);
    await roundTrips(199, 5);
    await roundTrip(900);
    await nextWindow();
    expect(a.status().ariLatencyMs).toEqual({ p99: 5, max: 900, oldestPending: 0 });
    expect(a.admit('new').admitted).toBe(true);
  });

  it('a request pending past the threshold sheds with no completed sample at all (a stuck Asterisk answers nothing)', async () => {
    const a = admission(100, 200, undefined, 500);
    const stuck = latency.sent();
    await clock.advance(499);
    expect(a.admit('new').admitted).toBe(true);
    await clock.advance(1);
    expect(a.admit('new')).toEqual({
      admitted: false,
      shed: { reason: 'ari-latency', liveCalls: 1, maxCalls: 100, loopDelayMs: 0, maxLoopDelayMs: 200, ariLatencyMs: 500, maxAriLatencyMs: 500 },
    });
    expect(a.status().ariLatencyMs).toEqual({ p99: 0, max: 0, oldestPending: 500 });
    // Windows close without a sample; it still waits, and callers are still shed.
    await clock.advance(3000);
    expect(a.admit('new')).toMatchObject({ admitted: false, shed: { reason: 'ari-latency', ariLatencyMs: 3500 } });
    expect(a.status().ariLatencyMs).toEqual({ p99: 0, max: 0, oldestPending: 3500 });
    // Its caller gave up on it (the channel left): no round trip to count, nothing pending.
    stuck.end(false);
    expect(a.admit('new').admitted).toBe(true);
    await nextWindow();
    expect(a.status().ariLatencyMs).toEqual({ p99: 0, max: 0, oldestPending: 0 });
    expect(a.status().shed['ari-latency']).toBe(2);
  });

  it('race: a stuck request answered just before its window closes: taken until the window closes, then its round trip sheds for one window', async () => {
    const a = admission(100, 200, undefined, 500);
    const stuck = latency.sent();
    await clock.advance(999);
    expect(a.admit('new').admitted).toBe(false);
    stuck.end(true); // answered at last, 999 ms late
    // The window still open has it; the last complete one does not: nothing says late now.
    expect(a.admit('new').admitted).toBe(true);
    await clock.advance(1);
    expect(a.status().ariLatencyMs).toEqual({ p99: 999, max: 999, oldestPending: 0 });
    expect(a.admit('new')).toMatchObject({ admitted: false, shed: { reason: 'ari-latency', ariLatencyMs: 999 } });
    await clock.advance(1000);
    expect(a.admit('new').admitted).toBe(true);
  });

  it('calls in progress keep their place and kept calls (adopted, callbacks) are taken, however late Asterisk is', async () => {
    const a = admission(5, 200, undefined, 500);
    const inProgress = [ticketOf(a), ticketOf(a)];
    latency.sent(); // never answered
    await clock.advance(10_000);
    expect(a.admit('new')).toMatchObject({ admitted: false, shed: { reason: 'ari-latency' } });
    const kept = [ticketOf(a, 'kept'), ticketOf(a, 'kept')];
    expect(a.status()).toMatchObject({ liveCalls: 4, shed: { 'ari-latency': 1 } });
    for (const t of [...inProgress, ...kept]) t.release();
    expect(a.status().liveCalls).toBe(0);
  });

  it('each shed is counted under the reason it was named for', async () => {
    const a = admission(1, 200, undefined, 500);
    const t = ticketOf(a);
    a.admit('new');
    a.admit('new');
    t.release();
    delay.next = { p99Ms: 300, maxMs: 300 };
    await clock.advance(1000);
    a.admit('new');
    delay.next = { p99Ms: 0, maxMs: 0 };
    latency.sent();
    await clock.advance(1000);
    a.admit('new');
    a.admit('new');
    a.admit('new');
    expect(a.status().shed).toEqual({ capacity: 2, 'event-loop': 1, 'ari-latency': 3 });
  });

  it('property: the reason named is the first of capacity, event-loop, ari-latency that holds; each shed is counted under it alone; kept calls are always taken', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.boolean(), fc.boolean(), async (full, loopLate, ariLate) => {
        clock = new VirtualClock(T0);
        delay = new ScriptedDelay();
        latency = new RequestLatency(clock);
        life = new AbortController();
        const a = admission(1, 200, undefined, 500);
        if (full) ticketOf(a, 'kept');
        delay.next = loopLate ? { p99Ms: 250, maxMs: 300 } : { p99Ms: 10, maxMs: 20 };
        const pending = ariLate ? latency.sent() : undefined;
        await clock.advance(1000);
        const holds: Record<ShedReason, boolean> = { capacity: full, 'event-loop': loopLate, 'ari-latency': ariLate };
        const expected = SHED_REASONS.find((r) => holds[r]);
        expect(a.status().shedding?.reason).toBe(expected);
        const admit = a.admit('new');
        if (expected === undefined) expect(admit.admitted).toBe(true);
        else expect(admit).toMatchObject({ admitted: false, shed: { reason: expected } });
        expect(a.status().shed).toEqual(Object.fromEntries(SHED_REASONS.map((r) => [r, r === expected ? 1 : 0])));
        expect(a.admit('kept').admitted).toBe(true);
        pending?.end(false);
        life.abort();
      }),
      { numRuns: 16 },
    );
  });

  it('property: whatever the round trips, a new caller is shed for ARI latency exactly when the last window’s p99 or the oldest unanswered request is at or past the threshold', async () => {
    type Step = { kind: 'send' } | { kind: 'end'; pick: number; counted: boolean } | { kind: 'advance'; ms: number } | { kind: 'admit' };
    const step = fc.oneof(
      fc.constant<Step>({ kind: 'send' }),
      fc.record({ kind: fc.constant<'end'>('end'), pick: fc.nat({ max: 50 }), counted: fc.boolean() }),
      fc.record({ kind: fc.constant<'advance'>('advance'), ms: fc.integer({ min: 0, max: 700 }) }),
      fc.constant<Step>({ kind: 'admit' }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 10, max: 1500 }), fc.array(step, { maxLength: 120 }), async (threshold, script) => {
        clock = new VirtualClock(T0);
        delay = new ScriptedDelay();
        latency = new RequestLatency(clock);
        life = new AbortController();
        const a = admission(10_000, 200, undefined, threshold);
        // The model: requests in flight, the open window's round trips and the last complete window's.
        const inFlight: Array<{ sentAt: number; end(counted: boolean): void }> = [];
        let open: number[] = [];
        let last: number[] = [];
        let shed = 0;
        for (const s of script) {
          if (s.kind === 'send') inFlight.push({ sentAt: clock.now(), ...latency.sent() });
          else if (s.kind === 'end') {
            const r = inFlight.splice(s.pick % Math.max(1, inFlight.length), 1)[0];
            if (r && s.counted) open.push(clock.now() - r.sentAt);
            r?.end(s.counted);
          } else if (s.kind === 'advance') {
            const windows = Math.floor((clock.now() + s.ms - T0) / 1000) - Math.floor((clock.now() - T0) / 1000);
            if (windows > 0) [last, open] = [windows === 1 ? open : [], []];
            await clock.advance(s.ms);
          } else {
            const oldest = inFlight.reduce((m, r) => Math.max(m, clock.now() - r.sentAt), 0);
            const { ariLatencyMs } = a.status();
            const sorted = [...last].sort((x, y) => x - y);
            expect(ariLatencyMs.max).toBe(sorted.at(-1) ?? 0);
            expect(ariLatencyMs.oldestPending).toBe(oldest);
            if (sorted.length === 0) expect(ariLatencyMs.p99).toBe(0);
            else {
              // Within one rank of the nearest-rank p99 (values are whole ms, recorded at least 1).
              const rank = Math.ceil(0.99 * sorted.length) - 1;
              expect(ariLatencyMs.p99).toBeGreaterThanOrEqual(sorted[Math.max(0, rank - 1)]!);
              expect(ariLatencyMs.p99).toBeLessThanOrEqual(Math.max(1, sorted[rank]!));
              expect(ariLatencyMs.p99).toBeLessThanOrEqual(ariLatencyMs.max);
            }
            const late = Math.max(ariLatencyMs.p99, oldest);
            const admit = a.admit('new');
            if (late >= threshold) {
              shed++;
              expect(admit).toEqual({ admitted: false, shed: expect.objectContaining({ reason: 'ari-latency', ariLatencyMs: late, maxAriLatencyMs: threshold }) as unknown });
            } else expect(admit.admitted).toBe(true);
          }
        }
        expect(a.status().shed['ari-latency']).toBe(shed);
        life.abort();
      }),
      { numRuns: 150 },
    );
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
      ariLatencyMs: { p99: 0, max: 0, oldestPending: 0 },
      maxAriLatencyMs: 500,
      shedding: null,
      shed: { capacity: 1, 'event-loop': 0, 'ari-latency': 0 },
      shedCallbacks: 0,
    });
  });
});

describe('what /health reads: ARI latency (issue 12)', () => {
  it(`shedding ari-latency while Asterisk is late, and for ${SHED_MEMORY_MS / 1000} s after the last caller shed for it`, async () => {
    const a = admission(100, 200, undefined, 500);
    const stuck = latency.sent();
    await clock.advance(600);
    // Late, nobody shed yet: a new caller would be.
    expect(a.status().shedding).toEqual({ reason: 'ari-latency', lastShedAt: null });
    a.admit('new');
    stuck.end(false);
    await clock.advance(SHED_MEMORY_MS - 1);
    expect(a.status()).toMatchObject({
      ariLatencyMs: { p99: 0, max: 0, oldestPending: 0 },
      maxAriLatencyMs: 500,
      shedding: { reason: 'ari-latency', lastShedAt: T0 + 600 },
      shed: { 'ari-latency': 1 },
    });
    await clock.advance(1);
    expect(a.status().shedding).toBeNull();
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
