// N6 (and N1 for the agent legs) on fake time, with a scripted fake AgentDesk: the transfer phrase
// covers the candidate lookup, agents ring in order under music, the answering agent hears the
// whisper (and may have to press 1), the caller hears the work number, the two are bridged; when
// nobody takes the call the caller hears the keys that lead back here, computed from the flow.
import { beforeEach, describe, expect, it } from 'vitest';
import type { AgentDesk, AgentLeg, Candidates, LegOutcome, QueueEntry } from '../../src/agents/agent-desk.js';
import type { CallOffer } from '../../src/agents/call-offer.js';
import type { Agent, AgentClaim } from '../../src/agents/agent-pool.js';
import type { CallbackCall } from '../../src/calls/call-facts.js';
import type { TimerHandle } from '../../src/clock/clock.js';
import type { Language } from '../../src/prompts/language.js';
import { transfer } from '../../src/flow/verbs/transfer.js';
import type { EarlierCalls } from '../../src/store/caller-history.js';
import type { TicketRow, TicketStore } from '../../src/tickets/ticket-store.js';
import { advance, FakeCall, fakeClock, fakeLeg, flowFromYaml, makeContext, newTestClock, stepOf, track } from './support/fake-call.js';

const T0 = new Date('2026-03-10T09:00:00+08:00').getTime();
const PROMPT_MS = 2000; // FakeCall's default play time per prompt id
const INTRO_MS = 3 * PROMPT_MS; // transfer.intro, the target, transfer.wait
const LIMIT_MS = 2 * (1000 + 3000); // agentRing below: 2 rings of 1000 on, 3000 off
const WHISPER_MS = 1500; // how long the fake desk's whisper plays to the agent
const ACCEPT_MS = 1000; // how long the fake agent takes to press a key
const CALLER = '13800138000';
const digitsOf = (n: string) => [...n].map((d) => `digit.${d}`);

// main: 1 → service menu, * → complaint desk; its invalid fallback is the only way to hidden-desk.
// service: 2 → repair desk, 3 → the repair desk that wants a 1 from the agent.
const FLOW = flowFromYaml(`
hotline: { name: Test line, number: "100" }
agentRing: { cadence: { onMs: 1000, offMs: 3000 }, rings: 2 }
agents:
  agents:
    "1001": { endpoint: PJSIP/1001, workNumber: "1001", name: Zhang }
    "1002": { endpoint: PJSIP/1002, workNumber: "2718", name: Li }
    "1003": { endpoint: PJSIP/1003, workNumber: "42", name: Wang, language: en }
  groups:
    repair: { name: 故障报修, members: ["1001", "1002", "1003"] }
    business: { name: 业务咨询, members: ["1001"] }
    complaint: { name: 投诉建议, members: ["1003"] }
steps:
  main:
    verb: menu
    prompt: menu.main
    options: { "1": service, "*": complaint-desk }
    invalid: { then: hidden-desk }
    noInput: { then: bye }
  service:
    verb: menu
    prompt: menu.main
    options: { "2": repair-desk, "3": repair-confirm }
    invalid: { then: bye }
    noInput: { then: bye }
  repair-desk: { verb: transfer, group: repair, target: group.repair, next: after, failed: sorry }
  repair-confirm: { verb: transfer, group: repair, target: group.repair, confirm: true, next: after, failed: sorry }
  complaint-desk: { verb: transfer, group: complaint, target: group.complaint, next: after, failed: sorry }
  hidden-desk: { verb: transfer, group: business, target: group.business, next: after, failed: sorry }
  repair-rated: { verb: transfer, group: repair, target: group.repair, next: after, survey: rate, failed: sorry }
  rate: { verb: survey, next: after }
  after: { verb: hangup }
  sorry: { verb: hangup }
  bye: { verb: hangup }
`);

const agentOf = (id: string): Agent => {
  const entry = FLOW.agents.agents[id];
  if (!entry) throw new Error(`no agent ${id} in the test flow`);
  return { id, ...entry };
};

// ---- the fake desk ----

/** What one agent's phone does when rung. */
interface Script {
  outcome: LegOutcome;
  /** Fake time until the leg answers or ends; default: the whole ring budget for no-answer. */
  ringMs?: number;
  cause?: number;
  /** The whisper reached the agent (false: the agent hung up meanwhile). Default true. */
  heard?: boolean;
  /** The agent's answer to 「接听请按1」. Default true. */
  accept?: boolean;
  /**
   * The caller's StasisEnd arrives in the same websocket read as this event of the agent's leg:
   * the caller's signal aborts in the same tick as the desk answers.
   */
  callerLeavesWith?: 'answer' | 'accept';
}

type DeskOp =
  | { op: 'candidates'; group: string }
  | { op: 'ring'; agent: string; offer: CallOffer; timeoutMs: number }
  | { op: 'whisper'; agent: string; prompts: string[]; language: Language }
  | { op: 'awaitAccept'; agent: string; timeoutMs: number }
  | { op: 'connected'; agent: string; callId: string }
  | { op: 'music'; agent: string; on: boolean }
  | { op: 'release'; agent: string; channelId: string; callId: string; talked: boolean }
  // What the verb does to the caller's channel (CallPort), logged here to keep one order.
  | { op: 'hold'; callId: string }
  | { op: 'unhold'; callId: string }
  | { op: 'bridge'; agent: string; callId: string };

/** A desk call, with when (fake ms since T0) and how many plays the caller had been given by then. */
type Logged = DeskOp & { t: number; plays: number };

class FakeDesk implements AgentDesk {
  readonly log: Logged[] = [];
  /** Answered legs by channel id: the agent hangs up through them. */
  private readonly legs = new Map<string, ReturnType<typeof fakeLeg>>();
  private bridged?: ReturnType<typeof fakeLeg>;

  constructor(
    private readonly call: FakeCall,
    private readonly found: Candidates,
    private readonly scripts: Record<string, Script>,
    private readonly lookupMs = 0,
  ) {}

  /** The names of the calls made, in order ("ring:1001"). */
  ops(): string[] {
    return this.log.map((e) => ('agent' in e ? `${e.op}:${e.agent}` : e.op));
  }

  of<K extends DeskOp['op']>(op: K): Array<Extract<Logged, { op: K }>> {
    return this.log.filter((e): e is Extract<Logged, { op: K }> => e.op === op);
  }

  /** The bridged conversation ends: who left first (the caller side also aborts the call's signal). */
  hangUp(by: 'caller' | 'agent'): void {
    if (!this.bridged) throw new Error('nobody is bridged');
    if (by === 'caller') this.call.callerHangsUp();
    else this.bridged.hangUp();
  }

  /** Logs what the verb does to the caller's channel into the same order as the desk's calls. */
  watchCall(): void {
    const { call } = this;
    const hold = call.hold.bind(call);
    const unhold = call.unhold.bind(call);
    const bridge = call.bridge.bind(call);
    call.hold = () => {
      this.note({ op: 'hold', callId: call.id });
      return hold();
    };
    call.unhold = () => {
      if (call.onHold) this.note({ op: 'unhold', callId: call.id });
      return unhold();
    };
    call.bridge = (leg, signal) => {
      const agent = leg.channelId.replace('leg-', '');
      this.bridged = this.legs.get(leg.channelId);
      this.note({ op: 'bridge', agent, callId: call.id });
      return bridge(leg, signal);
    };
  }

  candidates(group: string): Promise<Candidates> {
    this.note({ op: 'candidates', group });
    return new Promise((resolve) => this.timer(this.lookupMs, () => resolve(this.found)));
  }

  ring(agent: Agent, offer: CallOffer, timeoutMs: number, signal: AbortSignal): Promise<AgentLeg> {
    this.note({ op: 'ring', agent: agent.id, offer: structuredClone(offer), timeoutMs });
    const script = this.scripts[agent.id] ?? { outcome: 'no-answer' };
    const ringMs = script.ringMs ?? (script.outcome === 'no-answer' ? timeoutMs : 0);
    const leg = (outcome: LegOutcome, ms: number, cause?: number): AgentLeg => {
      const channelId = `leg-${agent.id}`;
      const live = fakeLeg(channelId);
      if (outcome === 'answered') this.legs.set(channelId, live);
      return { agent, outcome, ringMs: ms, cause, channelId, gone: live.gone };
    };
    // A dial that fails at once takes no time (a 0 ms timer would take 1 ms, as in Node).
    if (ringMs === 0) return Promise.resolve(leg(script.outcome, 0, script.cause));
    // As AriAgentDesk: the caller hanging up stops the ringing and the leg ends as 'failed'.
    return new Promise((resolve) => {
      const started = fakeClock.now();
      const onAbort = () => {
        timer.cancel();
        resolve(leg('failed', fakeClock.now() - started));
      };
      const timer = this.timer(ringMs, () => {
        signal.removeEventListener('abort', onAbort);
        resolve(leg(script.outcome, ringMs, script.cause));
        if (script.callerLeavesWith === 'answer') this.call.callerHangsUp();
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  whisper(leg: AgentLeg, prompts: string[], language: Language, signal: AbortSignal): Promise<boolean> {
    this.note({ op: 'whisper', agent: leg.agent.id, prompts: [...prompts], language });
    const heard = this.scripts[leg.agent.id]?.heard ?? true;
    return this.after(WHISPER_MS, heard, signal);
  }

  awaitAccept(leg: AgentLeg, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    this.note({ op: 'awaitAccept', agent: leg.agent.id, timeoutMs });
    const script = this.scripts[leg.agent.id];
    const accepted = this.after(ACCEPT_MS, script?.accept ?? true, signal);
    if (script?.callerLeavesWith === 'accept') void accepted.then(() => this.call.callerHangsUp());
    return accepted;
  }

  waiting(): number {
    return 0;
  }

  join(): QueueEntry {
    throw new Error('these flows have no hold queue');
  }

  connected(leg: AgentLeg, callId: string): void {
    this.note({ op: 'connected', agent: leg.agent.id, callId });
  }

  rejoin(): undefined {
    return undefined;
  }

  music(leg: AgentLeg, on: boolean): Promise<void> {
    this.note({ op: 'music', agent: leg.agent.id, on });
    return Promise.resolve();
  }

  isLive(leg: AgentLeg): boolean {
    const live = this.legs.get(leg.channelId);
    return live !== undefined && !live.isGone && !this.released.has(leg.channelId);
  }

  /** The reserved agent hangs up while the callee is greeted (before any bridge). */
  hangUpReserved(agentId: string): void {
    this.legs.get(`leg-${agentId}`)?.hangUp();
  }

  /** An answered leg of an agent reserved before the call (N8: a callback's agent, reached first). */
  reserved(agent: Agent): AgentLeg {
    const channelId = `leg-${agent.id}`;
    const live = fakeLeg(channelId);
    this.legs.set(channelId, live);
    return { agent, outcome: 'answered', ringMs: 1000, channelId, gone: live.gone };
  }

  private readonly released = new Set<string>();

  release(leg: AgentLeg, callId: string, talked: boolean): Promise<void> {
    if (this.released.has(leg.channelId)) return Promise.resolve(); // idempotent, as the real desk
    this.released.add(leg.channelId);
    this.note({ op: 'release', agent: leg.agent.id, channelId: leg.channelId, callId, talked });
    return Promise.resolve();
  }

  /** Resolves `value` after ms, or false at once when the caller hangs up (as the real desk). */
  private after(ms: number, value: boolean, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const onAbort = () => {
        timer.cancel();
        resolve(false);
      };
      const timer = this.timer(ms, () => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A plain timer on the test's clock, as setTimeout: only cancel() stops it. */
  private timer(ms: number, fn: () => void): TimerHandle {
    return fakeClock.timer(ms, new AbortController().signal, fn);
  }

  note(op: DeskOp): void {
    this.log.push({ ...op, t: fakeClock.now() - T0, plays: this.call.plays().length });
  }
}

// ---- running the verb ----

interface Setup {
  step?: string;
  caller?: string;
  /** Candidate agent ids, in strategy order. */
  agents?: string[];
  unreachable?: Candidates['unreachable'];
  scripts?: Record<string, Script>;
  lookupMs?: number;
  /** false: no desk wired at all. */
  desk?: boolean;
  trail?: string[];
  earlier?: EarlierCalls;
  ticket?: string;
  /** What tickets.openFor answers; absent: no ticket store wired. */
  openTicket?: TicketRow | null;
  /** N18: the call's language (default the flow's). */
  language?: 'zh-CN' | 'en';
  /** N8: the call is a callback whose agent (this id, of group `repair`) was reached first. */
  reserved?: string;
}

function start(setup: Setup = {}) {
  const stepId = setup.step ?? 'repair-desk';
  const call = new FakeCall({ answered: true, caller: setup.caller ?? CALLER });
  const found: Candidates = { agents: (setup.agents ?? []).map(agentOf), unreachable: setup.unreachable ?? [] };
  const desk = new FakeDesk(call, found, setup.scripts ?? {}, setup.lookupMs);
  desk.watchCall();
  const openForCalls: string[] = [];
  const tickets: Pick<TicketStore, 'openFor'> = {
    openFor(caller) {
      openForCalls.push(caller);
      return setup.openTicket ?? undefined;
    },
  };
  const { earlier, ticket } = setup;
  const callback = setup.reserved === undefined ? undefined : reservedCallback(desk, setup.reserved);
  const ctx = makeContext(FLOW, call, {
    ...(callback ? { callback, direction: 'outbound' as const } : {}),
    services: {
      ...(setup.desk === false ? {} : { agents: desk }),
      ...(setup.openTicket === undefined ? {} : { tickets: tickets as TicketStore }),
    },
    trail: setup.trail ?? [],
    ...(earlier ? { lookupEarlier: () => earlier } : {}),
    ...(ticket === undefined ? {} : { ticket }),
  });
  if (setup.language) ctx.facts.language = setup.language;
  const done = transfer.run(ctx, stepOf(FLOW, stepId, 'transfer'), stepId);
  // A rejection is asserted by the test that expects it; keep the others from going unhandled.
  done.catch(() => undefined);
  return { call, ctx, desk, done, box: track(done), openForCalls };
}

/** N8: a callback whose agent answered and heard the whisper before the callee was dialled. */
function reservedCallback(desk: FakeDesk, agentId: string): CallbackCall {
  const leg = desk.reserved(agentOf(agentId));
  let released = false;
  const claim: AgentClaim = {
    agentId,
    owner: 'callback-7',
    get released() {
      return released;
    },
    release: () => {
      released = true;
    },
  };
  return {
    id: 7, reason: 'dropped', group: 'repair', claim, leg, attempt: 1,
    releaseAgent: () => desk.release(leg, 'call-1', false),
  };
}

const ticketRow = (number: string): TicketRow => ({
  number, callId: 'call-0', caller: CALLER, group: 'repair', status: 'open', createdAt: T0 - 3_600_000,
});

beforeEach(() => {
  newTestClock(T0);
});

describe('transfer: the phrase and the lookup (N6)', () => {
  it('N6: 「您的电话需转接<target>,请您稍等」 plays while the candidates are looked up; transfer.started lists both kinds', async () => {
    // The lookup (Asterisk endpoint states) takes 4 s; the caller hears the phrase meanwhile, not silence.
    const { call, ctx, desk } = start({
      agents: ['1001', '1002'],
      unreachable: [{ agent: '1003', state: 'offline' }],
      scripts: { '1001': { outcome: 'answered', ringMs: 1000 } },
      lookupMs: 4000,
    });
    await advance(0);
    expect(desk.log[0]).toEqual({ op: 'candidates', group: 'repair', t: 0, plays: 0 });
    expect(call.plays()).toMatchObject([{ t: 0, prompts: ['transfer.intro', 'group.repair', 'transfer.wait'] }]);

    // The lookup is done at 4 s, but nothing rings before the phrase has been said in full.
    await advance(INTRO_MS - 1);
    expect(ctx.types()).toEqual([]);
    expect(desk.ops()).toEqual(['candidates']);
    await advance(1);
    expect(ctx.events[0]).toEqual({
      type: 'transfer.started',
      data: { step: 'repair-desk', group: 'repair', candidates: ['1001', '1002'], unreachable: [{ agent: '1003', state: 'offline' }] },
      ts: T0 + INTRO_MS,
    });
    expect(desk.of('ring').map((r) => [r.agent, r.t])).toEqual([['1001', INTRO_MS]]);
  });
});

describe('transfer: ringing and bridging (N1/N6)', () => {
  it('N1/N6: an agent who does not answer is passed over; the next one hears the whisper, the caller the work number', async () => {
    const { call, ctx, desk, box } = start({
      agents: ['1001', '1002', '1003'],
      trail: ['1', '2'],
      scripts: { '1001': { outcome: 'no-answer', cause: 19 }, '1002': { outcome: 'answered', ringMs: 3000 } },
    });
    const RING2 = INTRO_MS + LIMIT_MS; // 1001 rang its whole budget
    const ANSWERED = RING2 + 3000;
    const WORK_NUMBER = ANSWERED + WHISPER_MS;
    const BRIDGED = WORK_NUMBER + 5 * PROMPT_MS; // digit.2 digit.7 digit.1 digit.8 agent.serving

    await advance(INTRO_MS + 100);
    expect(call.state).toBe('transferring');
    await advance(BRIDGED - INTRO_MS); // 100 ms into the conversation
    expect(call.state).toBe('bridged');
    expect(box.settled).toBe(false); // the verb waits for the conversation to end
    desk.hangUp('agent');
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'after' });
    expect(call.state).toBe('in-flow');

    // Each agent for at most the N1 ring budget, in the desk's order; 1003 is never rung.
    const offer = { callId: 'call-1', caller: CALLER, group: 'repair', menuPath: ['1', '2'], calledEarlierToday: false };
    expect(desk.of('ring').map(({ agent, offer, timeoutMs, t }) => ({ agent, offer, timeoutMs, t }))).toEqual([
      { agent: '1001', offer, timeoutMs: LIMIT_MS, t: INTRO_MS },
      { agent: '1002', offer, timeoutMs: LIMIT_MS, t: RING2 },
    ]);
    expect(desk.of('ring')[0]?.offer).not.toHaveProperty('ticket');

    const whisper = ['whisper.caller', ...digitsOf(CALLER), 'whisper.path', 'digit.1', 'digit.2'];
    expect(desk.of('whisper')).toEqual([
      { op: 'whisper', agent: '1002', prompts: whisper, language: 'zh-CN', t: ANSWERED, plays: 1 },
    ]);
    expect(desk.of('awaitAccept')).toEqual([]); // confirm is off

    expect(call.plays().map((p) => [p.t, p.prompts])).toEqual([
      [0, ['transfer.intro', 'group.repair', 'transfer.wait']],
      [WORK_NUMBER, ['digit.2', 'digit.7', 'digit.1', 'digit.8', 'agent.serving']],
    ]);

    expect(ctx.events).toEqual([
      {
        type: 'transfer.started',
        data: { step: 'repair-desk', group: 'repair', candidates: ['1001', '1002', '1003'], unreachable: [] },
        ts: T0 + INTRO_MS,
      },
      {
        type: 'transfer.leg',
        data: { agent: '1001', workNumber: '1001', outcome: 'no-answer', ringMs: LIMIT_MS, limitMs: LIMIT_MS, cause: 19 },
        ts: T0 + RING2,
      },
      {
        type: 'transfer.leg',
        data: { agent: '1002', workNumber: '2718', outcome: 'answered', ringMs: 3000, limitMs: LIMIT_MS },
        ts: T0 + ANSWERED,
      },
      { type: 'transfer.whisper', data: { agent: '1002', prompts: whisper, accepted: true }, ts: T0 + WORK_NUMBER },
      // Bridged once the caller has heard who serves them, not before.
      { type: 'transfer.bridged', data: { group: 'repair', agent: '1002', workNumber: '2718' }, ts: T0 + BRIDGED },
      { type: 'transfer.ended', data: { agent: '1002', by: 'agent' }, ts: T0 + BRIDGED + 100 },
    ]);

    // Music from before the first ring until before the work number: never silence, never music
    // over the work number. The caller's channel is the call's: hold, unhold and bridge are
    // CallPort's, the desk only tells the agent's screen.
    const ops = desk.ops();
    expect(ops.slice(0, 8)).toEqual([
      'candidates', 'hold', 'ring:1001', 'ring:1002', 'whisper:1002', 'unhold', 'connected:1002', 'bridge:1002',
    ]);
    expect(desk.of('hold')).toEqual([{ op: 'hold', callId: 'call-1', t: INTRO_MS, plays: 1 }]);
    expect(desk.of('unhold')).toEqual([{ op: 'unhold', callId: 'call-1', t: WORK_NUMBER, plays: 1 }]);
    expect(desk.of('bridge')).toEqual([{ op: 'bridge', agent: '1002', callId: 'call-1', t: BRIDGED, plays: 2 }]);
    expect(desk.of('connected')).toEqual([{ op: 'connected', agent: '1002', callId: 'call-1', t: BRIDGED, plays: 2 }]);
    // Only the leg the verb took over is released, with wrap-up (talked) after the conversation.
    expect(desk.of('release')).toEqual([
      { op: 'release', agent: '1002', channelId: 'leg-1002', callId: 'call-1', talked: true, t: BRIDGED + 100, plays: 2 },
    ]);
    expect(ops.indexOf('release:1002')).toBeGreaterThan(ops.indexOf('bridge:1002'));
  });

  it('N6: the caller leaving the bridge first is recorded as by caller, the agent released with wrap-up, the call ends', async () => {
    const { ctx, desk, done } = start({ agents: ['1002'], scripts: { '1002': { outcome: 'answered', ringMs: 2000 } } });
    await advance(60_000);
    desk.hangUp('caller');
    await expect(done).rejects.toThrow('call ended');
    expect(ctx.dataOf('transfer.ended')).toEqual([{ agent: '1002', by: 'caller' }]);
    expect(desk.of('release').map((r) => [r.agent, r.talked])).toEqual([['1002', true]]);
  });
});

describe('transfer: the agent presses 1 (confirm, N6)', () => {
  it('N6: an agent who does not press 1 is released without wrap-up and the next agent is tried', async () => {
    const { ctx, desk, box } = start({
      step: 'repair-confirm',
      agents: ['1001', '1002'],
      trail: ['1', '3'],
      scripts: {
        '1001': { outcome: 'answered', ringMs: 2000, accept: false },
        '1002': { outcome: 'answered', ringMs: 2000, accept: true },
      },
    });
    await advance(60_000);
    desk.hangUp('agent');
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'after' });

    const whisper = ['whisper.caller', ...digitsOf(CALLER), 'whisper.path', 'digit.1', 'digit.3', 'whisper.accept'];
    expect(desk.of('whisper').map((w) => [w.agent, w.prompts])).toEqual([['1001', whisper], ['1002', whisper]]);
    // The question is asked only after the whisper, with the verb's 10 s answer window.
    expect(desk.of('awaitAccept').map((a) => [a.agent, a.timeoutMs])).toEqual([['1001', 10_000], ['1002', 10_000]]);
    // 1001 is freed (no wrap-up: it never talked) before 1002 is rung.
    expect(desk.ops().slice(0, 11)).toEqual([
      'candidates', 'hold',
      'ring:1001', 'whisper:1001', 'awaitAccept:1001', 'release:1001',
      'ring:1002', 'whisper:1002', 'awaitAccept:1002', 'unhold', 'connected:1002',
    ]);
    expect(desk.of('release').map((r) => [r.agent, r.talked])).toEqual([['1001', false], ['1002', true]]);
    expect(ctx.dataOf('transfer.whisper').map((w) => [w.agent, w.accepted])).toEqual([['1001', false], ['1002', true]]);
    expect(ctx.dataOf('transfer.bridged')).toEqual([{ group: 'repair', agent: '1002', workNumber: '2718' }]);
  });

  it('N6: an agent who hangs up during the whisper is not asked for 1, is released and passed over', async () => {
    const { ctx, desk, done } = start({
      step: 'repair-confirm',
      agents: ['1001'],
      scripts: { '1001': { outcome: 'answered', ringMs: 2000, heard: false } },
    });
    await advance(60_000);
    await expect(done).resolves.toBe('sorry');
    expect(desk.of('awaitAccept')).toEqual([]);
    expect(desk.of('release').map((r) => [r.agent, r.talked])).toEqual([['1001', false]]);
    expect(ctx.dataOf('transfer.whisper').map((w) => w.accepted)).toEqual([false]);
    expect(ctx.types()).not.toContain('transfer.bridged');
  });
});

describe('transfer: nobody takes the call (N6)', () => {
  it('N6: busy, no answer and unreachable: the fallback names the keys of the nested menu and goes to failed', async () => {
    const { call, ctx, desk, box } = start({
      agents: ['1001', '1002', '1003'],
      scripts: {
        '1001': { outcome: 'busy', ringMs: 500, cause: 17 },
        '1002': { outcome: 'no-answer', cause: 19 },
        '1003': { outcome: 'unreachable', ringMs: 0, cause: 20 },
      },
    });
    const FALLBACK = INTRO_MS + 500 + LIMIT_MS;
    const prompts = ['transfer.failed', 'transfer.keys-first', 'digit.1', 'transfer.keys-then', 'digit.2'];
    await advance(FALLBACK + prompts.length * PROMPT_MS - 1);
    expect(box.settled).toBe(false); // the caller hears the whole phrase before the flow moves on
    await advance(1);
    expect(box).toEqual({ settled: true, value: 'sorry' });

    expect(ctx.dataOf('transfer.leg').map((l) => [l.agent, l.outcome, l.cause])).toEqual([
      ['1001', 'busy', 17],
      ['1002', 'no-answer', 19],
      ['1003', 'unreachable', 20],
    ]);
    expect(call.plays().map((p) => [p.t, p.prompts])).toEqual([
      [0, ['transfer.intro', 'group.repair', 'transfer.wait']],
      [FALLBACK, prompts],
    ]);
    expect(ctx.events.at(-1)).toEqual({
      type: 'transfer.failed',
      data: { step: 'repair-desk', group: 'repair', keyPath: ['1', '2'], prompts },
      ts: T0 + FALLBACK,
    });
    // Music stops before the apology; no leg was answered, so none is whispered to or released here.
    expect(desk.of('unhold')[0]).toMatchObject({ t: FALLBACK, plays: 1 });
    expect(desk.ops()).toEqual(['candidates', 'hold', 'ring:1001', 'ring:1002', 'ring:1003', 'unhold']);
    expect(call.state).toBe('in-flow');
  });

  it('N6: a transfer step no key sequence reaches gets the bare apology and keyPath null', async () => {
    // hidden-desk is reached only by main's invalid fallback: "press X" cannot lead there.
    const { call, ctx, done } = start({ step: 'hidden-desk', agents: ['1001'], scripts: { '1001': { outcome: 'busy' } } });
    await advance(60_000);
    await expect(done).resolves.toBe('sorry');
    expect(ctx.dataOf('transfer.failed')).toEqual([
      { step: 'hidden-desk', group: 'business', keyPath: null, prompts: ['transfer.failed'] },
    ]);
    expect(call.plays().at(-1)?.prompts).toEqual(['transfer.failed']);
  });

  it('N6: a * in the key path is spoken as digit.star', async () => {
    const { call, ctx, done } = start({ step: 'complaint-desk', agents: ['1003'], scripts: { '1003': { outcome: 'no-answer' } } });
    await advance(60_000);
    await expect(done).resolves.toBe('sorry');
    const prompts = ['transfer.failed', 'transfer.keys-first', 'digit.star'];
    expect(ctx.dataOf('transfer.failed')).toEqual([{ step: 'complaint-desk', group: 'complaint', keyPath: ['*'], prompts }]);
    expect(call.plays().at(-1)?.prompts).toEqual(prompts);
  });

  it('N6: without an agent desk the caller hears the phrase, then the fallback at once', async () => {
    const { call, ctx, desk, done } = start({ desk: false, agents: ['1001'] });
    await advance(60_000);
    await expect(done).resolves.toBe('sorry');
    expect(desk.log).toEqual([]);
    expect(ctx.types()).toEqual(['transfer.started', 'transfer.failed']);
    expect(ctx.dataOf('transfer.started')).toEqual([
      { step: 'repair-desk', group: 'repair', candidates: [], unreachable: [] },
    ]);
    expect(call.plays().map((p) => [p.t, p.prompts[0]])).toEqual([[0, 'transfer.intro'], [INTRO_MS, 'transfer.failed']]);
  });

  it('N6: a group with no candidates rings nobody and plays no music: the fallback follows the phrase', async () => {
    const { call, ctx, desk, done } = start({ agents: [], unreachable: [{ agent: '1001', state: 'offline' }] });
    await advance(60_000);
    await expect(done).resolves.toBe('sorry');
    expect(desk.ops()).toEqual(['candidates']);
    expect(ctx.dataOf('transfer.started')[0]?.unreachable).toEqual([{ agent: '1001', state: 'offline' }]);
    expect(call.plays().map((p) => [p.t, p.prompts[0]])).toEqual([[0, 'transfer.intro'], [INTRO_MS, 'transfer.failed']]);
    expect(ctx.dataOf('transfer.failed')[0]?.keyPath).toEqual(['1', '2']);
  });
});

describe('transfer: what the whisper tells the agent (N6/N12/N13)', () => {
  /** Runs a transfer that 1001 answers and ends it; the whisper prompts and the offer it was rung with. */
  async function whisperFor(setup: Setup) {
    const run = start({ agents: ['1001'], scripts: { '1001': { outcome: 'answered', ringMs: 1000 } }, ...setup });
    await advance(60_000);
    run.desk.hangUp('agent');
    await expect(run.done).resolves.toBe('after');
    return { prompts: run.desk.of('whisper')[0]?.prompts, offer: run.desk.of('ring')[0]?.offer, openForCalls: run.openForCalls };
  }

  it('N12: a caller who called earlier today is announced with whisper.earlier; a first caller is not', async () => {
    const repeat = await whisperFor({ earlier: { calls: 2, lastGroup: 'repair' } });
    expect(repeat.prompts).toEqual(['whisper.caller', ...digitsOf(CALLER), 'whisper.earlier']);
    expect(repeat.offer?.calledEarlierToday).toBe(true);

    const first = await whisperFor({ earlier: { calls: 0, lastGroup: null } });
    expect(first.prompts).toEqual(['whisper.caller', ...digitsOf(CALLER)]);
    expect(first.offer?.calledEarlierToday).toBe(false);
  });

  it("N13: this call's ticket is whispered; the caller's older open ticket is not looked up then", async () => {
    const { prompts, offer, openForCalls } = await whisperFor({ ticket: '2603100007', openTicket: ticketRow('2603090001') });
    expect(prompts).toEqual(['whisper.caller', ...digitsOf(CALLER), 'whisper.ticket', ...digitsOf('2603100007')]);
    expect(offer?.ticket).toBe('2603100007');
    expect(openForCalls).toEqual([]);
  });

  it("N13: without a ticket of this call, the caller's open ticket from an earlier call is whispered", async () => {
    const { prompts, offer, openForCalls } = await whisperFor({ openTicket: ticketRow('2603090001') });
    expect(openForCalls).toEqual([CALLER]);
    expect(prompts).toEqual(['whisper.caller', ...digitsOf(CALLER), 'whisper.ticket', ...digitsOf('2603090001')]);
    expect(offer?.ticket).toBe('2603090001');
  });

  it('N13: no open ticket anywhere: no whisper.ticket', async () => {
    const { prompts, offer, openForCalls } = await whisperFor({ openTicket: null });
    expect(openForCalls).toEqual([CALLER]);
    expect(prompts).not.toContain('whisper.ticket');
    expect(offer).not.toHaveProperty('ticket');
  });

  it('N6/N13: a withheld caller gets no whisper.caller and no ticket lookup (anonymous is everybody)', async () => {
    const { prompts, openForCalls } = await whisperFor({ caller: 'anonymous', trail: ['1', '2'], openTicket: ticketRow('2603090001') });
    expect(prompts).toEqual(['whisper.path', 'digit.1', 'digit.2']);
    expect(openForCalls).toEqual([]);
  });
});

describe("transfer: the whisper's language (N18)", () => {
  it("N18: the agent hears the whisper in the agent's language; the caller hears the work number in the call's", async () => {
    const agentLanguage = async (agent: '1001' | '1003', callerLanguage: 'zh-CN' | 'en') => {
      const run = start({ agents: [agent], scripts: { [agent]: { outcome: 'answered', ringMs: 1000 } }, language: callerLanguage });
      await advance(60_000);
      run.desk.hangUp('agent');
      await expect(run.done).resolves.toBe('after');
      return {
        whisper: run.desk.of('whisper').map((w) => w.language),
        caller: [...new Set(run.call.plays().map((p) => run.call.langOf(p)))],
      };
    };
    // 1003 speaks English: an English whisper to a Mandarin caller's agent call.
    expect(await agentLanguage('1003', 'zh-CN')).toEqual({ whisper: ['en'], caller: ['zh-CN'] });
    // 1001 has no language of its own: the hotline's (zh-CN), whatever the caller chose.
    expect(await agentLanguage('1001', 'en')).toEqual({ whisper: ['zh-CN'], caller: ['en'] });
  });
});

describe('transfer: the caller hangs up (N6)', () => {
  it('N6: hanging up while an agent rings ends the verb at once; the ringing stops and the music is stopped', async () => {
    const { call, ctx, desk, box } = start({ agents: ['1001', '1002'], scripts: { '1001': { outcome: 'no-answer' } } });
    await advance(INTRO_MS + 3000);
    expect(desk.ops().at(-1)).toBe('ring:1001');
    call.callerHangsUp(); // 3 s into 1001's 8 s ring
    await advance(0);
    expect(box.settled).toBe(true);
    expect(box.error).toEqual(new Error('call ended'));
    // 1002 is not rung for a caller who is gone; nobody is whispered to or bridged. The leg's
    // end is logged (failed: the caller left 3 s into the ring).
    expect(desk.ops()).toEqual(['candidates', 'hold', 'ring:1001', 'unhold']);
    expect(ctx.types()).toEqual(['transfer.started', 'transfer.leg']);
    expect(ctx.dataOf('transfer.leg')).toEqual([
      { agent: '1001', workNumber: '1001', outcome: 'failed', ringMs: 3000, limitMs: LIMIT_MS, cause: undefined },
    ]);
    expect(ctx.types()).not.toContain('transfer.bridged');
  });

  it('N6: hanging up during the whisper frees the answered agent without wrap-up and bridges nobody', async () => {
    const { ctx, desk, call, done } = start({ agents: ['1001'], scripts: { '1001': { outcome: 'answered', ringMs: 1000 } } });
    await advance(INTRO_MS + 1000 + WHISPER_MS / 2);
    expect(desk.ops().at(-1)).toBe('whisper:1001');
    call.callerHangsUp();
    await expect(done).rejects.toThrow('call ended');
    expect(desk.of('release').map((r) => [r.agent, r.talked])).toEqual([['1001', false]]);
    expect(desk.ops()).not.toContain('bridge:1001');
    expect(desk.ops().at(-1)).toBe('unhold');
    expect(ctx.types()).not.toContain('transfer.bridged');
  });

  it('N6: hanging up while the work number plays still releases the agent (without wrap-up) and bridges nobody', async () => {
    const { ctx, desk, call, done } = start({ agents: ['1001'], scripts: { '1001': { outcome: 'answered', ringMs: 1000 } } });
    await advance(INTRO_MS + 1000 + WHISPER_MS + PROMPT_MS); // into the work number's digits
    expect(call.plays().at(-1)?.prompts).toEqual([...digitsOf('1001'), 'agent.serving']);
    call.callerHangsUp();
    await expect(done).rejects.toThrow('call ended');
    expect(desk.of('release').map((r) => [r.agent, r.talked])).toEqual([['1001', false]]);
    expect(desk.ops()).not.toContain('bridge:1001');
    expect(ctx.types()).not.toContain('transfer.bridged');
  });
});

describe('transfer: races between the caller and the agent (N6)', () => {
  it("race: the caller's StasisEnd in the same read as the agent's answer releases the agent", async () => {
    const { desk, done } = start({
      agents: ['1001', '1002'],
      scripts: { '1001': { outcome: 'answered', ringMs: 1000, callerLeavesWith: 'answer' } },
    });
    await advance(INTRO_MS + 1000);
    await expect(done).rejects.toThrow('call ended');
    // The agent's claim and leg are given back (no wrap-up: nobody talked); nobody else is rung.
    expect(desk.of('release').map((r) => [r.agent, r.talked])).toEqual([['1001', false]]);
    expect(desk.ops()).not.toContain('ring:1002');
    expect(desk.ops()).not.toContain('whisper:1001');
  });

  it("race: the caller's StasisEnd in the same read as the agent's accept key releases the agent", async () => {
    const { desk, done } = start({
      step: 'repair-confirm',
      agents: ['1001'],
      scripts: { '1001': { outcome: 'answered', ringMs: 1000, accept: true, callerLeavesWith: 'accept' } },
    });
    await advance(INTRO_MS + 1000 + WHISPER_MS + ACCEPT_MS);
    await expect(done).rejects.toThrow('call ended');
    expect(desk.of('release').map((r) => [r.agent, r.talked])).toEqual([['1001', false]]);
    expect(desk.ops()).not.toContain('bridge:1001');
  });
});

describe('transfer: the survey after the conversation (N16)', () => {
  it('N16: the agent hanging up first sends the caller to the survey step; the agent is noted for it', async () => {
    const { ctx, desk, box } = start({ step: 'repair-rated', agents: ['1002'], scripts: { '1002': { outcome: 'answered', ringMs: 1000 } } });
    await advance(60_000);
    desk.hangUp('agent');
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'rate' });
    expect(ctx.facts.agent).toBe('1002');
    expect(ctx.facts.agentLeftFirst).toBe(true);
  });

  it('N16: without a survey step the caller goes to next when the agent hangs up first', async () => {
    const { desk, box } = start({ agents: ['1002'], scripts: { '1002': { outcome: 'answered', ringMs: 1000 } } });
    await advance(60_000);
    desk.hangUp('agent');
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'after' });
  });
});


describe('transfer: a callback whose agent was reached first (N8)', () => {
  it('N8: the reserved agent, waiting on hold music, is connected without ringing anyone: off the music, the work number, the bridge', async () => {
    const { call, ctx, desk, box } = start({ reserved: '1002', agents: ['1001', '1002'] });
    await advance(INTRO_MS + 5 * PROMPT_MS + 100);
    expect(call.state).toBe('bridged');
    expect(desk.ops()).toEqual(['candidates', 'music:1002', 'connected:1002', 'bridge:1002']);
    expect(desk.of('music')).toMatchObject([{ on: false, t: INTRO_MS }]);
    expect(call.plays().map((p) => p.prompts)).toEqual([
      ['transfer.intro', 'group.repair', 'transfer.wait'],
      ['digit.2', 'digit.7', 'digit.1', 'digit.8', 'agent.serving'],
    ]);
    expect(ctx.types()).toEqual(['transfer.started', 'transfer.bridged']);
    desk.hangUp('agent');
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'after' });
    // Freed once, after talking (wrap-up follows); the call's own release later does nothing.
    expect(desk.of('release').map((r) => [r.agent, r.talked])).toEqual([['1002', true]]);
    await ctx.facts.callback!.releaseAgent();
    expect(desk.of('release')).toHaveLength(1);
  });

  it('N8: a reserved agent who hung up meanwhile is freed and the group is rung as for any caller', async () => {
    const { desk, box } = start({ reserved: '1002', agents: ['1001'], scripts: { '1001': { outcome: 'answered', ringMs: 1000 } } });
    desk.hangUpReserved('1002');
    await advance(INTRO_MS + 1000 + WHISPER_MS + 5 * PROMPT_MS + 100);
    expect(desk.ops().slice(0, 5)).toEqual(['candidates', 'release:1002', 'hold', 'ring:1001', 'whisper:1001']);
    expect(desk.of('release')[0]).toMatchObject({ agent: '1002', talked: false });
    desk.hangUp('agent');
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'after' });
  });

  it('N8: a callee who hangs up before the work number: the reserved agent is freed without wrap-up', async () => {
    const { call, desk, done } = start({ reserved: '1002' });
    await advance(INTRO_MS + PROMPT_MS);
    call.callerHangsUp();
    await expect(done).rejects.toThrow('call ended');
    expect(desk.of('release').map((r) => [r.agent, r.talked])).toEqual([['1002', false]]);
    expect(desk.ops()).not.toContain('bridge:1002');
  });
});
