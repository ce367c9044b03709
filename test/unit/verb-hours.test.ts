// N15 on the virtual clock: the `hours` verb branches open / closed / holiday through the hours
// service (so the operator override and imported holidays count), logs hours.checked, plays
// nothing itself; and the shipped flow tells an after-hours caller the hours and takes a
// callback number (N7), never a dead end.
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { createCallbackStore } from '../../src/callbacks/callback-store.js';
import { createHoursService } from '../../src/calendar/hours-service.js';
import { createHoursStore, type HoursStore } from '../../src/calendar/hours-store.js';
import { runFlow } from '../../src/flow/run-flow.js';
import { hours } from '../../src/flow/verbs/hours.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { advance, FakeCall, flowFromYaml, makeContext, newTestClock, stepOf, track, type TestContext } from './support/fake-call.js';

const at = (local: string) => new Date(`${local}:00+08:00`).getTime();

const FLOW = flowFromYaml(`
hotline: { name: Test line, number: "100", holidays: ["2026-10-01"], workdays: ["2026-10-10"] }
hours:
  weekly: { mon: ["08:00-20:00"], tue: ["08:00-20:00"], wed: ["08:00-20:00"], thu: ["08:00-20:00"], fri: ["08:00-20:00"], sat: ["09:00-17:00"] }
steps:
  gate: { verb: hours, open: desk, closed: night, holiday: festive }
  night: { verb: play, prompt: hours.closed, next: plain }
  plain: { verb: hours, open: desk, closed: after }
  after: { verb: hangup }
  desk: { verb: hangup }
  festive: { verb: hangup }
`);

let db: Database;
let store: HoursStore;

beforeEach(() => {
  db = openDatabase(':memory:');
  store = createHoursStore(db);
});

function check(local: string, step = 'gate') {
  newTestClock(at(local));
  const call = new FakeCall({ answered: true });
  const ctx = makeContext(FLOW, call, { services: { hours: createHoursService(store) } });
  return { call, ctx, done: hours.run(ctx, stepOf(FLOW, step, 'hours'), step) };
}

describe('the hours verb (N15)', () => {
  it('N15: inside the hours: open, logged, nothing played and nothing waited for', async () => {
    const { call, ctx, done } = check('2026-03-10T10:00');
    expect(await done).toBe('desk');
    expect(call.actions).toEqual([]);
    expect(call.waits).toEqual([]);
    expect(ctx.events).toEqual([
      { type: 'hours.checked', data: { step: 'gate', state: 'open', reason: 'weekly', override: null, opensAt: null }, ts: at('2026-03-10T10:00') },
    ]);
  });

  it('N15: after hours: closed, with the next opening in the log', async () => {
    const { ctx, done } = check('2026-03-10T20:00');
    expect(await done).toBe('night');
    expect(ctx.dataOf('hours.checked')).toEqual([{ step: 'gate', state: 'closed', reason: 'weekly', override: null, opensAt: at('2026-03-11T08:00') }]);
  });

  it('N15: on a holiday: the holiday branch, or the closed one when the step names none', async () => {
    expect(await check('2026-10-01T10:00').done).toBe('festive');
    const { ctx, done } = check('2026-10-01T10:00', 'plain');
    expect(await done).toBe('after');
    expect(ctx.dataOf('hours.checked')[0]).toMatchObject({ state: 'holiday', reason: 'holiday' });
  });

  it('N15: a make-up Saturday evening is open (Monday\'s hours)', async () => {
    expect(await check('2026-10-10T18:00').done).toBe('desk');
  });

  it('N15: an imported holiday counts', async () => {
    store.importDays([{ date: '2026-03-10', kind: 'holiday', name: 'drill day' }], 'test', at('2026-03-01T00:00'));
    expect(await check('2026-03-10T10:00').done).toBe('festive');
  });

  it('N15: the operator override counts, and its id is logged', async () => {
    const { override } = store.setOverride({ state: 'closed', reason: 'fire drill', by: 'wang', now: at('2026-03-10T09:00'), expiresAt: at('2026-03-10T11:00') });
    const { ctx, done } = check('2026-03-10T10:00');
    expect(await done).toBe('night');
    expect(ctx.dataOf('hours.checked')).toEqual([{ step: 'gate', state: 'closed', reason: 'override', override: override.id, opensAt: at('2026-03-10T11:00') }]);
    store.setOverride({ state: 'open', reason: 'storm', by: 'li', now: at('2026-03-10T21:00'), expiresAt: at('2026-03-10T23:00') });
    expect(await check('2026-03-10T22:00').done).toBe('desk');
  });

  it('N15: without the hours service the step fails loudly (the loader refuses such a flow first)', async () => {
    newTestClock(at('2026-03-10T10:00'));
    const ctx = makeContext(FLOW, new FakeCall({ answered: true }));
    await expect(hours.run(ctx, stepOf(FLOW, 'gate', 'hours'), 'gate')).rejects.toThrow('no hours service is wired');
  });
});

// ---- the shipped flow: an after-hours caller hears the hours and leaves a callback number ----

const SHIPPED = flowFromYaml(readFileSync('dialplans/hotline.yaml', 'utf8'));

async function shippedCall(local: string, onReadback: (call: FakeCall) => void) {
  newTestClock(at(local));
  const callbacks = createCallbackStore(db);
  const call = new FakeCall({ caller: '13800138000' });
  const ctx: TestContext = makeContext(SHIPPED, call, { services: { hours: createHoursService(store), callbacks } });
  const box = track(runFlow(ctx, SHIPPED.start));
  let pressed = false;
  for (let i = 0; i < 400 && !box.settled; i++) {
    await advance(250);
    if (!pressed && ctx.types().includes('callback.readback')) {
      pressed = true;
      onReadback(call);
    }
  }
  return { call, ctx, box, callbacks };
}

describe('the shipped flow after hours (N15 with N7)', () => {
  it('N15: Tuesday 22:00: greeting, the hours, the caller ID read back, confirmed with 1, stored, goodbye', async () => {
    const { call, ctx, box, callbacks } = await shippedCall('2026-03-10T22:00', (c) => c.press('1'));
    expect(box.settled).toBe(true);
    expect(box.error).toBeUndefined();
    const types = ctx.types();
    const order = ['call.answered', 'greeting.played', 'hours.checked', 'prompt.played', 'callback.readback', 'callback.requested', 'goodbye.played'];
    expect(types.filter((t) => order.includes(t))).toEqual(order);
    expect(types).not.toContain('menu.prompted'); // no menu after hours: nobody would answer
    expect(ctx.dataOf('hours.checked')).toEqual([
      { step: 'office-hours', state: 'closed', reason: 'weekly', override: null, opensAt: at('2026-03-11T08:00') },
    ]);
    expect(ctx.dataOf('prompt.played')[0]).toEqual({ prompts: ['hours.closed'], interrupted: false });
    expect(call.plays().some((p) => p.prompts.includes('callback.ask'))).toBe(true);
    expect(callbacks.list()).toMatchObject([{ number: '13800138000', reason: 'unanswered-query', status: 'pending' }]);
  });

  it('N15: on a public holiday the caller hears the holiday hours, then the same callback capture', async () => {
    const { ctx, box, callbacks } = await shippedCall('2026-10-01T10:00', (c) => c.press('1'));
    expect(box.error).toBeUndefined();
    expect(ctx.dataOf('hours.checked')[0]).toMatchObject({ state: 'holiday', reason: 'holiday' });
    expect(ctx.dataOf('prompt.played')[0]).toEqual({ prompts: ['hours.holiday'], interrupted: false });
    expect(callbacks.list()).toHaveLength(1);
  });

  it('N15: a caller who keys nothing still ends politely (goodbye), not in a dead end', async () => {
    const { ctx, box, callbacks } = await shippedCall('2026-03-15T12:00', () => undefined);
    expect(box.settled).toBe(true);
    expect(box.error).toBeUndefined();
    expect(ctx.types()).toContain('callback.abandoned');
    expect(ctx.types()).toContain('goodbye.played');
    expect(callbacks.list()).toEqual([]);
  });

  it('N15: inside the hours the shipped flow goes on to the silent-line check and the menu', async () => {
    newTestClock(at('2026-03-10T10:00'));
    const call = new FakeCall({ caller: '13800138000' });
    const ctx = makeContext(SHIPPED, call, { services: { hours: createHoursService(store) } });
    const box = track(runFlow(ctx, SHIPPED.start));
    for (let i = 0; i < 120 && !ctx.types().includes('hours.checked'); i++) await advance(250);
    // The caller speaks after the greeting (N3): the menu comes next.
    call.speak();
    await advance(500);
    call.stopSpeaking();
    for (let i = 0; i < 120 && !ctx.types().includes('menu.prompted'); i++) await advance(250);
    expect(ctx.dataOf('hours.checked')[0]).toMatchObject({ state: 'open' });
    expect(ctx.types()).toContain('menu.prompted');
    call.callerHangsUp();
    await advance(0);
    expect(box.settled).toBe(true);
  });
});
