// N4: the DTMF menu on fake time. Invalid keys and silence are separate outcomes with their own
// counters, retry prompts and fallbacks; a key during the prompt stops it; type-ahead skips it.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Flow, StepOf } from '../../src/flow/schema.js';
import { menu } from '../../src/flow/verbs/menu.js';
import { advance, FakeCall, flowFromYaml, makeContext, newTestClock } from './support/fake-call.js';

const T0 = new Date('2026-03-10T09:00:00+08:00').getTime();

// Prompt lengths: the menu 4 s, the invalid-key retry 2 s, the no-input retry 1.5 s.
const DURATIONS = { 'menu.main': 4000, 'unclear.retry': 2000, 'silent.attempt1': 1500 };

const menuFlow = (extra = 'timeoutMs: 3000', invalidTries = 3, noInputTries = 3) =>
  flowFromYaml(`
hotline: { name: Test line, number: "100" }
steps:
  main:
    verb: menu
    prompt: menu.main
    options:
      1: business
      2: repair
      "#": main
    ${extra}
    invalid: { prompt: unclear.retry, tries: ${invalidTries}, then: invalid-bye }
    noInput: { prompt: silent.attempt1, tries: ${noInputTries}, then: silent-bye }
  business: { verb: play, prompt: info.business, next: bye }
  repair: { verb: play, prompt: info.repair, next: bye }
  invalid-bye: { verb: play, prompt: unclear.goodbye, next: bye }
  silent-bye: { verb: play, prompt: silent.goodbye, next: bye }
  bye: { verb: hangup }
`);

function menuStep(flow: Flow): StepOf<'menu'> {
  const step = flow.steps['main'];
  if (step?.verb !== 'menu') throw new Error('no menu step');
  return step;
}

function start(flow = menuFlow(), call = new FakeCall({ durations: DURATIONS })) {
  const ctx = makeContext(flow, call);
  const done = menu.run(ctx, menuStep(flow), 'main');
  // A rejection is asserted by the test that expects it; keep the others from going unhandled.
  done.catch(() => undefined);
  return { call, ctx, done };
}

beforeEach(() => {
  newTestClock(T0);
});

describe('menu: choices (N4)', () => {
  it('N4: a valid key after the prompt goes to its target and logs menu.choice', async () => {
    const { call, ctx, done } = start();
    await advance(0);
    expect(call.plays()).toEqual([
      { kind: 'play', at: T0, t: 0, prompts: ['menu.main'], bargeIn: true, skipped: false },
    ]);
    await advance(5000); // the prompt ended at 4000, the caller thinks for 1 s
    call.press('2');
    await expect(done).resolves.toBe('repair');
    expect(call.plays()[0]).toMatchObject({ endT: 4000, interrupted: false });
    expect(call.waits).toEqual([{ at: T0 + 4000, t: 4000, timeoutMs: 3000, result: '2', endT: 5000 }]);
    expect(ctx.events).toEqual([
      { type: 'menu.prompted', data: { step: 'main', prompt: 'menu.main', attempt: 1 }, ts: T0 },
      { type: 'menu.choice', data: { step: 'main', digit: '2', target: 'repair', typeAhead: false }, ts: T0 + 5000 },
    ]);
  });

  it('N4: "#" is a key like any other', async () => {
    const { call, ctx, done } = start();
    await advance(4500);
    call.press('#');
    await expect(done).resolves.toBe('main');
    expect(ctx.dataOf('menu.choice')).toEqual([{ step: 'main', digit: '#', target: 'main', typeAhead: false }]);
  });

  it('N4: a key during the prompt stops it at once and is the choice', async () => {
    const { call, ctx, done } = start();
    await advance(1500);
    call.press('1');
    await expect(done).resolves.toBe('business');
    expect(call.plays()).toEqual([
      {
        kind: 'play',
        at: T0,
        t: 0,
        prompts: ['menu.main'],
        bargeIn: true,
        skipped: false,
        endT: 1500,
        interrupted: true,
      },
    ]);
    expect(call.waits).toEqual([{ at: T0 + 1500, t: 1500, timeoutMs: 3000, result: '1', endT: 1500 }]);
    expect(ctx.events.at(-1)).toEqual({
      type: 'menu.choice',
      data: { step: 'main', digit: '1', target: 'business', typeAhead: false },
      ts: T0 + 1500,
    });
  });

  it('N2/N4: a type-ahead key skips the prompt and is logged with typeAhead: true', async () => {
    const call = new FakeCall({ durations: DURATIONS });
    call.press('2'); // pressed during the greeting, before the menu started
    const { ctx, done } = start(menuFlow(), call);
    await advance(0);
    await expect(done).resolves.toBe('repair');
    expect(call.actions).toEqual([]); // nothing played
    expect(ctx.events).toEqual([
      { type: 'menu.choice', data: { step: 'main', digit: '2', target: 'repair', typeAhead: true }, ts: T0 },
    ]);
  });

  it('N4: of two type-ahead keys, the invalid first is counted and the second is read without a prompt', async () => {
    // "9" then "1" typed ahead: 9 is invalid, 1 is read at once on the retry.
    const call = new FakeCall({ durations: DURATIONS });
    call.press('9');
    call.press('1');
    const { ctx, done } = start(menuFlow(), call);
    await advance(0);
    await expect(done).resolves.toBe('business');
    expect(call.actions).toEqual([]);
    expect(ctx.types()).toEqual(['menu.invalid', 'menu.choice']);
    expect(ctx.dataOf('menu.invalid')).toEqual([{ step: 'main', digit: '9', count: 1, tries: 3 }]);
    expect(ctx.dataOf('menu.choice')).toEqual([{ step: 'main', digit: '1', target: 'business', typeAhead: true }]);
  });
});

describe('menu: invalid keys and no input (N4)', () => {
  it('N4: the retry prompt plays before the menu prompt after an invalid key', async () => {
    const { call, ctx, done } = start();
    await advance(4500);
    call.press('9');
    await advance(0);
    expect(call.plays().map((p) => [p.t, p.prompts])).toEqual([
      [0, ['menu.main']],
      [4500, ['unclear.retry', 'menu.main']],
    ]);
    expect(call.plays()[1]).toMatchObject({ bargeIn: true, skipped: false });
    expect(ctx.events).toEqual([
      { type: 'menu.prompted', data: { step: 'main', prompt: 'menu.main', attempt: 1 }, ts: T0 },
      { type: 'menu.invalid', data: { step: 'main', digit: '9', count: 1, tries: 3 }, ts: T0 + 4500 },
      { type: 'menu.prompted', data: { step: 'main', prompt: 'menu.main', attempt: 2 }, ts: T0 + 4500 },
    ]);
    // The retry + menu take 6 s; a valid key afterwards is still taken.
    await advance(6500);
    call.press('1');
    await expect(done).resolves.toBe('business');
  });

  it('N4: invalid, no-input, invalid with tries 3 is not a fallback: each kind keeps its own count', async () => {
    const { call, ctx, done } = start();
    await advance(4500);
    call.press('9'); // invalid #1 at 4500
    // [unclear.retry, menu.main] 4500 → 10500, then 3000 ms of silence → no-input #1 at 13500
    await advance(9000);
    expect(ctx.dataOf('menu.no-input')).toEqual([{ step: 'main', count: 1, tries: 3 }]);
    // [silent.attempt1, menu.main] 13500 → 19000; a wrong key at 20000 → invalid #2
    await advance(6500);
    call.press('7');
    await advance(0);
    expect(ctx.dataOf('menu.invalid')).toEqual([
      { step: 'main', digit: '9', count: 1, tries: 3 },
      { step: 'main', digit: '7', count: 2, tries: 3 },
    ]);
    expect(ctx.dataOf('menu.no-input')).toEqual([{ step: 'main', count: 1, tries: 3 }]);
    expect(ctx.types()).not.toContain('menu.fallback');
    // Three bad outcomes in all, yet no fallback: the caller is offered the menu a 4th time.
    expect(call.plays().map((p) => [p.t, p.prompts])).toEqual([
      [0, ['menu.main']],
      [4500, ['unclear.retry', 'menu.main']],
      [13_500, ['silent.attempt1', 'menu.main']],
      [20_000, ['unclear.retry', 'menu.main']],
    ]);
    expect(ctx.dataOf('menu.prompted').map((d) => d.attempt)).toEqual([1, 2, 3, 4]);
    await advance(1000);
    call.press('2');
    await expect(done).resolves.toBe('repair');
  });

  it('N4: after `tries` invalid keys the menu falls back to invalid.then', async () => {
    const { call, ctx, done } = start();
    await advance(4100);
    call.press('9'); // 4100
    await advance(6100); // [retry, menu] 4100 → 10100
    call.press('8'); // 10200
    await advance(6100); // [retry, menu] 10200 → 16200
    call.press('0'); // 16300
    await expect(done).resolves.toBe('invalid-bye');
    expect(ctx.dataOf('menu.invalid')).toEqual([
      { step: 'main', digit: '9', count: 1, tries: 3 },
      { step: 'main', digit: '8', count: 2, tries: 3 },
      { step: 'main', digit: '0', count: 3, tries: 3 },
    ]);
    expect(ctx.events.at(-1)).toEqual({
      type: 'menu.fallback',
      data: { step: 'main', reason: 'invalid', target: 'invalid-bye' },
      ts: T0 + 16_300,
    });
    expect(ctx.types()).not.toContain('menu.no-input');
    expect(call.plays().map((p) => p.prompts)).toEqual([
      ['menu.main'],
      ['unclear.retry', 'menu.main'],
      ['unclear.retry', 'menu.main'],
    ]);
  });

  it('N4: after `tries` timeouts the menu falls back to noInput.then', async () => {
    const { call, ctx, done } = start();
    // 0 → 4000 prompt, 7000 timeout; 7000 → 12500 retry, 15500 timeout; 15500 → 21000, 24000 timeout.
    await advance(24_000);
    await expect(done).resolves.toBe('silent-bye');
    expect(call.plays().map((p) => [p.t, p.endT, p.prompts])).toEqual([
      [0, 4000, ['menu.main']],
      [7000, 12_500, ['silent.attempt1', 'menu.main']],
      [15_500, 21_000, ['silent.attempt1', 'menu.main']],
    ]);
    expect(ctx.events.filter((e) => e.type === 'menu.no-input' || e.type === 'menu.fallback')).toEqual([
      { type: 'menu.no-input', data: { step: 'main', count: 1, tries: 3 }, ts: T0 + 7000 },
      { type: 'menu.no-input', data: { step: 'main', count: 2, tries: 3 }, ts: T0 + 15_500 },
      { type: 'menu.no-input', data: { step: 'main', count: 3, tries: 3 }, ts: T0 + 24_000 },
      { type: 'menu.fallback', data: { step: 'main', reason: 'no-input', target: 'silent-bye' }, ts: T0 + 24_000 },
    ]);
    expect(ctx.types()).not.toContain('menu.invalid');
  });

  it('N4: the no-input timeout fires exactly timeoutMs after the prompt ends', async () => {
    const { call, ctx } = start();
    await advance(4000 + 2999);
    expect(ctx.types()).toEqual(['menu.prompted']);
    expect(call.plays()).toHaveLength(1);
    await advance(1);
    expect(ctx.dataOf('menu.no-input')).toEqual([{ step: 'main', count: 1, tries: 3 }]);
    expect(call.plays()[1]).toMatchObject({ t: 7000, prompts: ['silent.attempt1', 'menu.main'] });
    expect(call.waits[0]).toEqual({ at: T0 + 4000, t: 4000, timeoutMs: 3000, result: null, endT: 7000 });
  });

  it('N4: without timeoutMs the wait after the prompt is 5000 ms', async () => {
    const { call, ctx } = start(menuFlow(''));
    await advance(8999);
    expect(ctx.types()).toEqual(['menu.prompted']);
    await advance(1);
    expect(ctx.types()).toEqual(['menu.prompted', 'menu.no-input', 'menu.prompted']);
    expect(call.plays()[1]?.t).toBe(9000);
  });

  it('N4: tries 1 falls back on the first bad key, and no-input tries are counted apart', async () => {
    const { call, ctx, done } = start(menuFlow('timeoutMs: 3000', 1, 2));
    await advance(7000); // one timeout: no-input 1 of 2, no fallback
    expect(ctx.types()).toEqual(['menu.prompted', 'menu.no-input', 'menu.prompted']);
    await advance(1000);
    call.press('5'); // invalid 1 of 1: fallback at once
    await expect(done).resolves.toBe('invalid-bye');
    expect(ctx.events.at(-1)?.data).toEqual({ step: 'main', reason: 'invalid', target: 'invalid-bye' });
    expect(call.plays()).toHaveLength(2);
  });

  it('N4: the caller hanging up during the menu rejects with the abort', async () => {
    const { call, ctx, done } = start();
    await advance(5000);
    call.callerHangsUp();
    await expect(done).rejects.toThrow('call ended');
    await advance(60_000);
    expect(ctx.types()).toEqual(['menu.prompted']);
    expect(call.plays()).toHaveLength(1);
  });
});
