// N3: the silent-line protocol on fake time. A caller who makes no sound and presses no key is
// asked three times, 5 s of listening after each prompt, then hears the goodbye, a 2 s pause and
// is hung up. Voice (TALK_DETECT) or a key ends the protocol at once; a key stays for the menu.
import { beforeEach, describe, expect, it } from 'vitest';
import { runFlow } from '../../src/flow/run-flow.js';
import { silentLine } from '../../src/flow/verbs/silent-line.js';
import { advance, FakeCall, flowFromYaml, makeContext, newTestClock, stepOf, track } from './support/fake-call.js';

// Tuesday 2026-03-10 09:00 in Shanghai.
const T0 = new Date('2026-03-10T09:00:00+08:00').getTime();

// Every silent-line prompt plays 3 s.
const DURATIONS = { 'silent.attempt1': 3000, 'silent.attempt2': 3000, 'silent.goodbye': 3000 };

// The step with every default: firstListenMs 5000, attempts [attempt1, attempt2, attempt2],
// listenMs 5000, goodbye silent.goodbye, pauseMs 2000.
const silentFlow = (extra = '') =>
  flowFromYaml(`
hotline: { name: Test line, number: "100" }
steps:
  listen:
    verb: silent-line
    next: main${extra}
  main:
    verb: menu
    prompt: menu.main
    options: { 1: business }
    invalid: { then: bye }
    noInput: { then: bye }
  business: { verb: play, prompt: info.business, next: bye }
  transfer: { verb: play, prompt: info.complaint, next: bye }
  bye: { verb: hangup }
`);

function start(flow = silentFlow(), call = new FakeCall({ durations: DURATIONS, answered: true })) {
  const ctx = makeContext(flow, call);
  const done = silentLine.run(ctx, stepOf(flow, 'listen', 'silent-line'), 'listen');
  done.catch(() => undefined); // asserted where expected
  return { call, ctx, done };
}

beforeEach(() => {
  newTestClock(T0);
});

describe('silent-line: a silent caller (N3)', () => {
  it('N3: defaults are the SPEC numbers', () => {
    expect(stepOf(silentFlow(), 'listen', 'silent-line')).toEqual({
      verb: 'silent-line',
      firstListenMs: 5000,
      attempts: ['silent.attempt1', 'silent.attempt2', 'silent.attempt2'],
      listenMs: 5000,
      goodbye: 'silent.goodbye',
      pauseMs: 2000,
      next: 'main',
    });
  });

  it('N3: listen 5 s, three attempts each followed by 5 s of listening, goodbye, 2 s pause, hang-up at 34 s', async () => {
    const { call, ctx, done } = start();
    const box = track(done);
    await advance(33_999);
    expect(call.kinds()).not.toContain('hangup');
    expect(box.settled).toBe(false);
    await advance(1);
    await expect(done).resolves.toBeUndefined();

    const row = (a: (typeof call.actions)[number]) => {
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
    };
    expect(call.actions.map(row)).toEqual([
      ['detect-talk', 0],
      ['listen', 0, 5000, 5000, 'timeout'],
      ['play', 5000, 8000, 'silent.attempt1', true, true, false],
      ['listen', 8000, 13_000, 5000, 'timeout'],
      ['play', 13_000, 16_000, 'silent.attempt2', true, true, false],
      ['listen', 16_000, 21_000, 5000, 'timeout'],
      ['play', 21_000, 24_000, 'silent.attempt2', true, true, false],
      ['listen', 24_000, 29_000, 5000, 'timeout'],
      ['play', 29_000, 32_000, 'silent.goodbye', false, false, false],
      ['pause', 32_000, 34_000, 2000],
      ['hangup', 34_000],
    ]);
    expect(call.hungUpBySystem).toBe(true);

    expect(ctx.events).toEqual([
      {
        type: 'silent.attempt',
        data: { step: 'listen', attempt: 1, prompt: 'silent.attempt1', startedAt: T0 + 5000, endedAt: T0 + 8000, interrupted: false },
        ts: T0 + 8000,
      },
      {
        type: 'silent.attempt',
        data: { step: 'listen', attempt: 2, prompt: 'silent.attempt2', startedAt: T0 + 13_000, endedAt: T0 + 16_000, interrupted: false },
        ts: T0 + 16_000,
      },
      {
        type: 'silent.attempt',
        data: { step: 'listen', attempt: 3, prompt: 'silent.attempt2', startedAt: T0 + 21_000, endedAt: T0 + 24_000, interrupted: false },
        ts: T0 + 24_000,
      },
      { type: 'silent.goodbye', data: { step: 'listen', startedAt: T0 + 29_000, endedAt: T0 + 32_000 }, ts: T0 + 32_000 },
    ]);
    expect(ctx.types()).not.toContain('silent.ended');
  });

  it('N3/N5: the silent protocol leaves no undeclared silence, and no gap longer than 5 s', async () => {
    const { call, done } = start();
    await advance(34_000);
    await expect(done).resolves.toBeUndefined();
    expect(call.silence()).toEqual({ maxGapMs: 5000, maxDeadAirMs: 0 });
  });

  it('N3: onSilence goes there after the last listening window: silent.gave-up, no goodbye, no hang-up', async () => {
    const { call, ctx, done } = start(silentFlow('\n    onSilence: transfer'));
    const box = track(done);
    await advance(28_999);
    expect(box.settled).toBe(false);
    await advance(1);
    await expect(done).resolves.toBe('transfer');
    expect(call.plays().map((p) => p.prompts[0])).toEqual(['silent.attempt1', 'silent.attempt2', 'silent.attempt2']);
    expect(call.listens().at(-1)).toMatchObject({ t: 24_000, endT: 29_000, result: 'timeout' });
    expect(call.kinds()).not.toContain('pause');
    expect(call.kinds()).not.toContain('hangup');
    expect(call.hungUpBySystem).toBe(false);
    expect(ctx.types()).toEqual(['silent.attempt', 'silent.attempt', 'silent.attempt', 'silent.gave-up']);
    expect(ctx.events.at(-1)).toEqual({
      type: 'silent.gave-up',
      data: { step: 'listen', target: 'transfer' },
      ts: T0 + 29_000,
    });
  });
});

describe('silent-line: the caller is there (N3)', () => {
  it('N3: voice in the first listening window returns next at that instant, attempt 0, nothing played', async () => {
    const { call, ctx, done } = start();
    await advance(1200);
    call.speak();
    await expect(done).resolves.toBe('main');
    expect(call.plays()).toEqual([]);
    expect(call.listens()).toEqual([{ kind: 'listen', at: T0, t: 0, ms: 5000, result: 'voice', endT: 1200 }]);
    expect(ctx.events).toEqual([{ type: 'silent.ended', data: { step: 'listen', by: 'voice', attempt: 0 }, ts: T0 + 1200 }]);
    expect(call.voiceHeard).toBe(true);
  });

  it('N3: voice during attempt 2 stops its prompt at that instant: silent.ended voice, attempt 2', async () => {
    const { call, ctx, done } = start();
    await advance(14_500); // attempt 2 plays 13000–16000
    call.speak();
    await expect(done).resolves.toBe('main');
    expect(call.plays().at(-1)).toEqual({
      kind: 'play',
      at: T0 + 13_000,
      t: 13_000,
      prompts: ['silent.attempt2'],
      bargeIn: true,
      stopOnVoice: true,
      skipped: false,
      endT: 14_500,
      interrupted: true,
      by: 'voice',
    });
    expect(call.listens()).toHaveLength(2); // no listening after the interrupted prompt
    expect(ctx.events.slice(-2)).toEqual([
      {
        type: 'silent.attempt',
        data: { step: 'listen', attempt: 2, prompt: 'silent.attempt2', startedAt: T0 + 13_000, endedAt: T0 + 14_500, interrupted: true },
        ts: T0 + 14_500,
      },
      { type: 'silent.ended', data: { step: 'listen', by: 'voice', attempt: 2 }, ts: T0 + 14_500 },
    ]);
  });

  it('N3: a key during attempt 1 stops it (dtmf) and stays buffered for the menu', async () => {
    const { call, ctx, done } = start();
    await advance(6000); // attempt 1 plays 5000–8000
    call.press('1');
    await expect(done).resolves.toBe('main');
    expect(call.plays()[0]).toMatchObject({ endT: 6000, interrupted: true, by: 'dtmf' });
    expect(ctx.dataOf('silent.ended')).toEqual([{ step: 'listen', by: 'dtmf', attempt: 1 }]);
    expect(call.hasTypeAhead()).toBe(true);
  });

  it("N3: a key during attempt 2's listening window ends it with dtmf and stays in the type-ahead buffer", async () => {
    const { call, ctx, done } = start();
    await advance(17_000); // attempt 2's listening window: 16000–21000
    call.press('1');
    await expect(done).resolves.toBe('main');
    expect(call.listens().at(-1)).toEqual({ kind: 'listen', at: T0 + 16_000, t: 16_000, ms: 5000, result: 'dtmf', endT: 17_000 });
    expect(ctx.events.at(-1)).toEqual({ type: 'silent.ended', data: { step: 'listen', by: 'dtmf', attempt: 2 }, ts: T0 + 17_000 });
    expect(call.hasTypeAhead()).toBe(true);
    await expect(call.nextDigit(5000)).resolves.toBe('1'); // the menu reads it at once
  });

  it('N3: a caller who spoke before the step (voice already heard) goes to next at once, without listening', async () => {
    const call = new FakeCall({ durations: DURATIONS, answered: true, talkDetect: true });
    await advance(1000);
    call.speak(); // e.g. over the greeting, with talk detection on
    await advance(800);
    call.stopSpeaking();
    await advance(500);
    const { ctx, done } = start(silentFlow(), call);
    await expect(done).resolves.toBe('main');
    expect(call.voiceHeard).toBe(true);
    expect(call.listens()).toEqual([]);
    expect(call.plays()).toEqual([]);
    expect(ctx.events).toEqual([{ type: 'silent.ended', data: { step: 'listen', by: 'voice', attempt: 0 }, ts: T0 + 2300 }]);
  });

  it('N3: a key typed ahead before the step goes to next at once with dtmf, and stays for the menu', async () => {
    const call = new FakeCall({ durations: DURATIONS, answered: true });
    call.press('1');
    const { ctx, done } = start(silentFlow(), call);
    await expect(done).resolves.toBe('main');
    expect(call.listens()).toEqual([]);
    expect(ctx.dataOf('silent.ended')).toEqual([{ step: 'listen', by: 'dtmf', attempt: 0 }]);
    expect(call.hasTypeAhead()).toBe(true);
  });

  it('N2/N3: a caller who speaks over the greeting is heard by the silent line (answer → greet → silent-line)', async () => {
    // The shipped flow's order. TALK_DETECT must be on while the greeting plays, or Asterisk
    // reports no talking and a caller who already said "hello" is asked "are you there?".
    const flow = flowFromYaml(`
hotline: { name: Test line, number: "100" }
steps:
  answer: { verb: answer, next: welcome }
  welcome: { verb: greet, next: listen }
  listen: { verb: silent-line, next: bye }
  bye: { verb: hangup }
`);
    const call = new FakeCall({ durations: DURATIONS });
    const ctx = makeContext(flow, call);
    const done = runFlow(ctx, flow.start);
    done.catch(() => undefined);
    await advance(6000); // answered at 5000; the greeting (2 prompts × 2 s) plays 5000–9000
    call.speak();
    await advance(1000);
    call.stopSpeaking();
    await advance(2000); // the greeting ends at 9000
    expect(ctx.dataOf('silent.ended')).toEqual([{ step: 'listen', by: 'voice', attempt: 0 }]);
    expect(call.listens()).toEqual([]);
    await expect(done).resolves.toBeUndefined();
  });
});

describe('silent-line: races (N3)', () => {
  it('N3: the caller hanging up during the 2 s pause rejects the step; the system does not hang up', async () => {
    const { call, ctx, done } = start();
    await advance(33_000); // the pause runs 32000–34000
    call.callerHangsUp();
    await expect(done).rejects.toMatchObject({ name: 'AbortError', cause: new Error('call ended') });
    await advance(10_000);
    expect(call.kinds()).not.toContain('hangup');
    expect(call.hungUpBySystem).toBe(false);
    expect(call.pauses()).toEqual([{ kind: 'pause', at: T0 + 32_000, t: 32_000, ms: 2000, endT: 33_000, aborted: true }]);
    expect(ctx.types().at(-1)).toBe('silent.goodbye');
  });

  it('N3: the caller hanging up during a listening window rejects with the call-ended reason', async () => {
    const { call, ctx, done } = start();
    await advance(10_000);
    call.callerHangsUp();
    await expect(done).rejects.toThrow('call ended');
    await advance(60_000);
    expect(call.listens().at(-1)).toMatchObject({ t: 8000, endT: 10_000, aborted: true });
    expect(call.plays()).toHaveLength(1);
    expect(ctx.types()).toEqual(['silent.attempt']);
  });

  it('N3: a key and voice at the same instant in a listening window: one silent.ended, next step runs once', async () => {
    const flow = silentFlow();
    const call = new FakeCall({ durations: DURATIONS, answered: true });
    const ctx = makeContext(flow, call);
    const done = runFlow(ctx, 'listen');
    done.catch(() => undefined);
    await advance(10_000); // attempt 1's listening window: 8000–13000
    call.press('1');
    call.speak();
    await advance(2000); // info.business 10000–12000, then the hang-up
    await expect(done).resolves.toBeUndefined();
    expect(ctx.dataOf('silent.ended')).toEqual([{ step: 'listen', by: 'dtmf', attempt: 1 }]);
    expect(ctx.dataOf('menu.choice')).toEqual([{ step: 'main', digit: '1', target: 'business', typeAhead: true }]);
    expect(call.plays().map((p) => [p.t, p.prompts[0]])).toEqual([
      [5000, 'silent.attempt1'],
      [10_000, 'info.business'],
    ]);
    expect(call.kinds().filter((k) => k === 'hangup')).toHaveLength(1);
    expect(call.first('hangup').t).toBe(12_000);
  });

  it('N3: voice and a key at the same instant during a prompt: the first one stops it, one silent.ended', async () => {
    const { call, ctx, done } = start();
    await advance(6000);
    call.speak();
    call.press('1');
    await expect(done).resolves.toBe('main');
    await advance(30_000);
    expect(ctx.dataOf('silent.ended')).toEqual([{ step: 'listen', by: 'voice', attempt: 1 }]);
    expect(call.plays()).toHaveLength(1);
    expect(call.plays()[0]).toMatchObject({ endT: 6000, by: 'voice' });
    expect(call.hasTypeAhead()).toBe(true);
  });

  it('N3: talking that started and ended inside one window counts (talk-start is enough)', async () => {
    const { call, ctx, done } = start();
    await advance(9000);
    call.speak();
    call.stopSpeaking();
    await expect(done).resolves.toBe('main');
    expect(ctx.dataOf('silent.ended')).toEqual([{ step: 'listen', by: 'voice', attempt: 1 }]);
  });
});
