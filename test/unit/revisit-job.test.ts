// N16 revisits on the virtual clock: the daily job finds the complaints (tickets of the revisit
// group) resolved since its last run and stores one revisit callback per ticket, never two,
// due afterHours after the resolution; its runs survive a restart; the scheduler's tick starts
// it and dials the revisit at its due time from the revisit greeting, with the ticket.
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { AgentsConfig } from '../../src/agents/agent-config.js';
import { AgentPool } from '../../src/agents/agent-pool.js';
import { createAgentStateStore } from '../../src/agents/agent-state-store.js';
import { Dispatcher } from '../../src/agents/dispatcher.js';
import { createCallbackStore, type CallbackStore } from '../../src/callbacks/callback-store.js';
import { BATCH, RevisitJob } from '../../src/callbacks/revisit-job.js';
import { lastWallClock, nextWallClock } from '../../src/calendar/local-time.js';
import { createRevisitStore, type RevisitStore } from '../../src/callbacks/revisit-store.js';
import { CallbackScheduler } from '../../src/callbacks/scheduler.js';
import { createCallFacts } from '../../src/calls/call-facts.js';
import type { CallStart } from '../../src/calls/handle-call.js';
import type { DialParams, DialResult, OutboundDialer } from '../../src/calls/outbound-leg.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { FlowError } from '../../src/flow/load-flow.js';
import type { EventData, EventType } from '../../src/store/events.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { createTicketStore, type TicketStore } from '../../src/tickets/ticket-store.js';
import { flowFromYaml } from './support/fake-call.js';
import { ScriptedDesk } from './support/scripted-desk.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Tuesday 2026-03-10 10:00 in Shanghai: the first run ever, at the daily time. */
const T0 = new Date('2026-03-10T10:00:00+08:00').getTime();
const at = (iso: string) => new Date(`${iso}+08:00`).getTime();
const CALLER = '13800138000';

const YAML = (revisit: string) => `
hotline: { name: Test line, number: "4008008000", timezone: Asia/Shanghai }
agents:
  agents:
    a1: { endpoint: Local/a1@agents, workNumber: "27", name: One }
    c1: { endpoint: Local/c1@agents, workNumber: "31", name: Complaints }
  groups:
    desk: { name: Desk, members: [a1] }
    complaints: { name: Complaints, members: [c1] }
callbacks:
  dial: Local/{number}@callees
  group: desk
  entry: greet
  revisit: ${revisit}
steps:
  start: { verb: hangup }
  greet: { verb: hangup }
  revisit-greet:
    verb: menu
    prompt: revisit.greeting
    options: { "1": revisit-desk, "2": bye }
    invalid: { then: bye }
    noInput: { then: bye }
  revisit-desk: { verb: transfer, group: complaints, target: group.complaint, survey: rate, next: bye, failed: bye }
  rate: { verb: survey, next: bye }
  bye: { verb: hangup }
`;
const FLOW = flowFromYaml(YAML('{ group: complaints, afterHours: 24, time: "10:00", entry: revisit-greet }'));

let clock: VirtualClock;
let db: Database;
let tickets: TicketStore;
let callbacks: CallbackStore;
let revisits: RevisitStore;
let events: Array<{ callId: string; type: EventType; data: unknown }>;

beforeEach(() => {
  clock = new VirtualClock(T0);
  db = openDatabase(':memory:');
  tickets = createTicketStore(db, () => clock.now(), { timeZone: 'Asia/Shanghai' });
  callbacks = createCallbackStore(db);
  revisits = createRevisitStore(db, callbacks);
  events = [];
});

function job() {
  return new RevisitJob({
    store: revisits,
    record: (callId, type, data) => events.push({ callId, type, data }),
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
  });
}

function dataOf<T extends EventType>(type: T): Array<EventData[T] & { callId: string }> {
  return events.filter((e) => e.type === type).map((e) => ({ ...(e.data as EventData[T]), callId: e.callId }));
}

/** A complaint ticket raised by call `callId`, resolved at `resolvedAt`. */
function complaint(callId: string, resolvedAt: number, caller = CALLER, group = 'complaints'): string {
  const { number } = tickets.create({ callId, caller, group });
  clock.setTime(resolvedAt);
  tickets.setStatus(number, 'resolved');
  return number;
}

describe('N16 revisit job', () => {
  it('N16: a complaint resolved yesterday gets one revisit at the daily run, due afterHours after its resolution', () => {
    const j = job();
    expect(j.runIfDue(T0, FLOW)).toEqual({ since: T0 - DAY, until: T0, scheduled: 0, skipped: 0, done: true }); // the first run: at once
    const ticket = complaint('call-1', at('2026-03-10T15:00:00'));
    // Not before 10:00 the next day.
    expect(j.runIfDue(at('2026-03-11T09:59:59'), FLOW)).toBeUndefined();
    expect(callbacks.list()).toEqual([]);
    const ran = at('2026-03-11T10:00:00');
    expect(j.runIfDue(ran, FLOW)).toEqual({ since: T0, until: ran, scheduled: 1, skipped: 0, done: true });
    const due = at('2026-03-11T15:00:00');
    expect(callbacks.list()).toMatchObject([
      {
        callId: 'call-1', number: CALLER, reason: 'revisit', group: 'complaints', ticket, status: 'pending',
        // Its place in line and its promise (a day) count from when it falls due.
        nextAttemptAt: due, createdAt: due, promisedBy: due + DAY,
      },
    ]);
    // Logged on the call that raised the complaint.
    expect(dataOf('revisit.scheduled')).toEqual([
      { callId: 'call-1', ticket, callback: 1, resolvedAt: at('2026-03-10T15:00:00'), dueAt: due, promisedBy: due + DAY, reason: 'revisit' },
    ]);
    // Ran once for the day.
    expect(j.runIfDue(ran + HOUR, FLOW)).toBeUndefined();
  });

  it('N16: never twice: a ticket reopened and resolved again is not revisited again, and the store refuses a second one', () => {
    const j = job();
    j.runIfDue(T0, FLOW);
    const ticket = complaint('call-1', at('2026-03-10T15:00:00'));
    j.runIfDue(at('2026-03-11T10:00:00'), FLOW);
    clock.setTime(at('2026-03-11T11:00:00'));
    tickets.setStatus(ticket, 'in-progress');
    clock.setTime(at('2026-03-11T16:00:00'));
    tickets.setStatus(ticket, 'resolved');
    expect(j.runIfDue(at('2026-03-12T10:00:00'), FLOW)).toMatchObject({ scheduled: 0 });
    expect(callbacks.list()).toHaveLength(1);
    expect(revisits.schedule(ticket, T0, { callId: null, number: CALLER, reason: 'revisit', now: T0 })).toBeUndefined();
    expect(callbacks.list()).toHaveLength(1);
    expect(revisits.hasRevisit(ticket)).toBe(true);
  });

  it('only complaints (the revisit group) that are still resolved or closed; a listed number the hotline may not call is skipped and logged', () => {
    const j = job();
    j.runIfDue(T0, FLOW);
    const closed = complaint('call-1', at('2026-03-10T12:00:00'));
    clock.setTime(at('2026-03-10T12:30:00'));
    tickets.setStatus(closed, 'closed');
    complaint('call-2', at('2026-03-10T13:00:00'), '13900139000', 'desk'); // not a complaint
    const reopened = complaint('call-3', at('2026-03-10T14:00:00'), '13700137000');
    clock.setTime(at('2026-03-10T14:30:00'));
    tickets.setStatus(reopened, 'in-progress');
    const abroad = complaint('call-4', at('2026-03-10T15:00:00'), '0044207946000');
    expect(j.runIfDue(at('2026-03-11T10:00:00'), FLOW)).toMatchObject({ scheduled: 1, skipped: 1 });
    expect(callbacks.list().map((c) => c.ticket)).toEqual([closed]);
    expect(dataOf('revisit.skipped')).toEqual([{ callId: 'call-4', ticket: abroad, reason: expect.any(String) as string }]);
  });

  it('survives a restart: a new job on the same database waits for the next time; one that was down at that time catches up', () => {
    job().runIfDue(T0, FLOW);
    complaint('call-1', at('2026-03-10T15:00:00'));
    // Restarted at 11:00 on the 10th: the 10:00 run of the 10th was done.
    expect(job().runIfDue(at('2026-03-10T11:00:00'), FLOW)).toBeUndefined();
    // Down from the 10th until the 12th at 08:00: the first tick runs and covers everything since the last run.
    expect(job().runIfDue(at('2026-03-12T08:00:00'), FLOW)).toEqual({ since: T0, until: at('2026-03-12T08:00:00'), scheduled: 1, skipped: 0, done: true });
    expect(db.prepare('SELECT ran_at AS ranAt, since, scheduled FROM revisit_runs ORDER BY id').all()).toEqual([
      { ranAt: T0, since: T0 - DAY, scheduled: 0 },
      { ranAt: at('2026-03-12T08:00:00'), since: T0, scheduled: 1 },
    ]);
  });

  it('a complaint that cannot be revisited is decided once: skipped and logged at one run, not again', () => {
    const j = job();
    j.runIfDue(T0, FLOW);
    const ticket = complaint('call-1', at('2026-03-10T15:00:00'), 'anonymous');
    expect(j.runIfDue(at('2026-03-11T10:00:00'), FLOW)).toMatchObject({ scheduled: 0, skipped: 1 });
    // Reopened and resolved again: the decision stands.
    clock.setTime(at('2026-03-11T11:00:00'));
    tickets.setStatus(ticket, 'in-progress');
    clock.setTime(at('2026-03-11T12:00:00'));
    tickets.setStatus(ticket, 'resolved');
    expect(j.runIfDue(at('2026-03-12T10:00:00'), FLOW)).toMatchObject({ scheduled: 0, skipped: 0 });
    expect(dataOf('revisit.skipped')).toHaveLength(1);
    expect(db.prepare('SELECT ticket, callback_id AS callbackId, skipped FROM revisits').all()).toEqual([
      { ticket, callbackId: null, skipped: expect.any(String) as string },
    ]);
  });

  it(`a long list goes out ${BATCH} complaints a tick (the calls' event loop is never held up long); the run ends, and is noted, when none is left`, () => {
    const j = job();
    j.runIfDue(T0, FLOW);
    for (let i = 0; i < BATCH + 5; i++) complaint(`call-${i}`, at('2026-03-10T12:00:00') + i * 60_000, `139${String(i).padStart(8, '0')}`);
    const start = at('2026-03-11T10:00:00');
    expect(j.runIfDue(start, FLOW)).toEqual({ since: T0, until: start, scheduled: BATCH, skipped: 0, done: false });
    // Resolved after the run started: the next run's.
    const late = complaint('call-late', start + 500, '13700137000');
    expect(j.runIfDue(start + 1000, FLOW)).toEqual({ since: T0, until: start, scheduled: BATCH + 5, skipped: 0, done: true });
    expect(j.runIfDue(start + 2000, FLOW)).toBeUndefined();
    expect(callbacks.list({ limit: 500 }).map((c) => c.ticket)).not.toContain(late);
    expect(db.prepare('SELECT ran_at AS ranAt, since, scheduled FROM revisit_runs ORDER BY id').all()).toEqual([
      { ranAt: T0, since: T0 - DAY, scheduled: 0 },
      { ranAt: start, since: T0, scheduled: BATCH + 5 },
    ]);
    expect(j.runIfDue(at('2026-03-12T10:00:00'), FLOW)).toMatchObject({ since: start, scheduled: 1, done: true });
  });

  it('afterHours 0: due at the run; a revisit merges into an open callback of the number, keeping the more urgent one and naming the ticket', () => {
    const flow = flowFromYaml(YAML('{ group: complaints, afterHours: 0 }'));
    const j = job();
    j.runIfDue(T0, flow);
    const pending = callbacks.add({ callId: 'other', number: CALLER, reason: 'unanswered-query', group: 'complaints', now: T0 });
    const ticket = complaint('call-1', at('2026-03-10T15:00:00'));
    const run = at('2026-03-11T10:00:00');
    j.runIfDue(run, flow);
    expect(callbacks.list()).toMatchObject([{ id: pending.id, reason: 'unanswered-query', ticket, createdAt: T0 }]);
    expect(dataOf('revisit.scheduled')).toMatchObject([{ ticket, callback: pending.id, reason: 'unanswered-query' }]);
  });

  it('a later request of the number merges into a revisit set for later: due now, with the earlier place', () => {
    const j = job();
    j.runIfDue(T0, FLOW);
    complaint('call-1', at('2026-03-10T15:00:00'));
    j.runIfDue(at('2026-03-11T10:00:00'), FLOW);
    const now = at('2026-03-11T11:00:00');
    const merged = callbacks.add({ callId: 'call-2', number: CALLER, reason: 'unanswered-query', group: 'complaints', now });
    expect(merged).toMatchObject({ reason: 'unanswered-query', nextAttemptAt: now, createdAt: now, promisedBy: now + 30 * 60_000 });
  });

  it('the daily time is wall-clock time in the hotline zone, across a daylight-saving change', () => {
    // New York springs forward on 2026-03-08 at 02:00: 02:30 does not exist that day.
    const ny = 'America/New_York';
    const before = new Date('2026-03-08T06:00:00Z').getTime(); // 01:00 EST
    expect(new Date(nextWallClock(before, '02:30', ny)).toISOString()).toBe('2026-03-08T07:00:00.000Z'); // 03:00 EDT
    expect(new Date(nextWallClock(before, '10:00', ny)).toISOString()).toBe('2026-03-08T14:00:00.000Z'); // 10:00 EDT
    expect(new Date(lastWallClock(before, '10:00', ny)).toISOString()).toBe('2026-03-07T15:00:00.000Z'); // 10:00 EST
    expect(lastWallClock(at('2026-03-11T10:00:00'), '10:00', 'Asia/Shanghai')).toBe(at('2026-03-11T10:00:00'));
  });

  it('N16: the flow names a known group and step for revisits', () => {
    expect(() => flowFromYaml(YAML('{ group: nobody }'))).toThrow(FlowError);
    expect(() => flowFromYaml(YAML('{ group: nobody }'))).toThrow(/callbacks\.revisit\.group: unknown agent group 'nobody'/);
    expect(() => flowFromYaml(YAML('{ group: complaints, entry: missing }'))).toThrow(/callbacks\.revisit\.entry: unknown step 'missing'/);
    expect(() => flowFromYaml(YAML('{ group: complaints, time: "25:00" }'))).toThrow(FlowError);
  });
});

describe('N16 revisits through the scheduler', () => {
  it('N16: the tick runs the daily job; at its due time the revisit is dialled from the revisit greeting with its ticket', async () => {
    const pool = new AgentPool(AgentsConfig.parse(FLOW.agents), createAgentStateStore(db), clock, new AbortController().signal);
    const dispatcher = new Dispatcher(pool, pino({ level: 'silent' }));
    pool.login('c1');
    const runs: CallStart[] = [];
    const dialer = {
      dial: (p: DialParams): Promise<DialResult> =>
        Promise.resolve({ outcome: 'answered', ringMs: 3000, channelId: `leg-${p.owner}`, leg: { channelId: 'x' } as DialResult['leg'] }),
    } as unknown as OutboundDialer;
    const scheduler = new CallbackScheduler({
      store: callbacks,
      pool,
      dispatcher,
      agents: new ScriptedDesk(pool, dispatcher, clock),
      dialer,
      runCall: (_channel, start) => {
        runs.push(start);
        return Promise.resolve();
      },
      record: (callId, type, data) => events.push({ callId, type, data }),
      currentFlow: () => FLOW,
      clock,
      logger: pino({ level: 'silent' }),
      signal: new AbortController().signal,
      revisits: job(),
    });
    scheduler.tick(); // the first run, at 10:00
    const ticket = complaint('call-1', at('2026-03-10T15:00:00'));
    clock.setTime(at('2026-03-11T10:00:00'));
    scheduler.tick();
    expect(dataOf('revisit.scheduled')).toHaveLength(1);
    expect(runs).toEqual([]); // due at 15:00
    clock.setTime(at('2026-03-11T15:00:00'));
    scheduler.tick();
    await scheduler.idle();
    expect(runs).toMatchObject([{ direction: 'outbound', startAt: 'revisit-greet', callback: { reason: 'revisit', group: 'complaints', ticket } }]);
    // The callee's call carries the ticket: a survey after the revisit rates it.
    const facts = createCallFacts({ direction: 'outbound', caller: CALLER, language: 'zh-CN', callback: runs[0]!.callback! });
    expect(facts.ticket).toBe(ticket);
  });
});
