// N12 on fake time: a number that called earlier today and reached an agent is asked
// 「请问您是咨询之前的问题吗?是请按1」; 1 goes straight to that group's transfer step. Everyone else
// (a first call, an earlier call that never reached an agent, a group with nowhere to go) is not
// asked at all. Also the agent whisper (N6), which tells the agent about the earlier call and the
// ticket (N12/N13).
import { beforeEach, describe, expect, it } from 'vitest';
import type { CallOffer } from '../../src/agents/call-offer.js';
import type { Flow } from '../../src/flow/schema.js';
import { repeatCaller } from '../../src/flow/verbs/repeat-caller.js';
import { whisperPrompts } from '../../src/flow/verbs/transfer.js';
import type { EarlierCalls } from '../../src/store/caller-history.js';
import { advance, FakeCall, flowFromYaml, makeContext, newTestClock, stepOf, track } from './support/fake-call.js';

const T0 = new Date('2026-03-10T09:00:00+08:00').getTime();
const ASK_MS = 2000; // the default play time of a prompt in FakeCall
const TIMEOUT_MS = 3000;

const AGENTS = `
agents:
  agents:
    "1001": { endpoint: PJSIP/1001, workNumber: "1001", name: Zhang }
  groups:
    business: { name: 业务咨询, members: ["1001"] }
    repair: { name: 故障报修, members: ["1001"] }
    complaint: { name: 投诉建议, members: ["1001"] }
`;

// Two transfer steps to repair: the default route is the first one in the file, not the last
// and not the one for another group listed in between. complaint has no transfer step at all.
const repeatFlow = (routes = '{}') =>
  flowFromYaml(`
hotline: { name: Test line, number: "100" }
${AGENTS}
steps:
  again:
    verb: repeat-caller
    timeoutMs: ${TIMEOUT_MS}
    routes: ${routes}
    next: main
  main: { verb: play, prompt: info.business, next: bye }
  repair-first: { verb: transfer, group: repair, target: group.repair, next: bye, failed: bye }
  business-desk: { verb: transfer, group: business, target: group.business, next: bye, failed: bye }
  repair-second: { verb: transfer, group: repair, target: group.repair, next: bye, failed: bye }
  bye: { verb: hangup }
`);

function start(earlier: EarlierCalls | undefined, flow: Flow = repeatFlow(), call = new FakeCall({ answered: true })) {
  let lookups = 0;
  const ctx = makeContext(flow, call, earlier === undefined ? {} : {
    lookupEarlier: () => {
      lookups += 1;
      return earlier;
    },
  });
  const done = repeatCaller.run(ctx, stepOf(flow, 'again', 'repeat-caller'), 'again');
  // A rejection is asserted by the test that expects it; keep the others from going unhandled.
  done.catch(() => undefined);
  return { call, ctx, done, lookups: () => lookups };
}

beforeEach(() => {
  newTestClock(T0);
});

describe('repeat-caller: who is asked (N12)', () => {
  it('N12: a first caller of the day is not asked and goes on to next at once', async () => {
    const { call, ctx, done, lookups } = start({ calls: 0, lastGroup: null });
    const box = track(done);
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'main' });
    expect(call.actions).toEqual([]); // no question, no wait: a first caller loses no time
    expect(call.waits).toEqual([]);
    expect(lookups()).toBe(1);
    expect(ctx.events).toEqual([
      { type: 'repeat.checked', data: { step: 'again', earlierCalls: 0, group: null, target: null }, ts: T0 },
    ]);
  });

  it('N12: without a caller history wired, every caller is a first caller', async () => {
    const { call, ctx, done } = start(undefined);
    await expect(done).resolves.toBe('main');
    expect(call.actions).toEqual([]);
    expect(ctx.dataOf('repeat.checked')).toEqual([{ step: 'again', earlierCalls: 0, group: null, target: null }]);
  });

  it('N12: a number that called earlier but never reached an agent is not asked', async () => {
    // There is no group to go back to, so the question would only waste the caller's time.
    const { call, ctx, done } = start({ calls: 3, lastGroup: null });
    await expect(done).resolves.toBe('main');
    expect(call.plays()).toEqual([]);
    expect(call.waits).toEqual([]);
    expect(ctx.events).toEqual([
      { type: 'repeat.checked', data: { step: 'again', earlierCalls: 3, group: null, target: null }, ts: T0 },
    ]);
  });

  it('N12: an earlier group with no transfer step in the flow is not asked', async () => {
    // complaint is a group, but no step transfers to it: pressing 1 could lead nowhere.
    const { call, ctx, done } = start({ calls: 1, lastGroup: 'complaint' });
    await expect(done).resolves.toBe('main');
    expect(call.plays()).toEqual([]);
    expect(ctx.types()).toEqual(['repeat.checked']);
    expect(ctx.dataOf('repeat.checked')).toEqual([{ step: 'again', earlierCalls: 1, group: 'complaint', target: null }]);
  });
});

describe('repeat-caller: the question (N12)', () => {
  it('N12: a repeat caller hears repeat.ask; 1 goes to the first transfer step of the earlier group', async () => {
    const { call, ctx, done } = start({ calls: 2, lastGroup: 'repair' });
    await advance(ASK_MS + 500); // the question ended at 2000, the caller presses 1 at 2500
    call.press('1');
    await expect(done).resolves.toBe('repair-first');
    expect(call.plays()).toEqual([
      { kind: 'play', at: T0, t: 0, prompts: ['repeat.ask'], bargeIn: true, skipped: false, endT: ASK_MS, interrupted: false },
    ]);
    expect(call.waits).toEqual([{ at: T0 + ASK_MS, t: ASK_MS, timeoutMs: TIMEOUT_MS, result: '1', endT: ASK_MS + 500 }]);
    expect(ctx.events).toEqual([
      { type: 'repeat.checked', data: { step: 'again', earlierCalls: 2, group: 'repair', target: 'repair-first' }, ts: T0 },
      { type: 'repeat.routed', data: { step: 'again', group: 'repair', target: 'repair-first' }, ts: T0 + ASK_MS + 500 },
    ]);
  });

  it('N12: 1 during the question stops it and is the answer', async () => {
    const { call, done } = start({ calls: 1, lastGroup: 'business' });
    await advance(800);
    call.press('1');
    await expect(done).resolves.toBe('business-desk');
    expect(call.plays()[0]).toMatchObject({ prompts: ['repeat.ask'], endT: 800, interrupted: true });
  });

  it('N12: an explicit routes entry wins over the first transfer step; other groups keep the default', async () => {
    const flow = repeatFlow('{ repair: repair-second }');
    const routed = start({ calls: 1, lastGroup: 'repair' }, flow);
    await advance(ASK_MS + 100);
    routed.call.press('1');
    await expect(routed.done).resolves.toBe('repair-second');
    expect(routed.ctx.dataOf('repeat.checked')).toEqual([
      { step: 'again', earlierCalls: 1, group: 'repair', target: 'repair-second' },
    ]);
    expect(routed.ctx.dataOf('repeat.routed')).toEqual([{ step: 'again', group: 'repair', target: 'repair-second' }]);

    const other = start({ calls: 1, lastGroup: 'business' }, flow);
    await advance(ASK_MS + 100);
    other.call.press('1');
    await expect(other.done).resolves.toBe('business-desk');
  });

  it('N12: a routes entry can make a group with no transfer step askable', async () => {
    const flow = repeatFlow('{ complaint: repair-second }');
    const { call, ctx, done } = start({ calls: 1, lastGroup: 'complaint' }, flow);
    await advance(ASK_MS + 100);
    expect(call.plays().map((p) => p.prompts)).toEqual([['repeat.ask']]);
    call.press('1');
    await expect(done).resolves.toBe('repair-second');
    expect(ctx.dataOf('repeat.routed')).toEqual([{ step: 'again', group: 'complaint', target: 'repair-second' }]);
  });

  it('N12: 2 goes on as for a first call and logs repeat.declined with the digit', async () => {
    const { call, ctx, done } = start({ calls: 2, lastGroup: 'repair' });
    await advance(ASK_MS + 700);
    call.press('2');
    await expect(done).resolves.toBe('main');
    expect(ctx.types()).toEqual(['repeat.checked', 'repeat.declined']);
    expect(ctx.events.at(-1)).toEqual({
      type: 'repeat.declined',
      data: { step: 'again', digit: '2' },
      ts: T0 + ASK_MS + 700,
    });
  });

  it('N12: silence for timeoutMs after the question goes on to next with repeat.declined digit null', async () => {
    const { call, ctx, done } = start({ calls: 2, lastGroup: 'repair' });
    const box = track(done);
    // The wait starts when the question ends, and lasts exactly timeoutMs.
    await advance(ASK_MS + TIMEOUT_MS - 1);
    expect(box.settled).toBe(false);
    await advance(1);
    expect(box).toEqual({ settled: true, value: 'main' });
    expect(call.waits).toEqual([
      { at: T0 + ASK_MS, t: ASK_MS, timeoutMs: TIMEOUT_MS, result: null, endT: ASK_MS + TIMEOUT_MS },
    ]);
    expect(ctx.events.at(-1)).toEqual({
      type: 'repeat.declined',
      data: { step: 'again', digit: null },
      ts: T0 + ASK_MS + TIMEOUT_MS,
    });
    expect(ctx.types()).not.toContain('repeat.routed');
  });

  it('N12: a 1 keyed before the question (type-ahead) is not taken as the answer', async () => {
    // The caller pressed 1 during the greeting; that key answered nothing we asked.
    const call = new FakeCall({ answered: true });
    call.press('1');
    const { ctx, done } = start({ calls: 1, lastGroup: 'repair' }, repeatFlow(), call);
    await advance(ASK_MS + TIMEOUT_MS);
    await expect(done).resolves.toBe('main');
    expect(call.plays()).toMatchObject([{ prompts: ['repeat.ask'], skipped: false, interrupted: false }]);
    expect(ctx.dataOf('repeat.declined')).toEqual([{ step: 'again', digit: null }]);
  });

  it('N12: the caller hanging up during the question ends the step with the call', async () => {
    const { call, ctx, done } = start({ calls: 1, lastGroup: 'repair' });
    await advance(500);
    call.callerHangsUp();
    await expect(done).rejects.toThrow('call ended');
    expect(ctx.types()).toEqual(['repeat.checked']);
  });
});

describe('whisperPrompts (N6/N12/N13)', () => {
  const offer = (extra: Partial<CallOffer> = {}): CallOffer => ({
    callId: 'call-1',
    caller: '13800138000',
    group: 'repair',
    menuPath: ['2', '1'],
    calledEarlierToday: false,
    ...extra,
  });
  const CALLER = [...'13800138000'].map((d) => `digit.${d}`);
  const TICKET = [...'2603100007'].map((d) => `digit.${d}`);

  it('N6: the caller digits, then the menu keys chosen', () => {
    expect(whisperPrompts(offer(), false)).toEqual(['whisper.caller', ...CALLER, 'whisper.path', 'digit.2', 'digit.1']);
  });

  it('N12: whisper.earlier only when the caller called earlier today, after the menu path', () => {
    expect(whisperPrompts(offer({ calledEarlierToday: true }), false)).toEqual([
      'whisper.caller', ...CALLER, 'whisper.path', 'digit.2', 'digit.1', 'whisper.earlier',
    ]);
    expect(whisperPrompts(offer({ calledEarlierToday: false }), false)).not.toContain('whisper.earlier');
  });

  it('N13: whisper.ticket and the ticket digits when the call has a ticket; whisper.accept last when confirm', () => {
    expect(whisperPrompts(offer({ calledEarlierToday: true, ticket: '2603100007' }), true)).toEqual([
      'whisper.caller', ...CALLER,
      'whisper.path', 'digit.2', 'digit.1',
      'whisper.earlier',
      'whisper.ticket', ...TICKET,
      'whisper.accept',
    ]);
    expect(whisperPrompts(offer(), false)).not.toContain('whisper.ticket');
    expect(whisperPrompts(offer({ ticket: '2603100007' }), false).at(-1)).toBe('digit.7');
  });

  it('N6: a withheld caller gets no whisper.caller; a caller who chose no key gets no whisper.path', () => {
    // "anonymous" has no digits to say: a bare "来电号码" followed by nothing would confuse the agent.
    expect(whisperPrompts(offer({ caller: 'anonymous' }), true)).toEqual(['whisper.path', 'digit.2', 'digit.1', 'whisper.accept']);
    expect(whisperPrompts(offer({ caller: 'anonymous', menuPath: [] }), false)).toEqual([]);
    expect(whisperPrompts(offer({ menuPath: [] }), false)).toEqual(['whisper.caller', ...CALLER]);
  });
});

describe('repeat-caller: the default route follows the file order (N12)', () => {
  it('N12: a step id that looks like a number does not jump the queue', async () => {
    // JavaScript lists the key "2" before "fix"; the file lists fix first, so fix is the route.
    const flow = flowFromYaml(`
hotline: { name: Test line, number: "100" }
${AGENTS}
steps:
  again: { verb: repeat-caller, timeoutMs: ${TIMEOUT_MS}, next: bye }
  fix: { verb: transfer, group: repair, target: group.repair, next: bye, failed: bye }
  "2": { verb: transfer, group: repair, target: group.repair, next: bye, failed: bye }
  bye: { verb: hangup }
`);
    expect(Object.keys(flow.steps)[0]).toBe('2');
    const { call, done } = start({ calls: 1, lastGroup: 'repair' }, flow);
    await advance(100);
    call.press('1');
    await advance(ASK_MS + 100);
    await expect(done).resolves.toBe('fix');
  });
});

describe('whisperPrompts: star and hash in a menu path (N6)', () => {
  it('N6: * and # are spoken as digit.star and digit.hash, not dropped', () => {
    const prompts = whisperPrompts(
      { callId: 'c', caller: '13800138000', group: 'repair', menuPath: ['*', '2', '#'], calledEarlierToday: false },
      false,
    );
    expect(prompts.slice(prompts.indexOf('whisper.path'))).toEqual(['whisper.path', 'digit.star', 'digit.2', 'digit.hash']);
  });
});

describe('whisperPrompts: the flow chooses the parts and their order (N6)', () => {
  const offer: CallOffer = {
    callId: 'c', caller: '13800138000', group: 'repair', menuPath: ['2'], calledEarlierToday: true, ticket: '2603100007',
  };

  it('N6: an operator who wants a short whisper keeps only some parts, in the order given', () => {
    expect(whisperPrompts(offer, true, ['earlier', 'path'])).toEqual(['whisper.earlier', 'whisper.path', 'digit.2', 'whisper.accept']);
    expect(whisperPrompts(offer, false, [])).toEqual([]);
  });

  it('N6: the flow file defaults to every part, and rejects a part named twice', () => {
    const flow = flowFromYaml('hotline: { name: Test line, number: "100" }\nsteps:\n  bye: { verb: hangup }\n');
    expect(flow.whisper).toEqual(['caller', 'path', 'earlier', 'ticket']);
    expect(() => flowFromYaml('hotline: { name: Test line, number: "100" }\nwhisper: [path, path]\nsteps:\n  bye: { verb: hangup }\n')).toThrow(
      /whisper: each whisper part once/,
    );
  });
});
