// N5 hold queue on the virtual clock: the caller's schedule (intro, music, reassurance every
// 15 s from the end of the previous prompt, the callback offer at 60 s), and the dispatcher that
// gives freed agents to the longest-waiting caller, stopping a prompt under way at once.
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AgentDesk, AgentLeg, Candidates, QueueEntry } from '../../src/agents/agent-desk.js';
import { AgentsConfig } from '../../src/agents/agent-config.js';
import { AgentPool, type Agent, type AgentClaim } from '../../src/agents/agent-pool.js';
import { createAgentStateStore } from '../../src/agents/agent-state-store.js';
import type { CallOffer } from '../../src/agents/call-offer.js';
import { Dispatcher } from '../../src/agents/dispatcher.js';
import { createCallbackStore, type CallbackStore } from '../../src/callbacks/callback-store.js';
import { transfer } from '../../src/flow/verbs/transfer.js';
import { openDatabase } from '../../src/store/database.js';
import type { Flow } from '../../src/flow/schema.js';
import { placePrompts, placeToAnnounce } from '../../src/flow/queue-position.js';
import fc from 'fast-check';
import { advance, FakeCall, fakeClock, fakeLeg, flowFromYaml, makeContext, newTestClock, stepOf, track } from './support/fake-call.js';

const T0 = new Date('2026-03-10T09:00:00+08:00').getTime();
const PROMPT_MS = 2000; // FakeCall's play time per prompt id
const INTRO = 3 * PROMPT_MS; // transfer.intro, target, transfer.wait
const JOINED = INTRO; // the queue is joined once the transfer phrase has ended
const HOLD_INTRO_END = JOINED + PROMPT_MS; // 「请您稍等,我帮您查询一下。」

const FLOW = flowFromYaml(`
hotline: { name: Test line, number: "100" }
agentRing: { cadence: { onMs: 1000, offMs: 3000 }, rings: 2 }
agents:
  agents:
    a1: { endpoint: Local/a1@agents, workNumber: "27", name: One }
    a2: { endpoint: Local/a2@agents, workNumber: "28", name: Two }
  groups:
    desk: { name: Desk, members: [a1, a2] }
steps:
  to-desk:
    verb: transfer
    group: desk
    target: group.business
    queue: { callback: take-number, maxWaitMs: 300000, maxLength: 2 }
    next: bye
    failed: bye
  take-number: { verb: capture-number, reason: unanswered-query, next: bye, failed: bye }
  bye: { verb: hangup }
`);

/** The real pool and dispatcher; agent legs scripted on the fake clock. */
class QueueDesk implements AgentDesk {
  readonly rung: Array<{ agent: string; t: number; owner: string }> = [];
  readonly released: string[] = [];
  /** How each agent's phone answers when rung (default: answers after 1 s). */
  answers: Record<string, boolean> = {};

  constructor(
    readonly pool: AgentPool,
    readonly dispatcher: Dispatcher,
  ) {}

  candidates(group: string): Promise<Candidates> {
    return Promise.resolve({ agents: this.pool.candidates(group), unreachable: [] });
  }

  waiting(group: string): number {
    return this.dispatcher.waiting(group);
  }

  join(group: string, owner: string, requestedAt: number, callback?: number): QueueEntry {
    return this.dispatcher.join(group, owner, requestedAt, callback);
  }

  async ring(agent: Agent, offer: CallOffer, _timeoutMs: number, signal: AbortSignal, given?: AgentClaim): Promise<AgentLeg> {
    const claim = given ?? this.dispatcher.claim(agent.id, offer.callId, offer.group);
    if (!claim) return { agent, outcome: 'busy', ringMs: 0, channelId: '', gone: Promise.resolve() };
    this.rung.push({ agent: agent.id, t: fakeClock.now() - T0, owner: offer.callId });
    await fakeClock.sleep(1000, signal).catch(() => undefined);
    const answered = (this.answers[agent.id] ?? true) && !signal.aborted;
    if (!answered) {
      claim.release({ answered: false });
      return { agent, outcome: signal.aborted ? 'failed' : 'no-answer', ringMs: 1000, channelId: '', gone: Promise.resolve() };
    }
    const leg = fakeLeg(`leg-${agent.id}`);
    this.claims.set(leg.channelId, claim);
    return { agent, outcome: 'answered', ringMs: 1000, channelId: leg.channelId, gone: leg.gone };
  }

  private readonly claims = new Map<string, AgentClaim>();

  whisper(): Promise<boolean> {
    return Promise.resolve(true);
  }

  awaitAccept(): Promise<boolean> {
    return Promise.resolve(true);
  }

  connected(): void {}

  rejoin(): undefined {
    return undefined;
  }

  music(): Promise<void> {
    return Promise.resolve();
  }

  isLive(leg: AgentLeg): boolean {
    return this.claims.has(leg.channelId);
  }

  release(leg: AgentLeg, _callId: string, talked: boolean): Promise<void> {
    this.released.push(leg.agent.id);
    this.claims.get(leg.channelId)?.release({ answered: talked });
    this.claims.delete(leg.channelId);
    return Promise.resolve();
  }
}

let pool: AgentPool;
let dispatcher: Dispatcher;
let desk: QueueDesk;

beforeEach(() => {
  newTestClock(T0);
  pool = new AgentPool(AgentsConfig.parse(FLOW.agents), createAgentStateStore(openDatabase(':memory:')), fakeClock, new AbortController().signal);
  dispatcher = new Dispatcher(pool, pino({ level: 'silent' }));
  desk = new QueueDesk(pool, dispatcher);
});

/** Agents on someone else's call: logged in, claimed. */
function busy(...agentIds: string[]): Map<string, AgentClaim> {
  const claims = new Map<string, AgentClaim>();
  for (const id of agentIds) {
    pool.login(id);
    claims.set(id, pool.claim(id, `other-call-${id}`)!);
  }
  return claims;
}

function caller(id = 'call-1', durations: Record<string, number> = {}, callbacks?: CallbackStore, flow: Flow = FLOW) {
  const call = new FakeCall({ id, answered: true, caller: '13800138000', durations });
  const ctx = makeContext(flow, call, { services: { agents: desk, ...(callbacks ? { callbacks } : {}) } });
  const done = transfer.run(ctx, stepOf(flow, 'to-desk', 'transfer'), 'to-desk');
  done.catch(() => undefined);
  return { call, ctx, done, box: track(done) };
}

describe('N5 hold queue: the caller on hold', () => {
  it('N5: reassurance every 15 s counted from the end of the previous prompt; the callback offer at 60 s; music in between', async () => {
    busy('a1', 'a2');
    const { call, ctx } = caller();
    await advance(130_000);
    expect(ctx.dataOf('queue.joined')).toEqual([{ step: 'to-desk', group: 'desk', position: 1, waiting: 1 }]);
    const reassured = ctx.dataOf('queue.reassured');
    const starts = reassured.map((r) => r.startedAt - T0);
    // Intro ends at 8 s; each reassurance starts 15 s after the previous prompt ended.
    expect(starts.slice(0, 3)).toEqual([HOLD_INTRO_END + 15_000, HOLD_INTRO_END + 32_000, HOLD_INTRO_END + 49_000]);
    for (const r of reassured) expect(r.endedAt - r.startedAt).toBe(PROMPT_MS);
    // The offer comes 60 s after joining, between two reassurances; 5 s for the key, none pressed.
    const offers = ctx.dataOf('queue.offered');
    expect(offers[0]).toEqual({
      step: 'to-desk', group: 'desk', n: 1, waitedMs: 60_000 + PROMPT_MS + 5000, startedAt: T0 + JOINED + 60_000, key: null,
    });
    const offerPlay = call.plays().find((p) => p.prompts.includes('hold.offer-callback'))!;
    expect(offerPlay.t).toBe(JOINED + 60_000);
    // The next reassurance is 15 s after the offer's listening window ended.
    expect(starts[3]).toBe(JOINED + 60_000 + PROMPT_MS + 5000 + 15_000);
    // Music whenever no prompt plays: on hold between prompts, off for each prompt.
    const kinds = call.kinds().filter((k) => k === 'hold' || k === 'unhold' || k === 'play');
    expect(kinds.slice(0, 6)).toEqual(['play', 'play', 'hold', 'unhold', 'play', 'hold']);
    // N5: hold music and prompts leave no dead air.
    expect(call.silence()!.maxDeadAirMs).toBeLessThanOrEqual(5000);
  });

  it('N5: a reassurance that would still play when the offer is due gives its slot to the offer: never late, never over 15 s between prompts', async () => {
    busy('a1', 'a2');
    // Spoken prompts of 4.6 s (the generated voice): slots at 15 s after each prompt end.
    const { call, ctx } = caller('call-1', { 'hold.intro': 4600, 'hold.reassure': 4600, 'hold.offer-callback': 6000 });
    await advance(90_000);
    const holdPrompts = call.plays().filter((p) => p.prompts[0]!.startsWith('hold.'));
    const starts = holdPrompts.map((p) => [p.prompts[0], p.t - JOINED]);
    // Intro 0–4.6 s; reassurances at 19.6 and 39.2 s; the slot at 58.8 s would play until 63.4 s,
    // past the offer due at 60 s: the offer takes it.
    expect(starts.slice(0, 4)).toEqual([
      ['hold.intro', 0],
      ['hold.reassure', 19_600],
      ['hold.reassure', 39_200],
      ['hold.offer-callback', 58_800],
    ]);
    for (let i = 1; i < 4; i++) {
      expect(holdPrompts[i]!.t - holdPrompts[i - 1]!.endT!).toBe(15_000);
    }
    expect(ctx.dataOf('queue.offered')[0]).toMatchObject({ startedAt: T0 + JOINED + 58_800 });
  });

  it('N5: an agent freed mid-reassurance is given to the caller at once: the prompt stops, thanks, the work number, the bridge', async () => {
    const others = busy('a1', 'a2');
    const { call, ctx, box } = caller();
    const reassuring = HOLD_INTRO_END + 15_000;
    await advance(reassuring + 500);
    others.get('a2')!.release();
    await advance(0);
    const stopped = call.plays().find((p) => p.prompts.includes('hold.reassure'))!;
    expect(stopped).toMatchObject({ t: reassuring, endT: reassuring + 500, interrupted: true });
    expect(desk.rung).toEqual([{ agent: 'a2', t: reassuring + 500, owner: 'call-1' }]);
    await advance(1000 + 4 * PROMPT_MS); // the ring, then thanks + two digits + 号客服为您服务
    const thanks = call.plays().find((p) => p.prompts[0] === 'hold.thanks')!;
    expect(thanks.prompts).toEqual(['hold.thanks', 'digit.2', 'digit.8', 'agent.serving']);
    expect(ctx.dataOf('queue.served')).toEqual([{ step: 'to-desk', group: 'desk', agent: 'a2', waitedMs: reassuring + 500 - JOINED }]);
    expect(ctx.dataOf('queue.left')).toEqual([{ step: 'to-desk', group: 'desk', reason: 'served', waitedMs: reassuring + 500 - JOINED }]);
    expect(call.first('bridge')).toMatchObject({ channelId: 'leg-a2' });
    expect(box.settled).toBe(false);
  });

  it('N5: 1 at the callback offer goes to the flow callback step and leaves the queue', async () => {
    busy('a1', 'a2');
    const { call, ctx, box } = caller();
    await advance(JOINED + 60_000 + 1000);
    call.press('1');
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'take-number' });
    expect(ctx.dataOf('queue.offered').at(-1)).toMatchObject({ n: 1, key: '1' });
    expect(ctx.dataOf('queue.left')).toEqual([{ step: 'to-desk', group: 'desk', reason: 'callback', waitedMs: 61_000 }]);
    expect(dispatcher.waiting('desk')).toBe(0);
  });

  it('N5: a caller who hangs up leaves the queue at once; an agent freed later is not claimed for them', async () => {
    const others = busy('a1', 'a2');
    const { call, ctx, done } = caller();
    await advance(JOINED + 20_000);
    call.callerHangsUp();
    await expect(done).rejects.toThrow('call ended');
    expect(ctx.dataOf('queue.left')).toEqual([{ step: 'to-desk', group: 'desk', reason: 'hangup', waitedMs: 20_000 }]);
    expect(dispatcher.waiting('desk')).toBe(0);
    others.get('a1')!.release();
    expect(pool.status('a1').state).toBe('available');
  });

  it('N5: after maxWaitMs the caller gets the transfer fallback', async () => {
    busy('a1', 'a2');
    const { ctx, box } = caller();
    await advance(JOINED + 300_000 + 10_000);
    expect(ctx.dataOf('queue.left').at(-1)).toMatchObject({ reason: 'timeout' });
    expect(ctx.types()).toContain('transfer.failed');
    await advance(30_000);
    expect(box).toEqual({ settled: true, value: 'bye' });
  });
});

describe('N5 dispatcher: who gets a freed agent', () => {
  it('callers are served in order of their request; a caller who arrives while others wait joins behind them', async () => {
    const others = busy('a1', 'a2');
    const first = caller('call-1');
    await advance(1000);
    const second = caller('call-2');
    await advance(INTRO + 5000);
    expect(dispatcher.waiting('desk')).toBe(2);
    others.get('a1')!.release();
    await advance(0);
    expect(desk.rung.map((r) => r.owner)).toEqual(['call-1']);
    // a1 is on call-1's call; a new caller joins behind call-2, which still waits.
    const third = caller('call-3');
    await advance(INTRO);
    expect(third.ctx.dataOf('queue.joined')).toEqual([{ step: 'to-desk', group: 'desk', position: 2, waiting: 2 }]);
    others.get('a2')!.release();
    await advance(0);
    // a2 goes to call-2 (earlier request), not to call-3.
    expect(desk.rung.map((r) => r.owner)).toEqual(['call-1', 'call-2']);
    expect(dispatcher.waiting('desk')).toBe(1);
    void first;
    void second;
  });

  it('N5 N9: a caller adopted after a restart while waiting keeps its place: ahead of a caller who asked later, whoever rejoined first', async () => {
    const others = busy('a1', 'a2');
    const later = caller('call-2');
    await advance(INTRO + 1000);
    // call-1 asked for the group a minute ago; the restart put it back in the queue just now.
    const call = new FakeCall({ id: 'call-1', answered: true, caller: '13800138001' });
    const ctx = makeContext(FLOW, call, { services: { agents: desk } });
    ctx.facts.group = 'desk';
    ctx.facts.queuedAt = T0 - 60_000;
    track(transfer.resume(ctx, stepOf(FLOW, 'to-desk', 'transfer'), 'to-desk'));
    await advance(INTRO);
    expect(ctx.dataOf('queue.joined')).toEqual([{ step: 'to-desk', group: 'desk', position: 1, waiting: 2, requestedAt: T0 - 60_000 }]);
    others.get('a1')!.release();
    await advance(0);
    expect(desk.rung.map((r) => r.owner)).toEqual(['call-1']);
    void later;
  });

  it('a full queue (maxLength) sends a new caller to the fallback at once', async () => {
    busy('a1', 'a2');
    caller('call-1');
    caller('call-2');
    await advance(INTRO);
    const third = caller('call-3');
    await advance(INTRO);
    expect(third.ctx.dataOf('queue.left')).toEqual([{ step: 'to-desk', group: 'desk', reason: 'full', waitedMs: 0 }]);
    expect(third.ctx.types()).toContain('transfer.failed');
  });

  it('an agent who does not answer sends the caller back to the same place, and the next free agent is tried', async () => {
    const others = busy('a1', 'a2');
    desk.answers = { a1: false };
    const { ctx } = caller();
    await advance(JOINED + 3000);
    others.get('a1')!.release();
    await advance(1000);
    // a1 did not answer: the caller is back in the queue, first; a1 is not given to it again
    // (it lets calls ring out) and stays free; a2, freed later, takes the call.
    expect(ctx.dataOf('transfer.leg').map((l) => [l.agent, l.outcome])).toEqual([['a1', 'no-answer']]);
    expect(dispatcher.waiting('desk')).toBe(1);
    await advance(10_000);
    expect(desk.rung.map((r) => r.agent)).toEqual(['a1']);
    expect(pool.status('a1').state).toBe('available');
    others.get('a2')!.release();
    await advance(1000);
    expect(ctx.dataOf('queue.served').map((s) => s.agent)).toEqual(['a2']);
    expect(ctx.dataOf('transfer.leg').map((l) => [l.agent, l.outcome])).toEqual([['a1', 'no-answer'], ['a2', 'answered']]);
  });
});

describe('N8 a caller who calls in while the callback is pending', () => {
  it('N8: takes the callback\'s place in line (ahead of callers who came later); served, the callback is cancelled (called-in)', async () => {
    const db = openDatabase(':memory:');
    const callbacks = createCallbackStore(db);
    const pending = callbacks.add({ callId: 'earlier', number: '13800138000', reason: 'unanswered-query', group: 'desk', now: T0 - 60_000 });
    const others = busy('a1', 'a2');
    dispatcher.join('desk', 'waiting-1', T0 - 30_000);
    const { ctx } = caller('call-1', {}, callbacks);
    await advance(JOINED);
    expect(ctx.dataOf('queue.joined')).toEqual([
      { step: 'to-desk', group: 'desk', position: 1, waiting: 2, callback: pending.id, requestedAt: T0 - 60_000 },
    ]);
    // N9: a drop now would keep that place too.
    expect(ctx.facts.queuedAt).toBe(T0 - 60_000);
    // While the caller waits in its place, the scheduler does not dial the callback.
    expect(dispatcher.heldCallbacks()).toEqual([pending.id]);
    expect(callbacks.claimDue({ group: 'desk', now: T0 + JOINED, limit: 5, token: 't', staleMs: 120_000, exclude: dispatcher.heldCallbacks() })).toEqual([]);
    others.get('a1')!.release();
    await advance(1000 + 4 * PROMPT_MS); // the ring, then thanks, two digits and 号客服为您服务
    expect(desk.rung.map((r) => r.owner)).toEqual(['call-1']);
    expect(ctx.dataOf('transfer.bridged')).toHaveLength(1);
    expect(ctx.dataOf('callback.cancelled')).toEqual([{ id: pending.id, reason: 'called-in' }]);
    expect(callbacks.get(pending.id)).toMatchObject({ status: 'cancelled', outcome: 'called-in' });
  });

  it('N8: a caller who hangs up before being served leaves the callback as it was, and it may be dialled again', async () => {
    const callbacks = createCallbackStore(openDatabase(':memory:'));
    const pending = callbacks.add({ callId: 'earlier', number: '13800138000', reason: 'unanswered-query', group: 'desk', now: T0 - 60_000 });
    busy('a1', 'a2');
    const { call, ctx, done } = caller('call-1', {}, callbacks);
    await advance(JOINED + 20_000);
    expect(ctx.dataOf('queue.joined')[0]).toMatchObject({ callback: pending.id });
    call.callerHangsUp();
    await expect(done).rejects.toThrow('call ended');
    expect(callbacks.get(pending.id)).toEqual(pending);
    expect(dispatcher.heldCallbacks()).toEqual([]);
    expect(ctx.dataOf('callback.cancelled')).toEqual([]);
  });

  it("a callback of another group, or one being dialled, is not taken over; a row without a group counts for the flow's callback group", () => {
    const callbacks = createCallbackStore(openDatabase(':memory:'));
    const other = callbacks.add({ callId: null, number: '13800138000', reason: 'complaint', group: 'vip', now: T0 });
    expect(callbacks.pendingFor('13800138000', 'desk', null)).toBeUndefined();
    const ungrouped = callbacks.add({ callId: null, number: '13800138000', reason: 'complaint', now: T0 });
    expect(callbacks.pendingFor('13800138000', 'desk', null)).toBeUndefined();
    expect(callbacks.pendingFor('13800138000', 'desk', 'desk')?.id).toBe(ungrouped.id);
    expect(callbacks.pendingFor('13800138000', 'vip', 'desk')?.id).toBe(other.id);
    callbacks.claimDue({ group: 'vip', now: T0, limit: 1, token: 't', staleMs: 120_000 });
    expect(callbacks.pendingFor('13800138000', 'vip', 'desk')).toBeUndefined();
  });
});

describe('N8 a caller who reaches an agent before the callback', () => {
  it('cancels the pending callback of the number (served), logged as callback.cancelled', async () => {
    const callbacks = createCallbackStore(openDatabase(':memory:'));
    const pending = callbacks.add({ callId: 'earlier', number: '13800138000', reason: 'unanswered-query', now: T0 - 60_000 });
    pool.login('a1');
    const { ctx } = caller('call-1', {}, callbacks);
    await advance(INTRO + 1000 + 3 * PROMPT_MS);
    expect(ctx.dataOf('transfer.bridged')).toHaveLength(1);
    expect(ctx.dataOf('callback.cancelled')).toEqual([{ id: pending.id, reason: 'served' }]);
    expect(callbacks.get(pending.id)).toMatchObject({ status: 'cancelled', outcome: 'served' });
  });
});


// N5 position announcements: a queue whose reassurances also say the caller's place. No callback
// offer, so every slot is a reassurance; a long max wait.
const POS_FLOW = flowFromYaml(`
hotline: { name: Test line, number: "100" }
agentRing: { cadence: { onMs: 1000, offMs: 3000 }, rings: 2 }
agents:
  agents:
    a1: { endpoint: Local/a1@agents, workNumber: "27", name: One }
    a2: { endpoint: Local/a2@agents, workNumber: "28", name: Two }
  groups:
    desk: { name: Desk, members: [a1, a2] }
steps:
  to-desk:
    verb: transfer
    group: desk
    target: group.business
    queue: { announcePosition: true, maxWaitMs: 3600000, maxLength: 100 }
    next: bye
    failed: bye
  bye: { verb: hangup }
`);
/** Reassurance slots: 15 s after the previous prompt ended (the hold intro ends at HOLD_INTRO_END). */
const slotPrompts = (call: FakeCall) => call.plays().filter((p) => p.prompts[0] === 'hold.reassure').map((p) => p.prompts);

describe('N5 position announcements', () => {
  it('N5: the first in line hears 您是下一位 at the first reassurance, and its place is not said again while it stays', async () => {
    busy('a1', 'a2');
    const { call, ctx } = caller('call-1', {}, undefined, POS_FLOW);
    await advance(HOLD_INTRO_END + 3 * 17_000 + 10_000);
    const slots = slotPrompts(call);
    expect(slots.length).toBeGreaterThanOrEqual(3);
    expect(slots[0]).toEqual(['hold.reassure', 'queue.next']);
    for (const later of slots.slice(1)) expect(later).toEqual(['hold.reassure']);
    expect(ctx.dataOf('queue.position')).toEqual([
      { step: 'to-desk', group: 'desk', position: 1, ahead: 0, waitedMs: HOLD_INTRO_END - JOINED + 15_000, startedAt: T0 + HOLD_INTRO_END + 15_000, interrupted: false },
    ]);
  });

  it('N5: the place is said when it goes down, never when it goes up (asterisk#1386): 前面还有2位, nothing, 前面还有1位, 您是下一位', async () => {
    busy('a1', 'a2');
    const first = dispatcher.join('desk', 'waiting-1', T0 - 2000);
    const second = dispatcher.join('desk', 'waiting-2', T0 - 1000);
    const { call, ctx } = caller('call-1', {}, undefined, POS_FLOW);
    // Slots (from the call's start): 23 s (third in line: 8 s of prompts), 46 s, 63 s (8 s), 86 s.
    await advance(24_000);
    // A dropped caller's callback keeps its earlier place (N9): it joins ahead. Fourth now.
    const dropped = dispatcher.join('desk', 'dropped-1', T0 - 1500);
    await advance(47_000 - 24_000); // slot 2 (46 s): fourth in line: nothing said
    first.leave();
    dropped.leave();
    await advance(64_000 - 47_000); // slot 3 (63 s): second in line
    second.leave();
    await advance(90_000 - 64_000); // slot 4 (86 s): first in line
    expect(slotPrompts(call).slice(0, 4)).toEqual([
      ['hold.reassure', ...placePrompts(3)],
      ['hold.reassure'],
      ['hold.reassure', 'queue.ahead', 'digit.1', 'queue.ahead-unit'],
      ['hold.reassure', 'queue.next'],
    ]);
    expect(placePrompts(3)).toEqual(['queue.ahead', 'digit.2', 'queue.ahead-unit']);
    expect(ctx.dataOf('queue.position').map((p) => [p.position, p.ahead])).toEqual([[3, 2], [2, 1], [1, 0]]);
  });

  it('N5: without announcePosition nothing about the place is said', async () => {
    busy('a1', 'a2');
    dispatcher.join('desk', 'waiting-1', T0 - 2000);
    const { call, ctx } = caller();
    await advance(HOLD_INTRO_END + 15_000 + PROMPT_MS);
    expect(slotPrompts(call)[0]).toEqual(['hold.reassure']);
    expect(ctx.dataOf('queue.position')).toEqual([]);
  });

  it('placeToAnnounce: the first place, then only a lower one (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 60 }), (positions) => {
        let last: number | undefined;
        const said: number[] = [];
        for (const p of positions) {
          const place = placeToAnnounce(p, last);
          if (place === null) continue;
          expect(place).toBe(p);
          last = place;
          said.push(place);
        }
        // Never up, never the same twice; the first valid place is always said.
        for (let i = 1; i < said.length; i++) expect(said[i]).toBeLessThan(said[i - 1]!);
        const firstValid = positions.find((p) => p >= 1);
        if (firstValid !== undefined) expect(said[0]).toBe(firstValid);
      }),
      { numRuns: 500 },
    );
  });

  it('N5: announced positions never increase, and each is the caller\'s place at that moment, whoever joins ahead or leaves (property, on the virtual clock)', async () => {
    // Others join ahead of the caller (earlier request: a dropped caller's place, a callback
    // taken over) or behind it, and leave, at random moments over five minutes.
    const op = fc.record({
      atS: fc.integer({ min: 0, max: 300 }),
      kind: fc.constantFrom('ahead', 'behind', 'leave'),
      pick: fc.nat(),
    });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4 }), fc.array(op, { maxLength: 20 }), async (initiallyAhead, ops) => {
        newTestClock(T0);
        pool = new AgentPool(AgentsConfig.parse(POS_FLOW.agents), createAgentStateStore(openDatabase(':memory:')), fakeClock, new AbortController().signal);
        dispatcher = new Dispatcher(pool, pino({ level: 'silent' }));
        desk = new QueueDesk(pool, dispatcher);
        busy('a1', 'a2');
        // The model: the others, with their request times; the caller's own is its join time.
        const others: Array<{ requestedAt: number; entry: QueueEntry; waiting: boolean }> = [];
        const join = (requestedAt: number) =>
          others.push({ requestedAt, entry: dispatcher.join('desk', `o${others.length}`, requestedAt), waiting: true });
        for (let i = 0; i < initiallyAhead; i++) join(T0 - 10_000 + i);
        const callerAt = T0 + JOINED;
        const placeNow = () => 1 + others.filter((o) => o.waiting && o.requestedAt < callerAt).length;
        // The caller's place after each change, in time order.
        const history: Array<{ t: number; place: number }> = [{ t: T0, place: placeNow() }];
        const { call, ctx } = caller('call-1', {}, undefined, POS_FLOW);
        // Slots start on whole seconds (2 s prompts, 15 s gaps); changes land at +333 ms, never at the same instant.
        for (const o of ops) {
          fakeClock.timer(JOINED + o.atS * 1000 + 333, new AbortController().signal, () => {
            if (o.kind === 'leave') {
              const live = others.filter((x) => x.waiting);
              const gone = live[o.pick % Math.max(1, live.length)];
              if (!gone) return;
              gone.waiting = false;
              gone.entry.leave();
            } else {
              join(o.kind === 'ahead' ? T0 - 20_000 + (o.pick % 10_000) : fakeClock.now());
            }
            history.push({ t: fakeClock.now(), place: placeNow() });
          });
        }
        await advance(JOINED + 330_000);
        // What the rule says at each reassurance, from the model's place at its start.
        const placeAt = (t: number) => history.filter((h) => h.t <= t).at(-1)!.place;
        let last: number | undefined;
        const want: number[] = [];
        for (const { startedAt } of ctx.dataOf('queue.reassured')) {
          const p = placeToAnnounce(placeAt(startedAt), last);
          if (p !== null) {
            want.push(p);
            last = p;
          }
        }
        const said = ctx.dataOf('queue.position');
        expect(ctx.dataOf('queue.reassured').length).toBeGreaterThanOrEqual(15);
        expect(said.map((x) => x.position)).toEqual(want);
        for (const x of said) expect(x.position).toBe(placeAt(x.startedAt));
        for (let i = 1; i < said.length; i++) expect(said[i]!.position).toBeLessThan(said[i - 1]!.position);
        call.callerHangsUp();
        await advance(0);
      }),
      { numRuns: 60 },
    );
  });
});
