// The clock every wait goes through: timers fire in due order on advance(), ties in the order
// they were set; an abort or cancel stops them; sleep rejects with the signal's reason.
import { describe, expect, it } from 'vitest';
import { childSignal, systemClock } from '../../src/clock/clock.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';

describe('VirtualClock', () => {
  it('fires timers in due order, each at its own instant, ties in the order they were set', async () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    const signal = new AbortController().signal;
    clock.timer(300, signal, () => fired.push(`c@${clock.now()}`));
    clock.timer(100, signal, () => fired.push(`a@${clock.now()}`));
    clock.timer(100, signal, () => fired.push(`b@${clock.now()}`));
    // A timer set by a firing timer fires within the same advance when it falls due.
    clock.timer(150, signal, () => clock.timer(50, signal, () => fired.push(`d@${clock.now()}`)));
    await clock.advance(299);
    expect(fired).toEqual(['a@100', 'b@100', 'd@200']);
    expect(clock.now()).toBe(299);
    await clock.advance(1);
    expect(fired).toEqual(['a@100', 'b@100', 'd@200', 'c@300']);
    expect(clock.pending).toBe(0);
  });

  it('runs the continuations a timer releases before the next timer fires', async () => {
    const clock = new VirtualClock(0);
    const signal = new AbortController().signal;
    const seen: number[] = [];
    const run = async () => {
      await clock.sleep(1000, signal);
      seen.push(clock.now());
      await clock.sleep(1000, signal);
      seen.push(clock.now());
    };
    const done = run();
    await clock.advance(5000);
    await done;
    expect(seen).toEqual([1000, 2000]);
  });

  it('an aborted signal cancels its timers and rejects sleep with the reason', async () => {
    const clock = new VirtualClock(0);
    const call = new AbortController();
    const fired: number[] = [];
    clock.timer(100, call.signal, () => fired.push(1));
    const slept = clock.sleep(100, call.signal);
    const reason = new Error('call ended');
    call.abort(reason);
    await expect(slept).rejects.toBe(reason);
    await clock.advance(1000);
    expect(fired).toEqual([]);
    expect(clock.pending).toBe(0);
    await expect(clock.sleep(5, call.signal)).rejects.toBe(reason);
  });

  it('cancel() stops one timer; a child signal ends with its parent', async () => {
    const clock = new VirtualClock(0);
    const parent = new AbortController();
    const child = childSignal(parent.signal);
    const fired: string[] = [];
    const handle = clock.timer(10, parent.signal, () => fired.push('cancelled'));
    clock.timer(20, child.signal, () => fired.push('child'));
    handle.cancel();
    handle.cancel();
    parent.abort(new Error('gone'));
    expect(child.signal.aborted).toBe(true);
    await clock.advance(100);
    expect(fired).toEqual([]);
  });

  it("local() gives the wall clock in the hotline's time zone, not the server's", () => {
    // 2026-01-04 23:30 UTC is Monday 07:30 in Shanghai.
    const clock = new VirtualClock(Date.UTC(2026, 0, 4, 23, 30));
    expect(clock.local('Asia/Shanghai')).toEqual({ date: '2026-01-05', minutes: 450, weekday: 1 });
    expect(clock.local('Europe/Berlin')).toEqual({ date: '2026-01-05', minutes: 30, weekday: 1 });
  });
});

describe('systemClock', () => {
  it('sleep resolves after the time and rejects at once on abort', async () => {
    const start = systemClock.now();
    await systemClock.sleep(20, new AbortController().signal);
    expect(systemClock.now() - start).toBeGreaterThanOrEqual(19);
    const ac = new AbortController();
    const slept = systemClock.sleep(60_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(slept).rejects.toThrow('stop');
  });
});
