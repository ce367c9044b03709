// N8 on the virtual clock: callbacks persisted first, claimed by one immediate transaction,
// agent first (rung, told why, on hold music before the callee is dialled), never more dials
// than free agents, retried on no answer up to the attempts, expired at their deadline, and a
// claim left by a dead controller retaken with its attempt counted once.
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { AgentsConfig } from '../../src/agents/agent-config.js';
import { AgentPool } from '../../src/agents/agent-pool.js';
import { createAgentStateStore } from '../../src/agents/agent-state-store.js';
import { AgentNotifier, type AgentEvent } from '../../src/agents/agent-notifier.js';
import { Dispatcher } from '../../src/agents/dispatcher.js';
import { createCallbackStore, type CallbackStore } from '../../src/callbacks/callback-store.js';
import { AGENT_RETRY_MS, CallbackScheduler, STALE_MS } from '../../src/callbacks/scheduler.js';
import type { CallStart } from '../../src/calls/handle-call.js';
import type { DialParams, DialResult, OutboundDialer } from '../../src/calls/outbound-leg.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import type { Flow } from '../../src/flow/schema.js';
import type { EventType } from '../../src/store/events.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import type { TicketRow, TicketStore } from '../../src/tickets/ticket-store.js';
import { flowFromYaml } from './support/fake-call.js';
import { ScriptedDesk } from './support/scripted-desk.js';

const T0 = Date.UTC(2026, 2, 10, 2, 0, 0);
const MIN = 60_000;
const ticketRow = (number: string): TicketRow => ({
  number, callId: 'c0', caller: '13800138000', group: 'desk', status: 'open', createdAt: T0 - 86_400_000,
});

const FLOW_YAML = `
hotline: { name: Test line, number: "4008008000" }
agents:
  agents:
    a1: { endpoint: Local/a1@agents, workNumber: "27", name: One }
    a2: { endpoint: Local/a2@agents, workNumber: "28", name: Two }
  groups:
    desk: { name: Desk, members: [a1, a2] }
callbacks:
  dial: Local/{number}@callees
  group: desk
  entry: greet
  attempts: 3
  retryMs: 600000
  ringMs: 20000
steps:
  start: { verb: hangup }
  greet: { verb: hangup }
`;
const FLOW = flowFromYaml(FLOW_YAML);

let clock: VirtualClock;
let db: Database;
let store: CallbackStore;
let pool: AgentPool;
let dispatcher: Dispatcher;
let desk: ScriptedDesk;
/** An agent's phone rings this long before it answers, and the callback whisper lasts this long. */
const AGENT_RING_MS = 1000;
const WHISPER_MS = 2000;
/** From the tick to the callee's dial: the agent is reached and told first. */
const AGENT_FIRST_MS = AGENT_RING_MS + WHISPER_MS;

beforeEach(() => {
  clock = new VirtualClock(T0);
  db = openDatabase(':memory:');
  store = createCallbackStore(db);
  pool = new AgentPool(AgentsConfig.parse(FLOW.agents), createAgentStateStore(db), clock, new AbortController().signal);
  dispatcher = new Dispatcher(pool, pino({ level: 'silent' }));
  desk = new ScriptedDesk(pool, dispatcher, clock);
  desk.ringMs = AGENT_RING_MS;
  desk.whisperMs = WHISPER_MS;
});

/** A dialer whose callees answer as scripted (default: no answer after the ring time). */
function scheduler(answers: Array<DialResult['outcome']> = [], flow: Flow = FLOW, tickets?: Pick<TicketStore, 'openFor'>) {
  const dials: Array<DialParams & { t: number }> = [];
  const runs: CallStart[] = [];
  const events: Array<{ callId: string; type: EventType; data: unknown }> = [];
  const dialer = {
    dial: async (p: DialParams): Promise<DialResult> => {
      dials.push({ ...p, t: clock.now() - T0 });
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
    agents: desk,
    dialer,
    ...(tickets ? { tickets } : {}),
    runCall: (_channel, start) => {
      runs.push(start);
      return Promise.resolve();
    },
    record: (callId, type, data) => events.push({ callId, type, data }),
    currentFlow: () => flow,
    clock,
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
  });
  /** A tick, then the attempts it started, on the virtual clock. */
  const tickAndWork = async (ms = 25_000) => {
    s.tick();
    await clock.advance(ms);
    await s.idle();
  };
  return { s, dials, runs, events, tickAndWork };
}

describe('N8 callback store', () => {
  it('a second request for the same number merges into the open one: one row, earliest deadline, first place kept', () => {
    const first = store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: T0 });
    const second = store.add({ callId: 'c2', number: '13800138000', reason: 'line-trouble', now: T0 + MIN });
    expect(second.id).toBe(first.id);
    expect(store.list()).toHaveLength(1);
    expect(second).toMatchObject({ reason: 'line-trouble', promisedBy: T0 + 4 * MIN, createdAt: T0 });
    // Another group is another callback.
    const other = store.add({ callId: 'c3', number: '13800138000', reason: 'complaint', group: 'vip', now: T0 });
    expect(other.id).not.toBe(first.id);
  });

  it('race: two claimers, one row: only the first gets it', () => {
    store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: T0 });
    const a = store.claimDue({ group: null, now: T0, limit: 5, token: 'A', staleMs: STALE_MS });
    const b = store.claimDue({ group: null, now: T0, limit: 5, token: 'B', staleMs: STALE_MS });
    expect(a.map((r) => r.claimToken)).toEqual(['A']);
    expect(b).toEqual([]);
  });

  it('race: a controller killed between claim and dial: the stale claim is retaken and the attempt counted once', () => {
    const row = store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: T0 });
    store.claimDue({ group: null, now: T0, limit: 1, token: 'dead', staleMs: STALE_MS });
    // Not stale yet: nobody else takes it.
    expect(store.claimDue({ group: null, now: T0 + STALE_MS - 1, limit: 1, token: 'early', staleMs: STALE_MS })).toEqual([]);
    const retaken = store.claimDue({ group: null, now: T0 + STALE_MS + 1, limit: 1, token: 'new', staleMs: STALE_MS });
    expect(retaken.map((r) => r.id)).toEqual([row.id]);
    // The dead controller's token no longer counts; the new one's attempt is the first.
    expect(store.startAttempt(row.id, 'dead', T0 + STALE_MS + 2)).toBe(false);
    expect(store.startAttempt(row.id, 'new', T0 + STALE_MS + 2)).toBe(true);
    expect(store.get(row.id)).toMatchObject({ attempts: 1, status: 'dialling' });
  });
});

describe('N8 callback scheduler', () => {
  it('N8: agent first: rung, told 回拨: why and the number, on hold music; then the callee, with the hotline number as caller ID; an answer runs the flow from callbacks.entry holding the agent', async () => {
    pool.login('a1');
    store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: T0, language: 'en' });
    const { dials, runs, events, tickAndWork } = scheduler(['answered']);
    await tickAndWork(AGENT_FIRST_MS + 5000);
    // The agent's phone rang first, for the callee's call that does not exist yet.
    expect(desk.rung).toHaveLength(1);
    const offer = desk.rung[0]!.offer;
    expect(desk.rung[0]).toMatchObject({ agent: 'a1', t: T0, timeoutMs: 15_000 });
    expect(offer).toEqual({
      callId: offer.callId, caller: '13800138000', group: 'desk', menuPath: [], calledEarlierToday: false,
      callback: { id: 1, reason: 'unanswered-query', attempt: 1 },
    });
    expect(desk.whispers).toEqual([{
      agent: 'a1', t: T0 + AGENT_RING_MS, language: 'zh-CN',
      prompts: ['whisper.callback', 'callback.reason.unanswered-query', 'whisper.caller', ...'13800138000'.split('').map((d) => `digit.${d}`)],
    }]);
    expect(desk.musicLog).toEqual([{ agent: 'a1', on: true, t: T0 + AGENT_FIRST_MS }]);
    // N18: the callee is greeted in the language of the call that asked.
    expect(runs[0]?.callback?.language).toBe('en');
    expect(dials).toMatchObject([
      {
        endpoint: 'Local/13800138000@callees', callerId: '4008008000', ringBudgetMs: 20_000, role: 'callback-leg', owner: 'callback-1',
        channelId: offer.callId, t: AGENT_FIRST_MS,
      },
    ]);
    expect(runs).toMatchObject([{ direction: 'outbound', startAt: 'greet', callback: { id: 1, group: 'desk', attempt: 1 } }]);
    expect(runs[0]!.callback!.claim.agentId).toBe('a1');
    expect(runs[0]!.callback!.leg).toMatchObject({ agent: { id: 'a1' }, outcome: 'answered' });
    expect(desk.liveAgents()).toEqual(['a1']);
    expect(pool.status('a1').state).toBe('busy');
    expect(store.get(1)).toMatchObject({ status: 'done', attempts: 1, outcome: 'answered' });
    expect(events.map((e) => [e.callId, e.type])).toEqual([
      ['c1', 'transfer.leg'], ['c1', 'callback.whisper'], ['c1', 'callback.attempt'],
    ]);
    expect(events[0]!.data).toEqual({ agent: 'a1', workNumber: '27', outcome: 'answered', ringMs: AGENT_RING_MS, limitMs: 15_000 });
    // Dialled as soon as the agent was reached and told: that long after the due time.
    expect(events[2]!.data).toMatchObject({ outcome: 'answered', lateMs: AGENT_FIRST_MS, agent: 'a1' });
    // The call frees the agent when the callee will not talk to it (idempotent).
    await runs[0]!.callback!.releaseAgent();
    await runs[0]!.callback!.releaseAgent();
    expect(desk.released).toEqual([{ agent: 'a1', callId: offer.callId, talked: false, t: T0 + AGENT_FIRST_MS + 5000 }]);
    expect(pool.status('a1').state).toBe('available');
  });

  it("N8: the agent's screen gets a `callback` offer with the same facts; the whisper names the ticket (a revisit's, or the callee's open one)", async () => {
    const notifier = new AgentNotifier();
    desk = new ScriptedDesk(pool, dispatcher, clock, notifier);
    const seen: AgentEvent[] = [];
    notifier.subscribe('a1', (e) => seen.push(e));
    pool.login('a1');
    store.add({ callId: 'c1', number: '13800138000', reason: 'revisit', now: T0, ticket: '2603100007' });
    const { tickAndWork } = scheduler(['no-answer']);
    await tickAndWork(AGENT_FIRST_MS + 25_000);
    expect(seen.map((e) => e.type)).toEqual(['callback', 'ended']);
    expect(seen[0]).toMatchObject({ type: 'callback', info: { caller: '13800138000', ticket: '2603100007', callback: { id: 1, reason: 'revisit', attempt: 1 } } });
    expect(desk.whispers[0]!.prompts.slice(0, 2)).toEqual(['whisper.callback', 'callback.reason.revisit']);
    expect(desk.whispers[0]!.prompts).toContain('whisper.ticket');
    // No answer: the agent is told so, then freed.
    expect(desk.whispers[1]!.prompts).toEqual(['callback.agent-unanswered']);
    expect(desk.released).toMatchObject([{ agent: 'a1', talked: false }]);
    expect(pool.status('a1').state).toBe('available');
  });

  it("N8: the callee's open ticket is whispered when the callback names none", async () => {
    pool.login('a1');
    store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: T0 });
    const { tickAndWork } = scheduler(['answered'], FLOW, { openFor: (n) => (n === '13800138000' ? ticketRow('2603090001') : undefined) });
    await tickAndWork(AGENT_FIRST_MS + 5000);
    expect(desk.rung[0]!.offer.ticket).toBe('2603090001');
    expect(desk.whispers[0]!.prompts.join(' ')).toContain('whisper.ticket digit.2 digit.6 digit.0 digit.3');
  });

  it('N8: an agent who does not answer: the next one is rung; nobody answers: no attempt counted, tried again a minute later', async () => {
    pool.login('a1');
    pool.login('a2');
    desk.answers = { a1: false };
    store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: T0 });
    const first = scheduler(['answered']);
    await first.tickAndWork(15_000 + AGENT_FIRST_MS + 5000);
    expect(desk.rung.map((r) => r.agent)).toEqual(['a1', 'a2']);
    expect(first.dials).toHaveLength(1);
    expect(first.runs[0]!.callback!.claim.agentId).toBe('a2');
    expect(first.events.filter((e) => e.type === 'transfer.leg').map((e) => (e.data as { outcome: string }).outcome)).toEqual(['no-answer', 'answered']);

    // Nobody answers at all: the callee is not dialled and keeps its attempts.
    desk.answers = { a1: false, a2: false };
    await first.runs[0]!.callback!.releaseAgent();
    clock.setTime(clock.now() + 60_000); // a2's wrap-up is over (it did not talk)
    store.add({ callId: 'c2', number: '13900139000', reason: 'unanswered-query', now: clock.now() });
    const second = scheduler();
    const before = clock.now();
    await second.tickAndWork(2 * 15_000 + 1000);
    expect(second.dials).toEqual([]);
    const row = store.list().find((r) => r.number === '13900139000')!;
    expect(row).toMatchObject({ status: 'pending', attempts: 0, outcome: 'no-agent', nextAttemptAt: before + 2 * 15_000 + AGENT_RETRY_MS });
  });

  it('N8: an agent who hangs up during the whisper is freed and the next one is rung', async () => {
    pool.login('a1');
    pool.login('a2');
    store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: T0 });
    const { runs, events, s } = scheduler(['answered']);
    s.tick();
    await clock.advance(AGENT_RING_MS + 500);
    desk.hangUp('a1');
    await clock.advance(WHISPER_MS + AGENT_FIRST_MS + 5000);
    await s.idle();
    expect(events.filter((e) => e.type === 'callback.whisper').map((e) => e.data)).toMatchObject([
      { agent: 'a1', heard: false }, { agent: 'a2', heard: true },
    ]);
    expect(runs[0]!.callback!.claim.agentId).toBe('a2');
    expect(pool.status('a1').state).toBe('available');
  });

  it('never more dials than free agents; callers waiting in the hold queue come first', async () => {
    pool.login('a1');
    for (const n of ['13800138001', '13800138002', '13800138003']) {
      store.add({ callId: null, number: n, reason: 'unanswered-query', now: T0 });
    }
    const { dials, s } = scheduler(['answered', 'answered', 'answered']);
    s.tick();
    expect(desk.rung).toHaveLength(1);
    await clock.advance(AGENT_FIRST_MS);
    expect(dials).toHaveLength(1);
    // A caller waits for the group: no callback takes an agent from them.
    pool.login('a2');
    const entry = dispatcher.join('desk', 'caller-1', T0);
    s.tick();
    await clock.advance(AGENT_FIRST_MS);
    expect(desk.rung).toHaveLength(1);
    expect(dials).toHaveLength(1);
    entry.leave();
  });

  it('race: a callback due while its caller, who called in, waits in its place (or talks to the agent it got) is not dialled until that call leaves', async () => {
    pool.login('a1');
    pool.login('a2');
    const row = store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', group: 'desk', now: T0 - MIN });
    // The caller's call took the callback's place and was given a1 at once; a2 is free.
    const entry = dispatcher.join('desk', 'inbound-call', row.createdAt, row.id);
    const { dials, tickAndWork } = scheduler(['answered']);
    await tickAndWork(AGENT_FIRST_MS + 5000);
    expect(desk.rung).toEqual([]);
    expect(dials).toEqual([]);
    expect(store.get(row.id)).toMatchObject({ status: 'pending', attempts: 0 });
    // The call hung up before being served: the callback is dialled as before.
    entry.leave();
    await tickAndWork(AGENT_FIRST_MS + 5000);
    expect(dials).toHaveLength(1);
  });

  it('no agent free: nothing is dialled and no attempt is counted', async () => {
    store.add({ callId: null, number: '13800138000', reason: 'unanswered-query', now: T0 });
    const { dials, tickAndWork } = scheduler();
    await tickAndWork();
    expect(dials).toEqual([]);
    expect(store.get(1)).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('the retry ladder: no answer, busy, then expired after the third attempt (10 min apart)', async () => {
    pool.login('a1');
    store.add({ callId: 'c1', number: '13800138000', reason: 'complaint', now: T0 }); // 24 h deadline
    const { dials, events, s: sched } = scheduler(['no-answer', 'busy', 'no-answer']);
    // node-cron ticks every second in production; here every 5 s of virtual time for 40 min.
    for (let t = 0; t < 40 * MIN; t += 5000) {
      sched.tick();
      await clock.advance(5000);
    }
    await sched.idle();
    // Each retry is due 10 min after the attempt ended (a 20 s ring, then the agent is told),
    // and dialled by the next tick once the agent has been reached again.
    expect(dials).toHaveLength(3);
    for (const [a, b] of [[0, 1], [1, 2]] as const) {
      const gap = dials[b]!.t - dials[a]!.t;
      expect(gap).toBeGreaterThanOrEqual(20_000 + WHISPER_MS + 600_000 + AGENT_FIRST_MS);
      expect(gap).toBeLessThanOrEqual(20_000 + WHISPER_MS + 600_000 + 5000 + AGENT_FIRST_MS);
    }
    expect(store.get(1)).toMatchObject({ status: 'expired', attempts: 3, outcome: 'no-answer' });
    expect(events.map((e) => e.type).filter((t) => t.startsWith('callback.') && t !== 'callback.whisper')).toEqual([
      'callback.attempt', 'callback.attempt', 'callback.attempt', 'callback.expired',
    ]);
    // The agent was reserved for each attempt and given back after it.
    expect(pool.status('a1').state).toBe('available');
  });

  it('race: a claim worked longer than claimTimeoutMs (a long callee ring) is renewed, so another controller never retakes and redials it', async () => {
    // Two controllers on one store; the callee rings 60 s, twice the claim timeout. Without the
    // heartbeat the second controller's tick retakes the claim at 30 s and dials the callee again.
    const flow = flowFromYaml(FLOW_YAML.replace('ringMs: 20000', 'ringMs: 60000\n  claimTimeoutMs: 30000'));
    pool.login('a1');
    pool.login('a2'); // the second controller has a free agent: only the claim keeps it off the row
    store.add({ callId: 'c1', number: '13800138000', reason: 'complaint', now: T0 });
    const a = scheduler([], flow);
    const b = scheduler([], flow);
    a.s.tick();
    for (let t = 0; t < 80_000; t += 1000) {
      await clock.advance(1000);
      b.s.tick();
    }
    await a.s.idle();
    await b.s.idle();
    expect(a.dials).toHaveLength(1);
    expect(b.dials).toEqual([]);
    expect(store.get(1)).toMatchObject({ status: 'pending', attempts: 1, outcome: 'no-answer' });
  });

  it("race: a controller killed after its claim: the row is retaken once the flow's claimTimeoutMs has passed without renewal, and dialled once", async () => {
    const flow = flowFromYaml(FLOW_YAML.replace('ringMs: 20000', 'ringMs: 20000\n  claimTimeoutMs: 15000'));
    pool.login('a1');
    store.add({ callId: 'c1', number: '13800138000', reason: 'complaint', now: T0 });
    store.claimDue({ group: null, now: T0, limit: 1, token: 'dead', staleMs: 15_000 });
    const { dials, tickAndWork } = scheduler([], flow);
    await tickAndWork(14_000); // not stale yet
    expect(dials).toEqual([]);
    await clock.advance(2000);
    await tickAndWork(30_000);
    expect(dials).toHaveLength(1);
    expect(dials[0]!.t).toBeGreaterThanOrEqual(16_000 + AGENT_FIRST_MS);
    expect(store.get(1)).toMatchObject({ attempts: 1 });
  });

  it('expired at its deadline when it cannot be reached in time (line trouble: 3 min)', async () => {
    store.add({ callId: 'c1', number: '13800138000', reason: 'line-trouble', now: T0 });
    const { events, tickAndWork } = scheduler();
    await tickAndWork(3 * MIN + 1000);
    await tickAndWork(0);
    expect(store.get(1)).toMatchObject({ status: 'expired', attempts: 0, outcome: 'not-reached' });
    expect(events.map((e) => e.type)).toEqual(['callback.expired']);
  });

  it('without callbacks.dial nothing is dialled (requests wait for people)', async () => {
    pool.login('a1');
    store.add({ callId: null, number: '13800138000', reason: 'unanswered-query', now: T0 });
    const noDial = { ...FLOW, callbacks: { ...FLOW.callbacks, dial: undefined } } as Flow;
    const { dials, tickAndWork } = scheduler([], noDial);
    await tickAndWork();
    expect(dials).toEqual([]);
  });
});
