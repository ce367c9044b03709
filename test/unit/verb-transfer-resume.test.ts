// A caller adopted after a controller restart in the middle of a conversation with an agent
// (N6, N14): the conversation goes on (the agent's leg is taken back, no group rings, nothing is
// replayed) and the flow goes on from its end as if nothing had happened: the survey when the
// agent hangs up first (N16), next when the caller does. A conversation that ended during the
// restart is over: the transfer step runs again. On the virtual clock with the real pool.
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { AgentsConfig } from '../../src/agents/agent-config.js';
import { AgentPool } from '../../src/agents/agent-pool.js';
import { createAgentStateStore } from '../../src/agents/agent-state-store.js';
import { Dispatcher } from '../../src/agents/dispatcher.js';
import { carryFacts } from '../../src/calls/resume.js';
import { transfer } from '../../src/flow/verbs/transfer.js';
import { openDatabase } from '../../src/store/database.js';
import { advance, FakeCall, flowFromYaml, makeContext, newTestClock, stepOf, track } from './support/fake-call.js';
import { ScriptedDesk } from './support/scripted-desk.js';

const T0 = new Date('2026-03-10T10:00:00+08:00').getTime();
const FLOW = flowFromYaml(`
hotline: { name: Test line, number: "100" }
agents:
  agents:
    s1: { endpoint: PJSIP/s1, workNumber: "1077", name: 一号 }
    s2: { endpoint: PJSIP/s2, workNumber: "1078", name: 二号 }
  groups:
    desk: { name: 服务台, strategy: ordered, members: [s1, s2] }
steps:
  to-desk: { verb: transfer, group: desk, target: group.business, next: bye, survey: rate, failed: bye }
  rate: { verb: survey, next: bye }
  bye: { verb: hangup }
`);
const STEP = stepOf(FLOW, 'to-desk', 'transfer');

let clock: ReturnType<typeof newTestClock>;
let pool: AgentPool;
let desk: ScriptedDesk;

beforeEach(() => {
  clock = newTestClock(T0);
  pool = new AgentPool(AgentsConfig.parse(FLOW.agents), createAgentStateStore(openDatabase(':memory:')), clock, new AbortController().signal);
  desk = new ScriptedDesk(pool, new Dispatcher(pool, pino({ level: 'silent' })), clock);
  pool.login('s1');
  pool.login('s2');
});

/** The adopted call, resumed at the transfer step with the facts its resume point carried. */
function resumeTalking(talking = { agent: 's1', leg: 'leg-old-1' }, bridgeKept = true) {
  const call = new FakeCall({ id: 'call-7', answered: true, caller: '13800138000' });
  call.bridgeKept = bridgeKept;
  const ctx = makeContext(FLOW, call, { services: { agents: desk }, trail: ['1'] });
  ctx.facts.group = 'desk';
  ctx.facts.talking = talking;
  const saved: Array<ReturnType<typeof carryFacts>> = [];
  ctx.saveResumePoint = () => saved.push(carryFacts(ctx.facts));
  const done = transfer.resume(ctx, STEP, 'to-desk');
  done.catch(() => undefined);
  return { call, ctx, saved, box: track(done) };
}

describe('transfer resumed after a controller restart (N6 N14)', () => {
  it('N14 N16: the conversation goes on with no ring and no prompt; the agent hangs up first and the caller goes to the survey', async () => {
    desk.leftTalking['leg-old-1'] = 's1';
    const { call, ctx, saved, box } = resumeTalking();
    await advance(30_000);
    expect(box.settled).toBe(false);
    // Said as the conversation goes on, not when it ends.
    expect(ctx.types()).toEqual(['transfer.resumed']);
    // The agent is busy with this caller: not a candidate for anyone else meanwhile.
    expect(pool.candidates('desk').map((a) => a.id)).toEqual(['s2']);
    desk.hangUp('s1');
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'rate' });
    expect(desk.rejoined).toEqual([{ agent: 's1', channelId: 'leg-old-1', callId: 'call-7', t: T0 }]);
    expect(desk.rung).toEqual([]);
    expect(call.plays()).toEqual([]);
    expect(call.actions.filter((a) => a.kind === 'bridge')).toMatchObject([{ channelId: 'leg-old-1', resumed: true, result: 'leg' }]);
    expect(ctx.types()).toEqual(['transfer.resumed', 'transfer.ended']);
    expect(ctx.dataOf('transfer.resumed')).toEqual([{ agent: 's1', step: 'to-desk', outcome: 'talking' }]);
    expect(ctx.dataOf('transfer.ended')).toEqual([{ agent: 's1', by: 'agent' }]);
    // N16: the survey rates this agent's conversation.
    expect(ctx.facts.agent).toBe('s1');
    // The agent is freed into wrap-up (talked), and the resume point no longer names the leg.
    expect(desk.released).toMatchObject([{ agent: 's1', callId: 'call-7', talked: true }]);
    expect(saved.at(-1)?.talking).toBeUndefined();
  });

  it('N6: the caller hangs up first: the leg is released and the flow goes to next', async () => {
    desk.leftTalking['leg-old-1'] = 's1';
    const { call, ctx, box } = resumeTalking();
    await advance(5000);
    call.callerHangsUp();
    await advance(0);
    expect(box.settled).toBe(true);
    expect(ctx.dataOf('transfer.ended')).toEqual([{ agent: 's1', by: 'caller' }]);
    expect(desk.liveAgents()).toEqual([]);
  });

  it('N6: a conversation that ended during the restart is over: the bridge is removed and the step runs again (where the call goes, the group rings)', async () => {
    // No leg to take back (the agent hung up meanwhile, or it was hung up as an orphan).
    const { call, ctx, box } = resumeTalking();
    await advance(0);
    expect(call.bridgesLeft).toBe(1);
    expect(ctx.dataOf('transfer.resumed')).toEqual([{ agent: 's1', step: 'to-desk', outcome: 'over' }]);
    await advance(20_000);
    expect(call.plays()[0]?.prompts).toEqual(['transfer.intro', 'group.business', 'transfer.wait']);
    expect(desk.rung.map((r) => r.agent)).toContain('s1');
    expect(box.settled).toBe(false);
  });

  it('N6: the leg taken back but no longer in the bridge with the caller: released (wrap-up) and the step runs again', async () => {
    desk.leftTalking['leg-old-1'] = 's1';
    const { ctx } = resumeTalking(undefined, false);
    await advance(0);
    expect(ctx.dataOf('transfer.resumed')).toEqual([{ agent: 's1', step: 'to-desk', outcome: 'over' }]);
    expect(desk.released).toMatchObject([{ agent: 's1', talked: true }]);
  });

  it('N6: a call resumed at the transfer step with no conversation runs it from its start', async () => {
    const call = new FakeCall({ id: 'call-8', answered: true, caller: '13800138000' });
    const ctx = makeContext(FLOW, call, { services: { agents: desk } });
    const box = track(transfer.resume(ctx, STEP, 'to-desk'));
    await advance(20_000);
    expect(call.plays()[0]?.prompts).toEqual(['transfer.intro', 'group.business', 'transfer.wait']);
    expect(ctx.types()).not.toContain('transfer.resumed');
    expect(box.settled).toBe(false);
  });

  it('N14: the resume point names the conversation while it lasts, and no longer once it has ended', async () => {
    const call = new FakeCall({ id: 'call-9', answered: true, caller: '13800138000' });
    const ctx = makeContext(FLOW, call, { services: { agents: desk } });
    const saved: Array<ReturnType<typeof carryFacts>> = [];
    ctx.saveResumePoint = () => saved.push(carryFacts(ctx.facts));
    const box = track(transfer.run(ctx, STEP, 'to-desk'));
    await advance(30_000);
    const during = saved.find((s) => s.talking);
    expect(during?.talking?.agent).toBe('s1');
    expect(during?.talking?.leg).toMatch(/^leg-s1-/);
    desk.hangUp('s1');
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'rate' });
    expect(saved.at(-1)?.talking).toBeUndefined();
  });
});
