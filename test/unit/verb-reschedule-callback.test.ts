// N8 on the virtual clock: the callee of a callback presses 2 ("not now") and keys a better hour,
// 08–20 and inside the callback hours; the callback is open again for that hour (today if it is
// still ahead, else tomorrow) with a fresh promise and ladder, the callee hears when, and the
// agent reserved for the attempt is freed at once. No usable hour: declined, a polite goodbye.
import { beforeEach, describe, expect, it } from 'vitest';
import { createCallbackStore, type CallbackRow, type CallbackStore } from '../../src/callbacks/callback-store.js';
import { createHoursService } from '../../src/calendar/hours-service.js';
import type { CallbackCall } from '../../src/calls/call-facts.js';
import { rescheduleCallback } from '../../src/flow/verbs/reschedule-callback.js';
import { openDatabase } from '../../src/store/database.js';
import { FlowError } from '../../src/flow/load-flow.js';
import { advance, catalogueIds, FakeCall, fakeLeg, flowFromYaml, makeContext, newTestClock, stepOf, track } from './support/fake-call.js';

const PROMPT_MS = 2000;
const MIN = 60_000;
const at = (local: string) => new Date(`${local}:00+08:00`).getTime();
const NUMBER = '13800138000';

const FLOW = flowFromYaml(`
hotline: { name: Test line, number: "4008008000", timezone: Asia/Shanghai }
hours:
  weekly: { mon: ["08:00-20:00"], tue: ["08:00-20:00"], wed: ["08:00-20:00"], thu: ["08:00-20:00"], fri: ["08:00-20:00"], sat: ["09:00-17:00"] }
callbacks:
  entry: greet
steps:
  greet:
    verb: menu
    prompt: callback.greeting
    options: { "1": bye, "2": later }
    invalid: { then: bye }
    noInput: { then: bye }
  later: { verb: reschedule-callback, next: thanks, failed: bye }
  thanks: { verb: hangup }
  bye: { verb: hangup }
`);

let store: CallbackStore;

/** A callback answered just now (the callee is on the line), as the scheduler leaves it. */
function answeredCallback(now: number): CallbackRow {
  const row = store.add({ callId: 'c1', number: NUMBER, reason: 'unanswered-query', now: now - 5 * MIN });
  store.claimDue({ group: null, now, limit: 1, token: 't', staleMs: 120_000 });
  store.startAttempt(row.id, 't', now);
  store.finishAttempt(row.id, 't', 'answered', { status: 'done' });
  return store.get(row.id)!;
}

function start(now: number) {
  newTestClock(now);
  store = createCallbackStore(openDatabase(':memory:'));
  const row = answeredCallback(now);
  const released: number[] = [];
  const leg = fakeLeg('agent-leg');
  const callback: CallbackCall = {
    id: row.id,
    reason: row.reason,
    group: 'desk',
    claim: { agentId: 'a1', owner: `callback-${row.id}`, released: false, release: () => undefined },
    leg: { ...leg, agent: { id: 'a1', endpoint: 'Local/a1@agents', workNumber: '27', name: 'One' }, outcome: 'answered', ringMs: 1000 },
    attempt: 1,
    releaseAgent: () => {
      released.push(now);
      return Promise.resolve();
    },
  };
  const call = new FakeCall({ answered: true, caller: NUMBER });
  const ctx = makeContext(FLOW, call, { direction: 'outbound', callback, services: { callbacks: store, hours: createHoursService() } });
  const done = rescheduleCallback.run(ctx, stepOf(FLOW, 'later', 'reschedule-callback'), 'later');
  done.catch(() => undefined);
  return { call, ctx, row, released, box: track(done) };
}

/** Keys pressed one after the other, once the question has been asked. */
async function keys(call: FakeCall, ...pressed: string[]) {
  for (const key of pressed) {
    call.press(key);
    await advance(300);
  }
}

beforeEach(() => {
  newTestClock(at('2026-03-10T10:00'));
});

describe('reschedule-callback (N8: "not now", a better hour)', () => {
  it('N8: 1 4 moves the callback to 14:00 today, promised from then, with fresh attempts; the callee hears when; the agent is freed at once', async () => {
    const { call, ctx, row, released, box } = start(at('2026-03-10T10:00'));
    await advance(0);
    expect(released).toHaveLength(1); // before the question: the agent is not kept waiting
    await advance(PROMPT_MS);
    await keys(call, '1', '4');
    await advance(3 * PROMPT_MS);
    expect(box).toEqual({ settled: true, value: 'thanks' });
    const dueAt = at('2026-03-10T14:00');
    expect(store.get(row.id)).toMatchObject({ status: 'pending', nextAttemptAt: dueAt, promisedBy: dueAt + 30 * MIN, attempts: 0, outcome: 'rescheduled' });
    expect(ctx.dataOf('callback.rescheduled')).toEqual([{ id: row.id, hour: 14, dueAt, promisedBy: dueAt + 30 * MIN, attempt: 1 }]);
    expect(call.plays().map((p) => p.prompts)).toEqual([
      ['callback.ask-hour'],
      ['callback.rescheduled', 'hour.14', 'callback.rescheduled-end'],
    ]);
    // The scheduler finds it due at 14:00 like any pending callback.
    expect(store.claimDue({ group: null, now: dueAt - 1, limit: 1, token: 'x', staleMs: 120_000 })).toEqual([]);
    expect(store.claimDue({ group: null, now: dueAt, limit: 1, token: 'x', staleMs: 120_000 }).map((r) => r.id)).toEqual([row.id]);
  });

  it('N8: an hour already past today is tomorrow\'s, and the callee is told so (明天)', async () => {
    const { call, ctx, box } = start(at('2026-03-10T10:00'));
    await advance(PROMPT_MS);
    await keys(call, '0', '9');
    await advance(4 * PROMPT_MS);
    expect(box).toEqual({ settled: true, value: 'thanks' });
    expect(ctx.dataOf('callback.rescheduled')[0]).toMatchObject({ hour: 9, dueAt: at('2026-03-11T09:00') });
    expect(call.plays()[1]!.prompts).toEqual(['callback.rescheduled', 'callback.tomorrow', 'hour.09', 'callback.rescheduled-end']);
  });

  it('N8: one digit and # is that hour (9# is 09:00)', async () => {
    const { call, ctx } = start(at('2026-03-10T07:00'));
    await advance(PROMPT_MS);
    await keys(call, '9', '#');
    await advance(3 * PROMPT_MS);
    expect(ctx.dataOf('callback.rescheduled')[0]).toMatchObject({ hour: 9, dueAt: at('2026-03-10T09:00') });
  });

  it('N8: an hour outside 08–20, or outside the callback hours (Saturday 18:00), is refused and asked again', async () => {
    const { call, ctx, box } = start(at('2026-03-14T10:00')); // a Saturday: callbacks 09:00-17:00
    await advance(PROMPT_MS);
    await keys(call, '2', '2'); // 22:00: outside 08-20
    await advance(PROMPT_MS + PROMPT_MS);
    await keys(call, '1', '8'); // 18:00 on a Saturday: the callback hours are closed
    expect(ctx.dataOf('callback.rescheduled')).toEqual([]);
    await advance(PROMPT_MS);
    expect(call.plays().map((p) => p.prompts[0])).toEqual(['callback.ask-hour', 'callback.hour-refused', 'callback.ask-hour', 'callback.hour-refused']);
    // Out of tries (2): declined.
    expect(box).toEqual({ settled: true, value: 'bye' });
    expect(ctx.dataOf('callback.declined')).toEqual([{ id: 1, tries: 2, keys: ['22', '18'] }]);
  });

  it('N8: refused once, then 16 on a Saturday: moved to 16:00', async () => {
    const { call, ctx, box } = start(at('2026-03-14T10:00'));
    await advance(PROMPT_MS);
    await keys(call, '1', '8');
    await advance(2 * PROMPT_MS);
    await keys(call, '1', '6');
    await advance(3 * PROMPT_MS);
    expect(box).toEqual({ settled: true, value: 'thanks' });
    expect(ctx.dataOf('callback.rescheduled')).toMatchObject([{ hour: 16, dueAt: at('2026-03-14T16:00'), attempt: 2 }]);
  });

  it('N8: no hour keyed: the callback stays answered (declined) and the flow goes to failed for a polite goodbye', async () => {
    const { ctx, row, box } = start(at('2026-03-10T10:00'));
    await advance(2 * (PROMPT_MS + 5000) + 1);
    expect(box).toEqual({ settled: true, value: 'bye' });
    expect(store.get(row.id)).toMatchObject({ status: 'done', outcome: 'declined' });
    expect(ctx.dataOf('callback.declined')).toEqual([{ id: row.id, tries: 2, keys: [] }]);
  });

  it('a call that is no callback goes to failed without a word', async () => {
    newTestClock(at('2026-03-10T10:00'));
    const call = new FakeCall({ answered: true, caller: NUMBER });
    const ctx = makeContext(FLOW, call, { services: { callbacks: createCallbackStore(openDatabase(':memory:')) } });
    await expect(rescheduleCallback.run(ctx, stepOf(FLOW, 'later', 'reschedule-callback'), 'later')).resolves.toBe('bye');
    expect(call.plays()).toEqual([]);
  });

  it('the store reopens only an answered callback, and not while the number has another open one', () => {
    newTestClock(at('2026-03-10T10:00'));
    store = createCallbackStore(openDatabase(':memory:'));
    const pending = store.add({ callId: 'c1', number: NUMBER, reason: 'dropped', now: at('2026-03-10T10:00') });
    expect(store.reopen(pending.id, at('2026-03-10T14:00'))).toBeUndefined();
    const answered = answeredCallback(at('2026-03-10T10:01'));
    expect(answered.id).toBe(pending.id);
    const other = store.add({ callId: 'c2', number: NUMBER, reason: 'unanswered-query', now: at('2026-03-10T10:02') });
    expect(store.reopen(answered.id, at('2026-03-10T14:00'))).toBeUndefined();
    store.cancel(other.id, 'operator');
    // The dropped call's promise (3 min) counts from the hour the callee chose.
    expect(store.reopen(answered.id, at('2026-03-10T14:00'))).toMatchObject({ status: 'pending', promisedBy: at('2026-03-10T14:03') });
  });

  it('the phrases it always plays are in the catalogue, every hour of the day among them; from must not be after to', () => {
    for (const id of ['callback.ask-hour', 'callback.hour-refused', 'callback.rescheduled', 'callback.tomorrow', 'callback.rescheduled-end']) {
      expect(catalogueIds().has(id), id).toBe(true);
    }
    for (let h = 0; h < 24; h++) expect(catalogueIds().has(`hour.${String(h).padStart(2, '0')}`)).toBe(true);
    const bad = `hotline: { name: T, number: "100" }\nsteps:\n  later: { verb: reschedule-callback, from: 20, to: 8, next: end, failed: end }\n  end: { verb: hangup }\n`;
    expect(() => flowFromYaml(bad)).toThrow(FlowError);
    expect(() => flowFromYaml(bad)).toThrow(/steps\.later\.to: from must not be later than to/);
  });
});
