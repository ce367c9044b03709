// N7 with a fake call and fake timers: the caller ID confirmed by 1, a keyed number read back,
// numbers outside the allowed patterns refused before any read-back and never stored.
import { beforeEach, describe, expect, it } from 'vitest';
import type { CallbackRow, CallbackStore, NewCallback } from '../../src/callbacks/callback-store.js';
import { captureNumber } from '../../src/flow/verbs/capture-number.js';
import { advance, FakeCall, flowFromYaml, makeContext, newTestClock, stepOf } from './support/fake-call.js';

const T0 = new Date('2026-03-10T09:00:00+08:00').getTime();

const FLOW = flowFromYaml(`
hotline: { name: Test line, number: "100" }
steps:
  offer:
    verb: capture-number
    reason: transfer-failed
    tries: 2
    next: thanks
    failed: bye
  thanks: { verb: hangup }
  bye: { verb: hangup }
`);

function memoryStore() {
  const rows: CallbackRow[] = [];
  const store: Pick<CallbackStore, 'add'> = {
    add(c: NewCallback) {
      const row: CallbackRow = {
        id: rows.length + 1, callId: c.callId, number: c.number, reason: c.reason, group: c.group ?? null,
        promisedBy: c.now + 30 * 60_000, status: 'pending', attempts: 0, createdAt: c.now,
        nextAttemptAt: c.now, lastAttemptAt: null, outcome: null, claimToken: null, language: c.language ?? null, ticket: c.ticket ?? null,
      };
      rows.push(row);
      return row;
    },
  };
  return { rows, store: store as CallbackStore };
}

function start(caller: string) {
  const call = new FakeCall({ answered: true, caller });
  const { rows, store } = memoryStore();
  const ctx = makeContext(FLOW, call, { services: { callbacks: store } });
  const done = captureNumber.run(ctx, stepOf(FLOW, 'offer', 'capture-number'), 'offer');
  done.catch(() => undefined);
  return { call, ctx, rows, done };
}

const pressAll = (call: FakeCall, keys: string) => [...keys].forEach((k) => call.press(k));
const digitPromptsPlayed = (call: FakeCall) => call.plays().flatMap((p) => p.prompts.filter((id) => id.startsWith('digit.')));

beforeEach(() => {
  newTestClock(T0);
});

describe('capture-number (N7)', () => {
  it('N7: the caller ID is read back digit by digit and stored when confirmed with 1', async () => {
    const { call, ctx, rows, done } = start('13800138000');
    await advance(100);
    call.press('1');
    await advance(60_000);
    await expect(done).resolves.toBe('thanks');
    const readback = call.plays().find((p) => p.prompts[0] === 'number.readback')!;
    expect(readback.prompts).toEqual(['number.readback', ...[...'13800138000'].map((d) => `digit.${d}`), 'number.confirm']);
    expect(ctx.dataOf('callback.readback')).toEqual([{ number: '13800138000', source: 'caller-id', attempt: 1 }]);
    expect(rows).toMatchObject([{ number: '13800138000', reason: 'transfer-failed', callId: call.id }]);
    expect(ctx.dataOf('callback.requested')).toMatchObject([{ number: '13800138000', promisedBy: T0 + 100 + 30 * 60_000 }]);
  });

  it("N18: the request keeps the caller's language, so the callback greets the callee in it", async () => {
    const { call, ctx, rows, done } = start('13800138000');
    ctx.facts.language = 'en';
    await advance(100);
    call.press('1');
    await advance(60_000);
    await expect(done).resolves.toBe('thanks');
    expect(rows).toMatchObject([{ number: '13800138000', language: 'en' }]);
  });

  it('N7: 2 lets the caller key another number ending with #, which is read back and stored', async () => {
    const { call, ctx, rows, done } = start('13800138000');
    await advance(100);
    pressAll(call, '2');
    await advance(100);
    pressAll(call, '13912345678#');
    await advance(100);
    call.press('1');
    await advance(60_000);
    await expect(done).resolves.toBe('thanks');
    expect(ctx.dataOf('callback.readback').map((r) => [r.number, r.source])).toEqual([
      ['13800138000', 'caller-id'],
      ['13912345678', 'keyed'],
    ]);
    expect(rows.map((r) => r.number)).toEqual(['13912345678']);
  });

  it('N7: a keyed international or premium number is refused with its own phrase before any read-back, and never stored', async () => {
    const { call, ctx, rows, done } = start('anonymous');
    await advance(100);
    pressAll(call, '0085212345678#');
    await advance(100);
    pressAll(call, '95588#');
    await advance(60_000);
    await expect(done).resolves.toBe('bye');
    expect(ctx.dataOf('callback.refused')).toEqual([
      { number: '0085212345678', reason: 'international' },
      { number: '95588', reason: 'premium' },
    ]);
    expect(call.plays().filter((p) => p.prompts[0] === 'number.refused')).toHaveLength(2);
    expect(ctx.dataOf('callback.readback')).toEqual([]);
    expect(digitPromptsPlayed(call)).toEqual([]);
    expect(rows).toEqual([]);
    expect(ctx.dataOf('callback.abandoned')).toEqual([{ tries: 2 }]);
  });

  it.each([
    ['a 400 number', '4008008000', '400-800'],
    ['an 800 number with its 0', '08008008000', '400-800'],
    ['a premium number', '09001234567', 'premium'],
    ['an international number', '008613800138000', 'international'],
    ['an E.164 caller ID', '+8613800138000', 'international'],
    ['a short number', '12345', 'not-allowed'],
    ['a caller ID with a space', '138 0013 8000', 'not-digits'],
    ['a 13-digit number', '1380013800012', 'too-long'],
  ])('N7: a refused caller ID (%s) is not read back: no digit prompts, callback.refused with the reason', async (_label, callerId, reason) => {
    const { call, ctx, rows, done } = start(callerId);
    await advance(120_000);
    await expect(done).resolves.toBe('bye');
    expect(ctx.dataOf('callback.refused')).toEqual([{ number: callerId, reason }]);
    expect(ctx.dataOf('callback.readback')).toEqual([]);
    expect(digitPromptsPlayed(call)).toEqual([]);
    // The caller is asked to key a number instead, on every try; the caller ID costs none.
    expect(call.plays().map((p) => p.prompts[0])).toEqual(['callback.ask', 'number.enter', 'number.enter']);
    expect(rows).toEqual([]);
  });

  it('N7: a 200-digit caller ID is refused before any read-back; the caller keys a number that is stored', async () => {
    const { call, ctx, rows, done } = start('1'.repeat(200));
    await advance(100);
    pressAll(call, '13912345678#');
    await advance(100);
    call.press('1');
    await advance(60_000);
    await expect(done).resolves.toBe('thanks');
    // Logged as too long, and cut short in the log.
    expect(ctx.dataOf('callback.refused')).toEqual([{ number: `${'1'.repeat(20)}…`, reason: 'too-long' }]);
    expect(ctx.dataOf('callback.readback')).toEqual([{ number: '13912345678', source: 'keyed', attempt: 1 }]);
    expect(digitPromptsPlayed(call)).toEqual([...'13912345678'].map((d) => `digit.${d}`));
    expect(rows.map((r) => r.number)).toEqual(['13912345678']);
  });

  it('N7: an anonymous caller is asked for a number without a refusal', async () => {
    const { ctx, done } = start('anonymous');
    await advance(120_000);
    await expect(done).resolves.toBe('bye');
    expect(ctx.types()).not.toContain('callback.refused');
  });

  it('N7: 2 after the read-back, then a refused keyed number, uses up the tries', async () => {
    const { call, ctx, rows, done } = start('13800138000');
    await advance(100);
    call.press('2');
    await advance(100);
    pressAll(call, '4008008000#');
    await advance(60_000);
    await expect(done).resolves.toBe('bye');
    expect(ctx.dataOf('callback.readback').map((r) => r.source)).toEqual(['caller-id']);
    expect(ctx.dataOf('callback.refused')).toEqual([{ number: '4008008000', reason: '400-800' }]);
    expect(rows).toEqual([]);
  });

  it('N7: silence after every prompt uses up the tries and stores nothing', async () => {
    const { rows, ctx, done } = start('13800138000');
    await advance(120_000);
    await expect(done).resolves.toBe('bye');
    expect(rows).toEqual([]);
    expect(ctx.types()).toContain('callback.abandoned');
  });
});
