// N5 "no dead air", measured: maxGapMs is the longest stretch without audio (listening windows
// included); maxDeadAirMs the longest stretch outside both audio and a declared listening window.
// The meter only takes timestamps, so these tests feed it plain numbers.
import { describe, expect, it } from 'vitest';
import { SilenceMeter } from '../../src/calls/silence-meter.js';

/** Prompts as [start, end] pairs after an answer at `answeredAt`. */
function meterWith(answeredAt: number, prompts: Array<[number, number]>): SilenceMeter {
  const meter = new SilenceMeter();
  meter.answered(answeredAt);
  for (const [start, end] of prompts) {
    meter.audioStarted(start);
    meter.audioEnded(end);
  }
  return meter;
}

describe('SilenceMeter (N5)', () => {
  it('N5: back-to-back prompts leave no gap', () => {
    const meter = meterWith(0, [
      [0, 3000],
      [3000, 5000],
    ]);
    expect(meter.finish(5000)).toEqual({ maxGapMs: 0, maxDeadAirMs: 0 });
  });

  it('N5: the gaps between prompts are both gap and dead air; the longest counts', () => {
    // answer 0, prompts 1000–3000, 7000–9000, 9500–10000; hang-up at 10000
    const meter = meterWith(0, [
      [1000, 3000],
      [7000, 9000],
      [9500, 10_000],
    ]);
    expect(meter.finish(10_000)).toEqual({ maxGapMs: 4000, maxDeadAirMs: 4000 });
  });

  it('N5: a listening window counts toward maxGap but not maxDeadAir', () => {
    const meter = meterWith(0, [[0, 2000]]);
    meter.listenStarted(2000);
    meter.listenEnded(7000); // a 5 s menu timeout
    meter.audioStarted(7000);
    meter.audioEnded(9000);
    expect(meter.finish(9000)).toEqual({ maxGapMs: 5000, maxDeadAirMs: 0 });
  });

  it('N5: only the undeclared part around a listening window is dead air', () => {
    const meter = meterWith(0, [[0, 2000]]);
    meter.listenStarted(2300); // 300 ms of round trip before the window opens
    meter.listenEnded(7300);
    meter.audioStarted(8000); // 700 ms before the next prompt starts
    meter.audioEnded(9000);
    expect(meter.finish(9000)).toEqual({ maxGapMs: 6000, maxDeadAirMs: 700 });
  });

  it('N5: a pause and a listen back to back are both declared', () => {
    const meter = meterWith(0, [[0, 2000]]);
    meter.listenStarted(2000);
    meter.listenEnded(5000);
    meter.listenStarted(5000);
    meter.listenEnded(7000);
    meter.audioStarted(7000);
    meter.audioEnded(8000);
    expect(meter.finish(8000)).toEqual({ maxGapMs: 5000, maxDeadAirMs: 0 });
  });

  it('N5: silence before the answer (ringback) is not counted', () => {
    const meter = new SilenceMeter();
    meter.listenStarted(0); // nothing before the answer counts, even a wait
    meter.listenEnded(4000);
    meter.answered(10_000);
    meter.audioStarted(10_200);
    meter.audioEnded(12_000);
    expect(meter.finish(12_000)).toEqual({ maxGapMs: 200, maxDeadAirMs: 200 });
  });

  it('N5: a listen that opens during a prompt and outlasts it: the gap runs from the end of the audio', () => {
    // prompt 0–4000 (bargeIn), a listen 1000–6000, the next prompt at 8000
    const meter = new SilenceMeter();
    meter.answered(0);
    meter.audioStarted(0);
    meter.listenStarted(1000);
    meter.audioEnded(4000);
    meter.listenEnded(6000);
    meter.audioStarted(8000);
    meter.audioEnded(9000);
    expect(meter.finish(9000)).toEqual({ maxGapMs: 4000, maxDeadAirMs: 2000 });
  });

  it('N5: a prompt nested in a listening window: audio inside resets the gap, no dead air', () => {
    const meter = new SilenceMeter();
    meter.answered(0);
    meter.listenStarted(0);
    meter.audioStarted(2000);
    meter.audioEnded(4000);
    meter.listenEnded(10_000);
    expect(meter.finish(10_000)).toEqual({ maxGapMs: 6000, maxDeadAirMs: 0 });
  });

  it('N5: overlapping prompts count as audio until the last one ends', () => {
    const meter = new SilenceMeter();
    meter.answered(0);
    meter.audioStarted(0);
    meter.audioStarted(1000);
    meter.audioEnded(2000); // one still plays
    meter.audioEnded(5000);
    expect(meter.finish(6000)).toEqual({ maxGapMs: 1000, maxDeadAirMs: 1000 });
  });

  it('N5: finish() with the caller hanging up during undeclared silence counts it up to the hang-up', () => {
    const meter = meterWith(0, [[0, 2000]]);
    expect(meter.finish(9000)).toEqual({ maxGapMs: 7000, maxDeadAirMs: 7000 });
  });

  it('N5: the caller hanging up during a listening window: gap, but no dead air', () => {
    const meter = meterWith(0, [[0, 2000]]);
    meter.listenStarted(2000);
    expect(meter.finish(6000)).toEqual({ maxGapMs: 4000, maxDeadAirMs: 0 });
    // what CallSession does: the aborted listen ends, then the figures are read
    meter.listenEnded(6000);
    expect(meter.finish(6000)).toEqual({ maxGapMs: 4000, maxDeadAirMs: 0 });
  });

  it('N5: the caller hanging up during a prompt adds nothing', () => {
    const meter = meterWith(0, [[1000, 2000]]);
    meter.audioStarted(5000);
    expect(meter.finish(9000)).toEqual({ maxGapMs: 3000, maxDeadAirMs: 3000 });
  });

  it('N5: finish() is null when the call was never answered', () => {
    const meter = new SilenceMeter();
    expect(meter.finish(30_000)).toBeNull();
    meter.audioStarted(1000);
    meter.audioEnded(2000);
    meter.listenStarted(2000);
    meter.listenEnded(3000);
    expect(meter.finish(30_000)).toBeNull();
  });
});
