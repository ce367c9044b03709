// Issue 9 on the virtual clock: the answering-machine policy of callbacks, explicit in the flow
// (callbacks.answeringMachine). A machine under `retry` is hung up at once with nothing played
// to it, the agent reserved for it hears what a no-answer makes it hear and is freed, and the
// callback is tried again exactly like a no-answer (attempt counted once, retryMs later, expired
// at the last attempt or the deadline), with its own outcome `machine`. `connected` runs the
// flow; NOTSURE is a person by default; a callee who hangs up during AMD did not answer.
import fc from 'fast-check';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { AgentsConfig } from '../../src/agents/agent-config.js';
import { AgentPool } from '../../src/agents/agent-pool.js';
import { createAgentStateStore } from '../../src/agents/agent-state-store.js';
import { Dispatcher } from '../../src/agents/dispatcher.js';
import { amdDecision, amdRequest } from '../../src/callbacks/answering-machine.js';
import { createCallbackStore, type CallbackStore } from '../../src/callbacks/callback-store.js';
import { CallbackScheduler } from '../../src/callbacks/scheduler.js';
import type { CallStart } from '../../src/calls/handle-call.js';
import type { AmdResult, AnsweredLeg, DialParams, DialResult, OutboundDialer } from '../../src/calls/outbound-leg.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { ANSWERING_MACHINE_DEFAULTS, type AnsweringMachine, type Flow } from '../../src/flow/schema.js';
import { openDatabase } from '../../src/store/database.js';
import type { EventData, EventType } from '../../src/store/events.js';
import { flowFromYaml } from './support/fake-call.js';
import { ScriptedDesk } from './support/scripted-desk.js';

const T0 = Date.UTC(2026, 2, 10, 2, 0, 0);
const MIN = 60_000;
const AGENT_RING_MS = 1000;
const WHISPER_MS = 2000;
const AGENT_FIRST_MS = AGENT_RING_MS + WHISPER_MS;
/** The callee answers this long after the dial, and AMD listens this long. */
const ANSWER_MS = 3000;
const ANALYSIS_MS = 1800;

function flowWith(answeringMachine = '') {
  return flowFromYaml(`
hotline: { name: Test line, number: "4008008000" }
agents:
  agents:
    a1: { endpoint: Local/a1@agents, workNumber: "27", name: One }
  groups:
    desk: { name: Desk, members: [a1] }
callbacks:
  dial: Local/{number}@callees
  group: desk
  entry: greet
  attempts: 3
  retryMs: 600000
  ringMs: 20000
${answeringMachine}
steps:
  start: { verb: hangup }
  greet: { verb: hangup }
`);
}

let clock: VirtualClock;
let store: CallbackStore;
let pool: AgentPool;
let desk: ScriptedDesk;
let dispatcher: Dispatcher;

beforeEach(fresh);

/** A fresh clock, store, pool (a1 logged in) and desk. */
function fresh(): void {
  clock = new VirtualClock(T0);
  const db = openDatabase(':memory:');
  store = createCallbackStore(db);
  const flow = flowWith();
  pool = new AgentPool(AgentsConfig.parse(flow.agents), createAgentStateStore(db), clock, new AbortController().signal);
  dispatcher = new Dispatcher(pool, pino({ level: 'silent' }));
  desk = new ScriptedDesk(pool, dispatcher, clock);
  desk.ringMs = AGENT_RING_MS;
  desk.whisperMs = WHISPER_MS;
  pool.login('a1');
}

/** What one dial gives: how the callee answered and, when it did, AMD's verdict. */
type Script = { outcome: DialResult['outcome']; amd?: Omit<AmdResult, 'analysisMs'> };

/** A dialer whose callees answer as scripted; answered legs record their hang-up. */
function scheduler(script: Script[], flow: Flow) {
  const dials: Array<DialParams & { t: number }> = [];
  const runs: CallStart[] = [];
  const hangups: Array<{ channelId: string; t: number }> = [];
  const events: Array<{ callId: string; type: EventType; data: unknown }> = [];
  const dialer = {
    dial: async (p: DialParams): Promise<DialResult> => {
      dials.push({ ...p, t: clock.now() - T0 });
      const next = script.shift() ?? { outcome: 'no-answer' };
      const channelId = `leg-${dials.length}`;
      if (next.outcome !== 'answered' && next.amd?.status !== 'HANGUP') {
        await clock.sleep(p.ringBudgetMs, p.signal);
        return { outcome: next.outcome, ringMs: p.ringBudgetMs, channelId };
      }
      await clock.sleep(ANSWER_MS + (next.amd ? ANALYSIS_MS : 0), p.signal);
      const amd = next.amd ? { ...next.amd, analysisMs: ANALYSIS_MS } : undefined;
      if (next.outcome !== 'answered') return { outcome: next.outcome, ringMs: ANSWER_MS, channelId, ...(amd ? { amd } : {}) };
      const leg = {
        channelId,
        hangup: () => {
          hangups.push({ channelId, t: clock.now() - T0 });
          return Promise.resolve();
        },
      } as unknown as AnsweredLeg;
      return { outcome: 'answered', ringMs: ANSWER_MS, channelId, leg, ...(amd ? { amd } : {}) };
    },
  } as unknown as OutboundDialer;
  const s = new CallbackScheduler({
    store,
    pool,
    dispatcher,
    agents: desk,
    dialer,
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
  const tickAndWork = async (ms = 25_000) => {
    s.tick();
    await clock.advance(ms);
    await s.idle();
  };
  const attempts = () => events.filter((e) => e.type === 'callback.attempt').map((e) => e.data as EventData['callback.attempt']);
  return { s, dials, runs, hangups, events, attempts, tickAndWork };
}

const MACHINE = { status: 'MACHINE', cause: 'LONGGREETING-1500-1500' } as const;
const NOTSURE = { status: 'NOTSURE', cause: 'TOOLONG-5000' } as const;
const HUMAN = { status: 'HUMAN', cause: 'HUMAN-800-800' } as const;

describe('issue 9: the dial asks for detection as the flow says', () => {
  it('by default (detect: amd): AMD()\'s arguments in its order, with Asterisk\'s defaults, and its total analysis time', async () => {
    store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: T0 });
    const { dials, tickAndWork } = scheduler([{ outcome: 'answered', amd: HUMAN }], flowWith());
    await tickAndWork();
    expect(dials[0]!.amd).toEqual({ args: '2500,1500,800,5000,100,50,2,256,5000', totalMs: 5000 });
  });

  it('the flow\'s own parameters, in AMD()\'s order', () => {
    const settings: AnsweringMachine = {
      ...ANSWERING_MACHINE_DEFAULTS, initialSilenceMs: 3000, greetingMs: 2000, afterGreetingSilenceMs: 1000, totalAnalysisMs: 4000,
      minWordMs: 120, betweenWordsSilenceMs: 60, maxWords: 4, silenceThreshold: 300, maxWordMs: 3500,
    };
    expect(amdRequest(settings)).toEqual({ args: '3000,2000,1000,4000,120,60,4,300,3500', totalMs: 4000 });
  });

  it('detect: off dials without detection (what answers is "connected", as before issue 9)', async () => {
    store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: T0 });
    const { dials, runs, tickAndWork } = scheduler([{ outcome: 'answered' }], flowWith('  answeringMachine: { detect: off }'));
    await tickAndWork();
    expect(dials[0]!.amd).toBeUndefined();
    expect(runs).toHaveLength(1);
    expect(store.get(1)).toMatchObject({ status: 'done', outcome: 'answered' });
  });

  it('the decision table: MACHINE and NOTSURE by policy, HUMAN, no detection and UNAVAILABLE always connected', () => {
    const d = ANSWERING_MACHINE_DEFAULTS;
    const at = (status: AmdResult['status']): AmdResult => ({ status, cause: '', analysisMs: 0 });
    expect(amdDecision(d, at('MACHINE'))).toEqual({ action: 'retry', outcome: 'machine' });
    expect(amdDecision({ ...d, onMachine: 'connected' }, at('MACHINE'))).toEqual({ action: 'connected' });
    expect(amdDecision(d, at('NOTSURE'))).toEqual({ action: 'connected' });
    expect(amdDecision({ ...d, onNotSure: 'retry' }, at('NOTSURE'))).toEqual({ action: 'retry', outcome: 'not-sure' });
    expect(amdDecision({ ...d, onMachine: 'retry', onNotSure: 'retry' }, at('HUMAN'))).toEqual({ action: 'connected' });
    expect(amdDecision({ ...d, onMachine: 'retry', onNotSure: 'retry' }, at('UNAVAILABLE'))).toEqual({ action: 'connected' });
    expect(amdDecision(d, undefined)).toEqual({ action: 'connected' });
  });
});

describe('issue 9: a machine under onMachine: retry', () => {
  it('hung up at once, no flow; the agent hears what a no-answer makes it hear and is freed; retried retryMs later with outcome `machine`, the attempt counted once', async () => {
    store.add({ callId: 'c1', number: '13800138000', reason: 'complaint', now: T0 }); // 24 h deadline
    const { dials, runs, hangups, attempts, tickAndWork } = scheduler([{ outcome: 'answered', amd: MACHINE }, { outcome: 'answered', amd: HUMAN }], flowWith());
    await tickAndWork(AGENT_FIRST_MS + ANSWER_MS + ANALYSIS_MS + 10_000);
    const verdictAt = AGENT_FIRST_MS + ANSWER_MS + ANALYSIS_MS;
    // Nothing of the flow: the voicemail is hung up the moment AMD says MACHINE.
    expect(runs).toEqual([]);
    expect(hangups).toEqual([{ channelId: 'leg-1', t: verdictAt }]);
    // The agent, rung first, is told as for a no-answer, then freed.
    expect(desk.whispers.map((w) => w.prompts)).toEqual([expect.arrayContaining(['whisper.callback']), ['callback.agent-unanswered']]);
    expect(desk.whispers[1]!.t).toBe(T0 + verdictAt);
    expect(desk.released).toMatchObject([{ agent: 'a1', talked: false }]);
    expect(pool.status('a1').state).toBe('available');
    // The attempt, logged with the verdict; the ring time is the callee's ring, not AMD's.
    expect(attempts()).toEqual([
      expect.objectContaining({
        attempt: 1, outcome: 'machine', ringMs: ANSWER_MS, amd: { status: 'MACHINE', cause: 'LONGGREETING-1500-1500', analysisMs: ANALYSIS_MS },
      }),
    ]);
    // Like a no-answer: pending, retryMs after the attempt ended (the agent told), counted once.
    const ended = T0 + verdictAt + WHISPER_MS;
    expect(store.get(1)).toMatchObject({ status: 'pending', attempts: 1, outcome: 'machine', nextAttemptAt: ended + 600_000 });

    // Not before its time; then the next attempt, a person this time: the flow runs.
    clock.setTime(ended + 600_000 - 1000);
    await tickAndWork(0);
    expect(dials).toHaveLength(1);
    clock.setTime(ended + 600_000);
    await tickAndWork(AGENT_FIRST_MS + ANSWER_MS + ANALYSIS_MS + 1000);
    expect(dials).toHaveLength(2);
    expect(dials[1]!.t).toBe(600_000 + verdictAt + WHISPER_MS + AGENT_FIRST_MS);
    expect(attempts()[1]).toMatchObject({ attempt: 2, outcome: 'answered', amd: { status: 'HUMAN' } });
    expect(runs).toHaveLength(1);
    expect(runs[0]!.callback).toMatchObject({ attempt: 2 });
    expect(store.get(1)).toMatchObject({ status: 'done', attempts: 2, outcome: 'answered' });
  });

  it('a machine on the last attempt expires the callback, with outcome `machine`', async () => {
    store.add({ callId: 'c1', number: '13800138000', reason: 'complaint', now: T0 });
    const { events, s, hangups } = scheduler(
      [{ outcome: 'answered', amd: MACHINE }, { outcome: 'no-answer' }, { outcome: 'answered', amd: MACHINE }],
      flowWith(),
    );
    for (let t = 0; t < 40 * MIN; t += 5000) {
      s.tick();
      await clock.advance(5000);
    }
    await s.idle();
    expect(hangups).toHaveLength(2);
    expect(store.get(1)).toMatchObject({ status: 'expired', attempts: 3, outcome: 'machine' });
    const types = events.map((e) => e.type).filter((t) => t === 'callback.attempt' || t === 'callback.expired');
    expect(types).toEqual(['callback.attempt', 'callback.attempt', 'callback.attempt', 'callback.expired']);
    expect(events.find((e) => e.type === 'callback.expired')!.data).toMatchObject({ attempts: 3, outcome: 'machine' });
    expect(pool.status('a1').state).toBe('available');
  });

  it('the deadline is unchanged: a machine whose retry would fall past the promise expires at once', async () => {
    // Line trouble is promised within 3 min; retryMs is 10 min.
    store.add({ callId: 'c1', number: '13800138000', reason: 'line-trouble', now: T0 });
    const { tickAndWork, events } = scheduler([{ outcome: 'answered', amd: MACHINE }], flowWith());
    await tickAndWork(AGENT_FIRST_MS + ANSWER_MS + ANALYSIS_MS + 10_000);
    const row = store.get(1)!;
    expect(row).toMatchObject({ status: 'expired', attempts: 1, outcome: 'machine', promisedBy: T0 + 3 * MIN });
    expect(events.find((e) => e.type === 'callback.expired')!.data).toMatchObject({ outcome: 'machine', promisedBy: T0 + 3 * MIN });
  });
});

describe('issue 9: the flow runs for a machine under connected, a person, and NOTSURE by default', () => {
  it('onMachine: connected: the machine gets the flow, the verdict still logged', async () => {
    store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: T0 });
    const { runs, hangups, attempts, tickAndWork } = scheduler([{ outcome: 'answered', amd: MACHINE }], flowWith('  answeringMachine: { onMachine: connected }'));
    await tickAndWork();
    expect(runs).toHaveLength(1);
    expect(hangups).toEqual([]);
    expect(attempts()[0]).toMatchObject({ outcome: 'answered', amd: { status: 'MACHINE' } });
    expect(store.get(1)).toMatchObject({ status: 'done', outcome: 'answered' });
  });

  it('NOTSURE, by default (onNotSure: connected): the flow runs', async () => {
    store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: T0 });
    const { runs, hangups, attempts, tickAndWork } = scheduler([{ outcome: 'answered', amd: NOTSURE }], flowWith());
    await tickAndWork();
    expect(runs).toHaveLength(1);
    expect(hangups).toEqual([]);
    expect(attempts()[0]).toMatchObject({ outcome: 'answered', amd: { status: 'NOTSURE', cause: 'TOOLONG-5000' } });
  });

  it('NOTSURE with onNotSure: retry: hung up and retried like a machine, outcome `not-sure`', async () => {
    store.add({ callId: 'c1', number: '13800138000', reason: 'complaint', now: T0 });
    const { runs, hangups, attempts, tickAndWork } = scheduler([{ outcome: 'answered', amd: NOTSURE }], flowWith('  answeringMachine: { onNotSure: retry }'));
    await tickAndWork();
    expect(runs).toEqual([]);
    expect(hangups).toHaveLength(1);
    expect(attempts()[0]).toMatchObject({ outcome: 'not-sure', amd: { status: 'NOTSURE' } });
    expect(store.get(1)).toMatchObject({ status: 'pending', attempts: 1, outcome: 'not-sure' });
    expect(desk.whispers.at(-1)!.prompts).toEqual(['callback.agent-unanswered']);
  });

  it('HUMAN: the flow runs from callbacks.entry, holding the agent', async () => {
    store.add({ callId: 'c1', number: '13800138000', reason: 'unanswered-query', now: T0 });
    const { runs, attempts, tickAndWork } = scheduler([{ outcome: 'answered', amd: HUMAN }], flowWith());
    await tickAndWork();
    expect(runs).toMatchObject([{ direction: 'outbound', startAt: 'greet', callback: { attempt: 1 } }]);
    expect(attempts()[0]).toMatchObject({ outcome: 'answered', amd: { status: 'HUMAN', analysisMs: ANALYSIS_MS } });
  });
});

describe('issue 9: a callee who hangs up while AMD listens', () => {
  it('did not answer: retried as a no-answer, the HANGUP verdict on the attempt', async () => {
    store.add({ callId: 'c1', number: '13800138000', reason: 'complaint', now: T0 });
    const { runs, attempts, tickAndWork } = scheduler([{ outcome: 'no-answer', amd: { status: 'HANGUP', cause: '' } }], flowWith());
    await tickAndWork();
    expect(runs).toEqual([]);
    expect(attempts()[0]).toMatchObject({ outcome: 'no-answer', amd: { status: 'HANGUP', analysisMs: ANALYSIS_MS } });
    expect(store.get(1)).toMatchObject({ status: 'pending', attempts: 1, outcome: 'no-answer' });
    expect(desk.whispers.at(-1)!.prompts).toEqual(['callback.agent-unanswered']);
    expect(pool.status('a1').state).toBe('available');
  });
});

describe('issue 9: the ladder, whatever answers (property, on the virtual clock)', () => {
  it('each dial counts one attempt; the first callee the policy connects ends it (done, flow run once); otherwise it expires after `attempts`; a retried answer is always hung up and never gets the flow', async () => {
    const answer = fc.constantFrom<Script>(
      { outcome: 'no-answer' },
      { outcome: 'busy' },
      { outcome: 'answered', amd: MACHINE },
      { outcome: 'answered', amd: NOTSURE },
      { outcome: 'answered', amd: HUMAN },
      { outcome: 'no-answer', amd: { status: 'HANGUP', cause: '' } },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('retry', 'connected'),
        fc.constantFrom('retry', 'connected'),
        fc.array(answer, { minLength: 3, maxLength: 3 }),
        async (onMachine, onNotSure, answers) => {
          fresh();
          const flow = flowWith(`  answeringMachine: { onMachine: ${onMachine}, onNotSure: ${onNotSure} }`);
          const { dials, runs, hangups, attempts, tickAndWork } = scheduler([...answers], flow);
          // The model: the first answer the policy connects, if any.
          const connects = (a: Script) =>
            a.outcome === 'answered' && amdDecision(flow.callbacks.answeringMachine, { ...a.amd!, analysisMs: 0 }).action === 'connected';
          const firstConnected = answers.findIndex(connects);
          const expectedDials = firstConnected < 0 ? 3 : firstConnected + 1;
          const retriedAnswers = answers.slice(0, expectedDials).filter((a) => a.outcome === 'answered' && !connects(a)).length;
          store.add({ callId: 'c1', number: '13800138000', reason: 'complaint', now: T0 }); // 24 h: the deadline never cuts it
          for (let i = 0; i < 3; i++) {
            await tickAndWork(AGENT_FIRST_MS + 20_000 + ANALYSIS_MS + WHISPER_MS + 1000);
            const row = store.get(1)!;
            if (row.status !== 'pending') break;
            clock.setTime(row.nextAttemptAt!);
          }
          const row = store.get(1)!;
          expect(dials).toHaveLength(expectedDials);
          expect(row.attempts).toBe(expectedDials);
          expect(attempts().map((a) => a.attempt)).toEqual(Array.from({ length: expectedDials }, (_, i) => i + 1));
          expect(row.status).toBe(firstConnected < 0 ? 'expired' : 'done');
          expect(runs).toHaveLength(firstConnected < 0 ? 0 : 1);
          expect(hangups).toHaveLength(retriedAnswers);
          // Every retried answer was logged as machine or not-sure, with its verdict.
          for (const a of attempts()) {
            if (a.outcome === 'machine') expect(a.amd?.status).toBe('MACHINE');
            if (a.outcome === 'not-sure') expect(a.amd?.status).toBe('NOTSURE');
          }
          // Expired: the agent was freed after the last attempt; done: the call holds it.
          expect(pool.status('a1').state).toBe(firstConnected < 0 ? 'available' : 'busy');
        },
      ),
      { numRuns: 60 },
    );
  });
});
