// The interpreter end to end on a fake call: answer → greet → menu → play → goodbye → hangup.
import { beforeEach, describe, expect, it } from 'vitest';
import { runFlow } from '../../src/flow/run-flow.js';
import type { Flow } from '../../src/flow/schema.js';
import { openDatabase } from '../../src/store/database.js';
import { createTicketStore } from '../../src/tickets/ticket-store.js';
import { advance, FakeCall, flowFromYaml, makeContext, newTestClock } from './support/fake-call.js';

// Saturday 2026-03-07 09:00 in Shanghai: a weekend morning.
const T0 = new Date('2026-03-07T09:00:00+08:00').getTime();

const FLOW = `
hotline: { name: Test line, number: "100", timezone: Asia/Shanghai }
ring: { cadence: { onMs: 1000, offMs: 4000 }, answerAfterRings: 1 }
steps:
  answer: { verb: answer, next: welcome }
  welcome: { verb: greet, next: main }
  main:
    verb: menu
    prompt: menu.main
    options: { 1: business }
    timeoutMs: 4000
    invalid: { prompt: unclear.retry, tries: 2, then: unclear }
    noInput: { tries: 2, then: unclear }
  business: { verb: play, prompt: info.business, next: closing }
  unclear: { verb: play, prompt: unclear.goodbye, next: hangup }
  closing: { verb: goodbye, linger: false, next: hangup }
  hangup: { verb: hangup }
`;

// Each prompt plays 2000 ms (the FakeCall default).
function start(flow: Flow = flowFromYaml(FLOW), call = new FakeCall(), at = flow.start) {
  const ctx = makeContext(flow, call);
  const done = runFlow(ctx, at);
  done.catch(() => undefined); // asserted where expected
  return { call, ctx, done };
}

beforeEach(() => {
  newTestClock(T0);
});

describe('runFlow', () => {
  it('N1/N2/N4/N10: runs answer → greet → menu → play → goodbye → hangup in order and on time', async () => {
    const { call, ctx, done } = start();
    await advance(14_000); // ring 0–5000, greeting 5000–11000, menu prompt 11000–13000
    call.press('1');
    await advance(4000); // info.business 14000–16000, closing 16000–18000
    await expect(done).resolves.toBeUndefined();

    expect(call.actions.map((a) => (a.kind === 'play' ? [a.t, a.kind, a.prompts, a.bargeIn] : [a.t, a.kind]))).toEqual([
      [0, 'ring'],
      [5000, 'answer'],
      [5000, 'detect-talk'],
      [5000, 'play', ['salute.morning', 'salute.weekend', 'greeting.body'], true],
      [11_000, 'play', ['menu.main'], true],
      [14_000, 'play', ['info.business'], false],
      [16_000, 'play', ['closing.thanks-weekend'], false],
      [18_000, 'hangup'],
    ]);
    expect(ctx.events.map((e) => [e.ts - T0, e.type])).toEqual([
      [0, 'call.ringing'],
      [5000, 'call.answered'],
      [11_000, 'greeting.played'],
      [11_000, 'menu.prompted'],
      [14_000, 'menu.choice'],
      [16_000, 'prompt.played'],
      [18_000, 'goodbye.played'],
    ]);
    expect(ctx.dataOf('call.answered')).toEqual([{ delayMs: 5000, targetMs: 5000, rings: 2, withinBudget: true }]);
    expect(ctx.dataOf('greeting.played')).toEqual([
      {
        variant: 'morning+weekend',
        holiday: false,
        weekend: true,
        prompts: ['salute.morning', 'salute.weekend', 'greeting.body'],
        interrupted: false,
      },
    ]);
    expect(ctx.dataOf('menu.choice')).toEqual([{ step: 'main', digit: '1', target: 'business', typeAhead: false }]);
    expect(ctx.dataOf('prompt.played')).toEqual([{ prompts: ['info.business'], interrupted: false }]);
    expect(ctx.dataOf('goodbye.played')).toMatchObject([{ variant: 'weekend', prompts: ['closing.thanks-weekend'] }]);
    expect(call.hungUpBySystem).toBe(true);
  });

  it('N2: a key during the greeting stops it and reaches the menu as type-ahead', async () => {
    const { call, ctx, done } = start();
    await advance(7000); // 2 s into the greeting
    call.press('1');
    await advance(4000);
    await expect(done).resolves.toBeUndefined();
    expect(call.plays().map((p) => [p.t, p.endT, p.prompts, p.interrupted])).toEqual([
      [5000, 7000, ['salute.morning', 'salute.weekend', 'greeting.body'], true],
      [7000, 9000, ['info.business'], false], // no menu prompt: the key was already there
      [9000, 11_000, ['closing.thanks-weekend'], false],
    ]);
    expect(ctx.dataOf('greeting.played')[0]).toMatchObject({ interrupted: true });
    expect(ctx.types()).not.toContain('menu.prompted');
    expect(ctx.dataOf('menu.choice')).toEqual([{ step: 'main', digit: '1', target: 'business', typeAhead: true }]);
    expect(call.first('hangup').t).toBe(11_000);
  });

  it('N4: a silent caller goes through the menu tries to the fallback and the hang-up', async () => {
    const { call, ctx, done } = start();
    // menu 11000–13000, timeout 17000; retry [unclear.retry, menu.main] 17000–21000, timeout 25000
    await advance(29_000);
    await expect(done).resolves.toBeUndefined();
    expect(call.plays().map((p) => [p.t, p.prompts])).toEqual([
      [5000, ['salute.morning', 'salute.weekend', 'greeting.body']],
      [11_000, ['menu.main']],
      [17_000, ['unclear.retry', 'menu.main']], // noInput.prompt defaults to unclear.retry
      [25_000, ['unclear.goodbye']],
    ]);
    expect(ctx.dataOf('menu.fallback')).toEqual([{ step: 'main', reason: 'no-input', target: 'unclear' }]);
    expect(call.first('hangup').t).toBe(27_000);
    expect(ctx.types()).not.toContain('goodbye.played');
  });

  it('a caller hang-up mid-flow rejects with the abort and no later step runs', async () => {
    const { call, ctx, done } = start();
    await advance(14_000);
    call.press('1');
    await advance(1000); // 1 s into info.business
    call.callerHangsUp();
    await expect(done).rejects.toThrow('call ended');
    await advance(60_000);
    expect(call.kinds()).toEqual(['ring', 'answer', 'detect-talk', 'play', 'play', 'play']);
    expect(call.plays().at(-1)).toMatchObject({ prompts: ['info.business'], aborted: true, endT: 15_000 });
    expect(ctx.types()).toEqual(['call.ringing', 'call.answered', 'greeting.played', 'menu.prompted', 'menu.choice']);
    expect(call.hungUpBySystem).toBe(false);
  });

  it('a caller hang-up while ringing stops the flow before the answer', async () => {
    const { call, ctx, done } = start();
    await advance(2000);
    call.callerHangsUp();
    // The answer's wait is the clock's sleep, which rejects with the signal's reason itself.
    await expect(done).rejects.toBe(call.signal.reason);
    await advance(60_000);
    expect(call.kinds()).toEqual(['ring']);
    expect(ctx.types()).toEqual(['call.ringing']);
  });

  it('a call whose caller already left runs no step, even one that would not wait', async () => {
    // An adopted call: `answer` returns at once without touching the call, and a system hang-up
    // after the caller left is a no-op, so only the interpreter's own check can stop this flow.
    const flow = flowFromYaml(`
hotline: { name: Test line, number: "100" }
steps:
  answer: { verb: answer, next: bye }
  bye: { verb: hangup }
`);
    const call = new FakeCall({ answered: true });
    call.callerHangsUp();
    const { ctx, done } = start(flow, call);
    await expect(done).rejects.toThrow('call ended');
    expect(call.actions).toEqual([]);
    expect(ctx.events).toEqual([]);
  });

  it('an unknown start step throws and does nothing', async () => {
    const { call, done } = start(flowFromYaml(FLOW), new FakeCall(), 'nowhere');
    await expect(done).rejects.toThrow("unknown step 'nowhere'");
    expect(call.actions).toEqual([]);
  });

  it('an unknown next step at runtime throws after the step that names it', async () => {
    const loaded = flowFromYaml(FLOW);
    // The loader refuses unknown targets; a flow built in code can still carry one.
    const flow: Flow = {
      ...loaded,
      steps: { ...loaded.steps, business: { verb: 'play', prompt: 'info.business', next: 'gone' } },
    };
    const { call, ctx, done } = start(flow);
    await advance(14_000);
    call.press('1');
    await advance(2000);
    await expect(done).rejects.toThrow("unknown step 'gone'");
    await advance(10_000);
    expect(ctx.types().at(-1)).toBe('prompt.played');
    expect(call.kinds()).not.toContain('hangup');
    expect(call.plays().map((p) => p.prompts[0])).not.toContain('closing.thanks-weekend');
  });

  it('a flow that loops without waiting is stopped after 1000 steps', async () => {
    // An adopted (answered) call makes `answer` return at once: a loop with no wait.
    const loaded = flowFromYaml(FLOW);
    const flow: Flow = { ...loaded, steps: { ...loaded.steps, answer: { verb: 'answer', next: 'answer' } } };
    const { call, done } = start(flow, new FakeCall({ answered: true }));
    await expect(done).rejects.toThrow('flow ran 1000 steps without ending');
    expect(call.kinds()).toEqual(['detect-talk']);
  });
});

describe('runFlow: resume points (an adopted call resumes where it was)', () => {
  it('tells onStep each step as it is entered, before the step runs', async () => {
    const call = new FakeCall();
    const entered: Array<[string, number]> = [];
    const ctx = makeContext(flowFromYaml(FLOW), call);
    // With the number of things the call had done: the step's own actions come after.
    const done = runFlow(ctx, 'answer', { onStep: (step) => entered.push([step, call.actions.length]) });
    await advance(14_000);
    call.press('1');
    await advance(4000);
    await done;
    expect(entered).toEqual([
      ['answer', 0],
      ['welcome', 3],
      ['main', 4],
      ['business', 5],
      ['closing', 6],
      ['hangup', 7],
    ]);
  });

  it("resumed: the first step runs its verb's resume, a later entry of the same step its runner", async () => {
    const flow = flowFromYaml(`
hotline: { name: Test line, number: "100" }
steps:
  issue: { verb: create-ticket, repeats: 0, next: again }
  again:
    verb: menu
    prompt: menu.main
    options: { 1: issue }
    invalid: { tries: 1, then: bye }
    noInput: { tries: 1, then: bye }
  bye: { verb: hangup }
`);
    const tickets = createTicketStore(openDatabase(':memory:'), () => T0);
    const first = tickets.create({ callId: 'call-1', caller: '13800138000', group: null });
    const call = new FakeCall({ answered: true, defaultDurationMs: 100 });
    const ctx = makeContext(flow, call, { services: { tickets } });
    const done = runFlow(ctx, 'issue', { resumed: true });
    await advance(3000); // the reading of the existing ticket, then the menu
    expect(ctx.dataOf('ticket.created')).toEqual([]);
    call.press('1');
    await advance(3000);
    call.press('9');
    await advance(3000);
    await done;
    const second = ctx.dataOf('ticket.created').map((e) => e.number);
    expect(second).toHaveLength(1);
    expect(second[0]).not.toBe(first.number);
    expect(ctx.dataOf('ticket.read').map((e) => e.number)).toEqual([first.number, second[0]]);
  });
});
