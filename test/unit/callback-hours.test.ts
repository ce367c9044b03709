// N8 with N15 on the virtual clock: the scheduler dials only inside the callback hours. A
// callback that falls due outside them is moved to the next opening, its promise moved as far
// (the promise counts callback hours), and the move is logged; at the opening it is dialled.
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { AgentsConfig } from '../../src/agents/agent-config.js';
import { AgentPool } from '../../src/agents/agent-pool.js';
import { createAgentStateStore } from '../../src/agents/agent-state-store.js';
import { Dispatcher } from '../../src/agents/dispatcher.js';
import { createCallbackStore, type CallbackStore } from '../../src/callbacks/callback-store.js';
import { CallbackScheduler } from '../../src/callbacks/scheduler.js';
import { createHoursService } from '../../src/calendar/hours-service.js';
import { createHoursStore, type HoursStore } from '../../src/calendar/hours-store.js';
import type { DialParams, DialResult, OutboundDialer } from '../../src/calls/outbound-leg.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import type { Flow } from '../../src/flow/schema.js';
import type { EventType } from '../../src/store/events.js';
import { openDatabase } from '../../src/store/database.js';
import { flowFromYaml } from './support/fake-call.js';
import { ScriptedDesk } from './support/scripted-desk.js';

const MIN = 60_000;
const at = (local: string) => new Date(`${local}:00+08:00`).getTime();

const flowWith = (hours: string, dial = 'dial: Local/{number}@callees') =>
  flowFromYaml(`
hotline: { name: Test line, number: "4008008000", holidays: ["2026-10-01"] }
${hours}
agents:
  agents:
    a1: { endpoint: Local/a1@agents, workNumber: "27", name: One }
  groups:
    desk: { name: Desk, members: [a1] }
callbacks:
  ${dial}
  group: desk
  entry: greet
  attempts: 3
  retryMs: 600000
  ringMs: 20000
steps:
  start: { verb: hangup }
  greet: { verb: hangup }
`);

const WEEKDAYS = `hours:
  weekly: { mon: ["08:00-20:00"], tue: ["08:00-20:00"], wed: ["08:00-20:00"], thu: ["08:00-20:00"], fri: ["08:00-20:00"] }
`;
const FLOW = flowWith(WEEKDAYS);

let clock: VirtualClock;
let store: CallbackStore;
let hoursStore: HoursStore;
let pool: AgentPool;
let dispatcher: Dispatcher;

function setUp(start: number) {
  clock = new VirtualClock(start);
  const db = openDatabase(':memory:');
  store = createCallbackStore(db);
  hoursStore = createHoursStore(db);
  pool = new AgentPool(AgentsConfig.parse(FLOW.agents), createAgentStateStore(db), clock, new AbortController().signal);
  dispatcher = new Dispatcher(pool, pino({ level: 'silent' }));
  pool.login('a1');
}

beforeEach(() => setUp(at('2026-03-10T22:00'))); // a Tuesday, after hours

/** The scheduler with the hours service; callees answer as scripted (default: no answer). */
function scheduler(answers: Array<DialResult['outcome']> = [], flow: Flow = FLOW) {
  const dials: Array<{ t: number; endpoint: string }> = [];
  const events: Array<{ callId: string; type: EventType; data: unknown }> = [];
  const dialer = {
    dial: async (p: DialParams): Promise<DialResult> => {
      dials.push({ t: clock.now(), endpoint: p.endpoint });
      const outcome = answers.shift() ?? 'no-answer';
      await clock.sleep(outcome === 'answered' ? 3000 : p.ringBudgetMs, p.signal);
      const channelId = `leg-${dials.length}`;
      return outcome === 'answered'
        ? { outcome, ringMs: 3000, channelId, leg: { channelId } as DialResult['leg'] }
        : { outcome, ringMs: p.ringBudgetMs, channelId };
    },
  } as unknown as OutboundDialer;
  const s = new CallbackScheduler({
    store,
    pool,
    dispatcher,
    // Agents answer at once: these tests time the callee's dials.
    agents: new ScriptedDesk(pool, dispatcher, clock),
    dialer,
    runCall: () => Promise.resolve(),
    // The callback's own events; the agent's leg and whisper (N6/N8) are the scheduler test's.
    record: (callId, type, data) => {
      if (type !== 'transfer.leg' && type !== 'callback.whisper') events.push({ callId, type, data });
    },
    currentFlow: () => flow,
    clock,
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    hours: createHoursService(hoursStore),
  });
  /** Ticks every `step` ms of virtual time until `until`, then waits for the attempts. */
  const runUntil = async (until: number, step = 5000) => {
    while (clock.now() < until) {
      s.tick();
      await clock.advance(step);
    }
    await s.idle();
  };
  return { s, dials, events, runUntil };
}

describe('N8 callback hours (N15)', () => {
  it('N8: a callback asked for at 22:00 is not dialled at night; it moves to 08:00 with its 30-minute promise, and is dialled then', async () => {
    const row = store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: clock.now() });
    expect(row.promisedBy).toBe(at('2026-03-10T22:30'));
    const { s, dials, events, runUntil } = scheduler(['answered']);
    s.tick();
    expect(dials).toEqual([]);
    expect(store.get(row.id)).toMatchObject({ status: 'pending', nextAttemptAt: at('2026-03-11T08:00'), promisedBy: at('2026-03-11T08:30') });
    expect(events).toEqual([
      { callId: 'c1', type: 'callback.deferred', data: { id: row.id, dueAt: at('2026-03-11T08:00'), promisedBy: at('2026-03-11T08:30'), closedMs: 10 * 60 * MIN } },
    ]);
    // All night: nothing dialled, nothing expired, no second move.
    await runUntil(at('2026-03-11T07:59'), 60_000);
    expect(dials).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['callback.deferred']);
    // At the opening it goes out.
    await runUntil(at('2026-03-11T08:01'));
    expect(dials).toEqual([{ t: at('2026-03-11T08:00'), endpoint: 'Local/13800138000@callees' }]);
    expect(store.get(row.id)).toMatchObject({ status: 'done', attempts: 1 });
    expect(events.map((e) => e.type)).toEqual(['callback.deferred', 'callback.attempt']);
  });

  it('N8: inside the callback hours nothing changes: dialled at once', async () => {
    setUp(at('2026-03-10T10:00'));
    store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: clock.now() });
    const { dials, events, runUntil } = scheduler(['answered']);
    await runUntil(at('2026-03-10T10:01'));
    expect(dials).toHaveLength(1);
    expect(events.map((e) => e.type)).toEqual(['callback.attempt']);
  });

  it('N8: a retry that falls due after closing waits for the morning, with the time its promise had left', async () => {
    setUp(at('2026-03-10T19:45'));
    const row = store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: clock.now() }); // promised by 20:15
    const { dials, events, runUntil } = scheduler(['no-answer', 'no-answer', 'answered']);
    await runUntil(at('2026-03-10T20:10'));
    // Dialled at 19:45:00, no answer after 20 s; the retry due at 19:55:20 goes out; its no-answer
    // leaves a retry due at 20:05:40, after closing: moved to 08:00 with the 9:20 min the promise
    // (20:15) had left.
    expect(dials.map((d) => d.t)).toEqual([at('2026-03-10T19:45'), at('2026-03-10T19:55') + 20_000]);
    const promisedBy = at('2026-03-11T08:00') + 9 * MIN + 20_000;
    expect(store.get(row.id)).toMatchObject({ status: 'pending', attempts: 2, nextAttemptAt: at('2026-03-11T08:00'), promisedBy });
    expect(events.map((e) => e.type)).toEqual(['callback.attempt', 'callback.attempt', 'callback.deferred']);
    expect(events[2]!.data).toEqual({ id: row.id, dueAt: at('2026-03-11T08:00'), promisedBy, closedMs: at('2026-03-11T08:00') - (at('2026-03-10T20:05') + 40_000) });
    await runUntil(at('2026-03-11T08:01'));
    expect(dials).toHaveLength(3);
    expect(store.get(row.id)).toMatchObject({ status: 'done', attempts: 3 });
  });

  it('N8: Friday night to Monday morning, and a holiday in between, is one move', () => {
    setUp(at('2026-09-30T21:00')); // Wednesday; 10-01 is a holiday in this flow, 10-03/04 the weekend
    store.add({ callId: 'c1', number: '13800138000', reason: 'complaint', now: clock.now() });
    const { s, events } = scheduler();
    s.tick();
    expect(events).toMatchObject([{ type: 'callback.deferred', data: { dueAt: at('2026-10-02T08:00') } }]);
  });

  it('N8: an operator forcing the hotline closed stops the dialling until the override ends', async () => {
    setUp(at('2026-03-10T10:00'));
    hoursStore.setOverride({ state: 'closed', reason: 'system outage', by: 'wang', now: clock.now(), expiresAt: at('2026-03-10T10:30') });
    store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: clock.now() });
    const { dials, events, runUntil } = scheduler(['answered']);
    await runUntil(at('2026-03-10T10:29'));
    expect(dials).toEqual([]);
    expect(events[0]).toMatchObject({ type: 'callback.deferred', data: { dueAt: at('2026-03-10T10:30') } });
    await runUntil(at('2026-03-10T10:31'));
    expect(dials.map((d) => d.t)).toEqual([at('2026-03-10T10:30')]);
  });

  it('N8: own callback hours (hours.callbacks) are kept instead of the service hours', () => {
    const flow = flowWith(`${WEEKDAYS}  callbacks:\n    weekly: { wed: ["09:00-12:00"] }\n`);
    setUp(at('2026-03-10T10:00')); // the hotline is open, callbacks are not (Tuesday)
    store.add({ callId: 'c1', number: '13800138000', reason: 'complaint', now: clock.now() });
    const { s, dials, events } = scheduler([], flow);
    s.tick();
    expect(dials).toEqual([]);
    expect(events).toMatchObject([{ type: 'callback.deferred', data: { dueAt: at('2026-03-11T09:00') } }]);
  });

  it('N8: without `dial` (people call back) the due time and the promise still move to the callback hours', () => {
    const row = store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: clock.now() });
    const { s, dials } = scheduler([], flowWith(WEEKDAYS, '# no dial'));
    s.tick();
    expect(dials).toEqual([]);
    expect(store.get(row.id)).toMatchObject({ nextAttemptAt: at('2026-03-11T08:00'), promisedBy: at('2026-03-11T08:30') });
  });

  it('N8: callback hours that never open: nothing dialled, nothing moved; the callback expires at its deadline', async () => {
    const row = store.add({ callId: 'c1', number: '13800138000', reason: 'line-trouble', now: clock.now() });
    const { dials, events, runUntil } = scheduler([], flowWith('hours:\n  weekly: {}\n'));
    await runUntil(clock.now() + 5 * MIN);
    expect(dials).toEqual([]);
    expect(store.get(row.id)).toMatchObject({ status: 'expired' });
    expect(events.map((e) => e.type)).toEqual(['callback.expired']);
  });

  it('N8: a flow without hours dials at any hour, as before', async () => {
    store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: clock.now() });
    const { dials, runUntil } = scheduler(['answered'], flowWith(''));
    await runUntil(clock.now() + MIN);
    expect(dials).toHaveLength(1);
  });
});
