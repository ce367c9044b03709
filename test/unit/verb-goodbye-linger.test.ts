// N10: the closing phrase (weekend and holiday variants), then the caller hangs up first. A
// caller who lingers hears linger.1 and linger.2, one 3 s wait apart, and the step ends after a
// last wait; with `linger.resume`, voice or a key while lingering goes back to the flow.
import { beforeEach, describe, expect, it } from 'vitest';
import { goodbye } from '../../src/flow/verbs/goodbye.js';
import { advance, FakeCall, fakeClock, flowFromYaml, makeContext, newTestClock, stepOf, track, type CallAction } from './support/fake-call.js';

const TUESDAY = new Date('2026-03-10T09:00:00+08:00').getTime();
const SATURDAY = new Date('2026-03-07T09:00:00+08:00').getTime();
const NATIONAL_DAY = new Date('2026-10-01T09:00:00+08:00').getTime(); // a Thursday holiday
const HOLIDAY_SATURDAY = new Date('2026-10-03T09:00:00+08:00').getTime();
const MAKE_UP_SATURDAY = new Date('2026-02-28T09:00:00+08:00').getTime();
// Sunday 16:30 in UTC, but already Monday 00:30 in Shanghai.
const MONDAY_EARLY = new Date('2026-03-09T00:30:00+08:00').getTime();

// The closing phrase 3 s, linger.1 2 s, linger.2 4 s.
const DURATIONS = {
  'closing.thanks': 3000,
  'closing.thanks-weekend': 3000,
  'closing.thanks-holiday': 3000,
  'linger.1': 2000,
  'linger.2': 4000,
};

const goodbyeFlow = (linger = '') =>
  flowFromYaml(`
hotline:
  name: Test line
  number: "100"
  timezone: Asia/Shanghai
  holidays: [2026-10-01, 2026-10-02, 2026-10-03]
  workdays: [2026-02-28]
steps:
  closing:
    verb: goodbye
    next: bye${linger}
  main-menu:
    verb: menu
    prompt: menu.main
    options: { 1: bye }
    invalid: { then: bye }
    noInput: { then: bye }
  bye: { verb: hangup }
`);
const RESUME = '\n    linger: { resume: main-menu }';

function start(flow = goodbyeFlow(), call = new FakeCall({ durations: DURATIONS, answered: true })) {
  const ctx = makeContext(flow, call);
  const done = goodbye.run(ctx, stepOf(flow, 'closing', 'goodbye'), 'closing');
  done.catch(() => undefined); // asserted where expected
  return { call, ctx, done };
}

function row(a: CallAction) {
  switch (a.kind) {
    case 'play':
      return [a.kind, a.t, a.endT, a.prompts[0], a.bargeIn, a.stopOnVoice ?? false, a.interrupted];
    case 'listen':
      return [a.kind, a.t, a.endT, a.ms, a.result];
    case 'pause':
      return [a.kind, a.t, a.endT, a.ms];
    default:
      return [a.kind, a.t];
  }
}

beforeEach(() => {
  newTestClock(TUESDAY);
});

describe('goodbye: the closing phrase (N10)', () => {
  it.each([
    ['a weekday', 'standard', 'closing.thanks', TUESDAY],
    ['a Saturday', 'weekend', 'closing.thanks-weekend', SATURDAY],
    ['a holiday', 'holiday', 'closing.thanks-holiday', NATIONAL_DAY],
    ['a holiday on a Saturday (holiday wins)', 'holiday', 'closing.thanks-holiday', HOLIDAY_SATURDAY],
    ['a make-up working Saturday', 'standard', 'closing.thanks', MAKE_UP_SATURDAY],
    ['Monday 00:30 in Shanghai (Sunday in UTC)', 'standard', 'closing.thanks', MONDAY_EARLY],
  ])('N10: on %s the closing phrase is the %s variant (%s)', async (_name, variant, prompt, at) => {
    fakeClock.setTime(at);
    const { call, ctx, done } = start(goodbyeFlow('\n    linger: false'));
    await advance(3000);
    await expect(done).resolves.toBe('bye');
    expect(call.plays().map((p) => p.prompts)).toEqual([[prompt]]);
    expect(ctx.events).toEqual([
      { type: 'goodbye.played', data: { variant, prompts: [prompt], startedAt: at, endedAt: at + 3000 }, ts: at + 3000 },
    ]);
  });

  it('N10: linger: false returns next right after the phrase, without talk detection or waiting', async () => {
    const { call, ctx, done } = start(goodbyeFlow('\n    linger: false'));
    const box = track(done);
    await advance(2999);
    expect(box.settled).toBe(false);
    await advance(1);
    await expect(done).resolves.toBe('bye');
    expect(call.actions.map(row)).toEqual([['play', 0, 3000, 'closing.thanks', false, false, false]]);
    expect(ctx.types()).toEqual(['goodbye.played']);
  });
});

describe('goodbye: a caller who lingers (N10)', () => {
  it('N10: thanks, wait 3 s, linger.1, wait 3 s, linger.2, wait 3 s, then next at 18 s with linger.expired', async () => {
    const { call, ctx, done } = start();
    const box = track(done);
    await advance(17_999);
    expect(box.settled).toBe(false);
    await advance(1);
    await expect(done).resolves.toBe('bye');
    expect(call.actions.map(row)).toEqual([
      ['play', 0, 3000, 'closing.thanks', false, false, false],
      ['detect-talk', 3000],
      ['pause', 3000, 6000, 3000],
      ['play', 6000, 8000, 'linger.1', false, false, false],
      ['pause', 8000, 11_000, 3000],
      ['play', 11_000, 15_000, 'linger.2', false, false, false],
      ['pause', 15_000, 18_000, 3000],
    ]);
    const T0 = TUESDAY;
    expect(ctx.events).toEqual([
      { type: 'goodbye.played', data: { variant: 'standard', prompts: ['closing.thanks'], startedAt: T0, endedAt: T0 + 3000 }, ts: T0 + 3000 },
      { type: 'linger.prompted', data: { n: 1, prompt: 'linger.1', startedAt: T0 + 6000, endedAt: T0 + 8000 }, ts: T0 + 8000 },
      { type: 'linger.prompted', data: { n: 2, prompt: 'linger.2', startedAt: T0 + 11_000, endedAt: T0 + 15_000 }, ts: T0 + 15_000 },
      { type: 'linger.expired', data: { waits: 3 }, ts: T0 + 18_000 },
    ]);
    // The step does not hang up itself: next (a hangup step) does.
    expect(call.kinds()).not.toContain('hangup');
  });

  it('N10/N5: the linger protocol leaves no undeclared silence', async () => {
    const { call, done } = start();
    await advance(18_000);
    await expect(done).resolves.toBe('bye');
    expect(call.silence()).toEqual({ maxGapMs: 3000, maxDeadAirMs: 0 });
  });

  it('N10: the caller hanging up during the first wait rejects the step; no linger prompt plays', async () => {
    const { call, ctx, done } = start();
    await advance(4000);
    call.callerHangsUp();
    await expect(done).rejects.toMatchObject({ name: 'AbortError', cause: new Error('call ended') });
    await advance(60_000);
    expect(call.plays().map((p) => p.prompts[0])).toEqual(['closing.thanks']);
    expect(call.pauses()).toEqual([{ kind: 'pause', at: TUESDAY + 3000, t: 3000, ms: 3000, endT: 4000, aborted: true }]);
    expect(ctx.types()).toEqual(['goodbye.played']);
    expect(call.hungUpBySystem).toBe(false);
  });

  it('N10: with resume, the caller hanging up during the first wait rejects with the call-ended reason', async () => {
    const { call, ctx, done } = start(goodbyeFlow(RESUME));
    await advance(4000);
    call.callerHangsUp();
    await expect(done).rejects.toThrow('call ended');
    await advance(60_000);
    expect(call.plays()).toHaveLength(1);
    expect(ctx.types()).toEqual(['goodbye.played']);
  });

  it('N10: without resume, voice and keys are ignored and the protocol runs to the end', async () => {
    const { call, ctx, done } = start();
    await advance(4000);
    call.speak(); // in the first wait
    await advance(500);
    call.stopSpeaking();
    await advance(2500);
    call.speak(); // during linger.1 (6000–8000)
    call.press('1');
    await advance(500);
    call.stopSpeaking();
    await advance(11_000);
    await expect(done).resolves.toBe('bye');
    expect(call.voiceHeard).toBe(true);
    expect(call.plays().map((p) => [p.t, p.endT, p.prompts[0], p.interrupted])).toEqual([
      [0, 3000, 'closing.thanks', false],
      [6000, 8000, 'linger.1', false],
      [11_000, 15_000, 'linger.2', false],
    ]);
    expect(ctx.types()).toEqual(['goodbye.played', 'linger.prompted', 'linger.prompted', 'linger.expired']);
    expect(ctx.events.at(-1)?.ts).toBe(TUESDAY + 18_000);
  });
});

describe('goodbye: resuming the flow (N10)', () => {
  it('N10: with resume, the waits are listening windows and linger prompts stop on voice or a key', async () => {
    const { call, done } = start(goodbyeFlow(RESUME));
    await advance(18_000);
    await expect(done).resolves.toBe('bye');
    expect(call.actions.map(row)).toEqual([
      ['play', 0, 3000, 'closing.thanks', false, false, false],
      ['detect-talk', 3000],
      ['listen', 3000, 6000, 3000, 'timeout'],
      ['play', 6000, 8000, 'linger.1', true, true, false],
      ['listen', 8000, 11_000, 3000, 'timeout'],
      ['play', 11_000, 15_000, 'linger.2', true, true, false],
      ['listen', 15_000, 18_000, 3000, 'timeout'],
    ]);
  });

  it('N10: voice in the second wait returns resume at that instant with linger.resumed voice, n 1', async () => {
    const { call, ctx, done } = start(goodbyeFlow(RESUME));
    await advance(9500); // the second wait: 8000–11000
    call.speak();
    await expect(done).resolves.toBe('main-menu');
    expect(call.listens().at(-1)).toEqual({ kind: 'listen', at: TUESDAY + 8000, t: 8000, ms: 3000, result: 'voice', endT: 9500 });
    expect(ctx.events.at(-1)).toEqual({
      type: 'linger.resumed',
      data: { by: 'voice', n: 1, target: 'main-menu' },
      ts: TUESDAY + 9500,
    });
    expect(ctx.types()).not.toContain('linger.expired');
    await advance(30_000);
    expect(call.plays().map((p) => p.prompts[0])).toEqual(['closing.thanks', 'linger.1']);
  });

  it('N10: a key during linger.2 stops it and resumes with dtmf, n 2; the key stays for the menu', async () => {
    const { call, ctx, done } = start(goodbyeFlow(RESUME));
    await advance(12_000); // linger.2 plays 11000–15000
    call.press('1');
    await expect(done).resolves.toBe('main-menu');
    expect(call.plays().at(-1)).toMatchObject({ prompts: ['linger.2'], t: 11_000, endT: 12_000, interrupted: true, by: 'dtmf' });
    expect(ctx.events.slice(-2)).toEqual([
      { type: 'linger.prompted', data: { n: 2, prompt: 'linger.2', startedAt: TUESDAY + 11_000, endedAt: TUESDAY + 12_000 }, ts: TUESDAY + 12_000 },
      { type: 'linger.resumed', data: { by: 'dtmf', n: 2, target: 'main-menu' }, ts: TUESDAY + 12_000 },
    ]);
    expect(call.hasTypeAhead()).toBe(true);
  });

  it('N10: voice in the first wait resumes with n 0 before any linger prompt', async () => {
    const { call, ctx, done } = start(goodbyeFlow(RESUME));
    await advance(4000);
    call.speak();
    await expect(done).resolves.toBe('main-menu');
    expect(ctx.dataOf('linger.resumed')).toEqual([{ by: 'voice', n: 0, target: 'main-menu' }]);
    expect(call.plays()).toHaveLength(1);
  });

  it('N10: a key pressed during the closing phrase is stale and does not resume the flow', async () => {
    // goodbye.ts: "Only what the caller does from now on counts: a key pressed before the
    // goodbye is stale." The closing phrase does not take keys, so the key waits in the buffer.
    const { call, ctx, done } = start(goodbyeFlow(RESUME));
    await advance(1000);
    call.press('1');
    await advance(2000); // the phrase ends at 3000; the first wait must be a full 3 s
    expect(ctx.types()).not.toContain('linger.resumed');
    await advance(15_000);
    await expect(done).resolves.toBe('bye');
    expect(ctx.types().at(-1)).toBe('linger.expired');
  });

  it('N10: a caller still "talking" from before the closing phrase does not resume the flow', async () => {
    // Asterisk only sends talk-end while audio flows: a line that went quiet mid-word would
    // otherwise count as talking forever and cut the linger protocol short.
    const { call, ctx, done } = start(goodbyeFlow(RESUME));
    call.speak(); // talk-start, never followed by talk-end
    await advance(18_000);
    await expect(done).resolves.toBe('bye');
    expect(ctx.types()).not.toContain('linger.resumed');
    expect(ctx.types().at(-1)).toBe('linger.expired');
  });
});
