// Issue 12 through the call handler, on the virtual clock with a scripted ARI: past the capacity
// (or with the event loop or ARI late) a new caller is shed before its flow and logged as call.shed;
// the calls in progress keep their service. The shed caller goes back to the entry dialplan's
// apology (one request), or, for capacity with a callback offer in the flow and a slot free, is
// answered on time by the controller and leaves a callback number (N7).
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AriAdapter, ChannelEvents } from '../../src/ari/ari-adapter.js';
import type { ChannelInfo } from '../../src/ari/types.js';
import { createCallbackStore, type CallbackStore } from '../../src/callbacks/callback-store.js';
import { CallRegistry } from '../../src/calls/call-registry.js';
import { createCallHandler, type CallStart } from '../../src/calls/handle-call.js';
import type { VirtualClock } from '../../src/clock/virtual-clock.js';
import type { Flow } from '../../src/flow/schema.js';
import { RequestLatency } from '../../src/ari/request-latency.js';
import { Admission } from '../../src/overload/admission.js';
import type { LoopDelay } from '../../src/overload/loop-delay.js';
import { openDatabase } from '../../src/store/database.js';
import type { CallEnd, EventData, EventType, Recorder } from '../../src/store/events.js';
import { flowFromYaml, newTestClock } from './support/fake-call.js';

const T0 = new Date('2026-03-10T10:00:00+08:00').getTime();
const PROMPT_MS = 2000;

// Answer target: 1 ring of 300 + 200 ms = 500 ms after the channel was created.
const flowText = (overload = '') => `
hotline: { name: Test line, number: "4008008000" }
ring: { cadence: { onMs: 300, offMs: 200 }, answerAfterRings: 1 }
${overload}
steps:
  answer: { verb: answer, next: welcome }
  welcome: { verb: greet, next: bye }
  bye: { verb: hangup }
`;
const PLAIN = flowFromYaml(flowText());
const OFFERING = flowFromYaml(flowText('overload: { callback: { tries: 1, timeoutMs: 3000 } }'));

let clock: VirtualClock;
let ari: ReturnType<typeof scriptedAri>;
let rec: ReturnType<typeof memoryRecorder>;
let callbacks: CallbackStore;
let admission: Admission;
let loop: LoopDelay;
let ariLatency: RequestLatency;
let flow: Flow;
let handle: (channel: ChannelInfo, start: CallStart) => Promise<void>;

/** ARI as the session uses it: prompts play for PROMPT_MS; a hang-up or a continue ends the channel's time in the app. */
function scriptedAri(clock: VirtualClock) {
  const channels = new Map<string, ChannelEvents>();
  const log: string[] = [];
  const forever = new AbortController().signal;
  let continueFails = false;
  const end = (id: string, cause?: number) => {
    const events = channels.get(id);
    channels.delete(id);
    events?.emit('end', cause, undefined);
  };
  const known = {
    events: (id: string) => channels.get(id),
    ring: (id: string) => (log.push(`${id} ring @${clock.now() - T0}`), Promise.resolve()),
    answer: (id: string) => (log.push(`${id} answer @${clock.now() - T0}`), Promise.resolve()),
    hangup: (id: string) => {
      log.push(`${id} hangup`);
      end(id, 16);
      return Promise.resolve();
    },
    play: (id: string, media: string[]) => {
      log.push(`${id} play ${media.map((m) => m.replace('sound:hotline/zh-CN/', '')).join(' ')}`);
      return Promise.resolve({ finished: new Promise((resolve) => clock.timer(PROMPT_MS, forever, () => resolve('done'))) });
    },
    stopPlayback: () => Promise.resolve(),
    continueAt: (id: string, target: { context: string; extension: string; label: string }) => {
      if (continueFails) return Promise.reject(new Error('Internal Server Error'));
      log.push(`${id} continue ${target.context},${target.extension},${target.label}`);
      // StasisEnd: the channel leaves the app and goes on in the dialplan.
      queueMicrotask(() => end(id));
      return Promise.resolve();
    },
  };
  // Whatever else the session asks (talk detection) succeeds and does nothing.
  const adapter = new Proxy(known, {
    get: (target, name: string) => (name in target ? target[name as keyof typeof known] : () => Promise.resolve()),
  }) as unknown as AriAdapter;
  return {
    adapter,
    log,
    failContinue: () => (continueFails = true),
    /** A caller enters the app from the generated entry (its Stasis argument), or from another extension. */
    arrive(id: string, number: string, fromEntry = true): ChannelInfo {
      channels.set(id, new EventEmitter());
      return {
        id,
        name: `PJSIP/trunk-${id}`,
        state: 'Ring',
        caller: { number, name: '' },
        dialplan: {
          context: 'hotline-inbound',
          exten: '4008008000',
          priority: 4,
          app_name: 'Stasis',
          app_data: fromEntry ? 'hotline,talk-detect' : 'hotline',
        },
        creationtime: new Date(clock.now()).toISOString(),
      };
    },
    press: (id: string, digit: string) => channels.get(id)?.emit('dtmf', digit),
    callerHangsUp: (id: string) => end(id, 16),
  };
}

function memoryRecorder() {
  const events: Array<{ callId: string; type: EventType; data: unknown; ts: number }> = [];
  const ended = new Map<string, CallEnd>();
  const recorder: Recorder = {
    callStarted: () => undefined,
    callAnswered: () => undefined,
    callStep: () => undefined,
    callEnded: (id, end) => void ended.set(id, end),
    event: (callId, type, data, ts) => void events.push({ callId, type, data, ts: ts ?? 0 }),
    flush: () => undefined,
    close: () => undefined,
  };
  return {
    recorder,
    ended,
    typesOf: (id: string) => events.filter((e) => e.callId === id).map((e) => e.type),
    dataOf: <T extends EventType>(id: string, type: T) => events.filter((e) => e.callId === id && e.type === type).map((e) => e.data as EventData[T]),
  };
}

function setUp(maxCalls: number, withFlow: Flow): void {
  flow = withFlow;
  const db = openDatabase(':memory:');
  callbacks = createCallbackStore(db);
  const life = new AbortController();
  admission = new Admission({
    maxCalls,
    maxLoopDelayMs: 200,
    loopDelay: { read: () => loop, close: () => undefined },
    maxAriLatencyMs: 500,
    ariLatency,
    clock,
    signal: life.signal,
  });
  admission.start();
  handle = createCallHandler({
    ari: ari.adapter,
    recorder: rec.recorder,
    registry: new CallRegistry(),
    currentFlow: () => flow,
    clock,
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    callbacks,
    admission,
  });
}

beforeEach(() => {
  clock = newTestClock(T0);
  ari = scriptedAri(clock);
  rec = memoryRecorder();
  loop = { p99Ms: 0, maxMs: 0 };
  ariLatency = new RequestLatency(clock);
});

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('shedding through the call handler (issue 12)', () => {
  it('past the capacity: the new caller goes back to the entry’s apology in one request, logged call.shed; the call in progress keeps its service', async () => {
    setUp(1, PLAIN);
    const first = handle(ari.arrive('ch-1', '13900139001'), { adopted: false });
    await clock.advance(100);
    const second = handle(ari.arrive('ch-2', '13900139002'), { adopted: false });
    await flush();
    await second;
    expect(ari.log.filter((l) => l.startsWith('ch-2'))).toEqual(['ch-2 continue hotline-inbound,4008008000,shed']);
    expect(rec.typesOf('ch-2')).toEqual(['call.shed']);
    expect(rec.dataOf('ch-2', 'call.shed')).toEqual([
      { reason: 'capacity', liveCalls: 1, maxCalls: 1, loopDelayMs: 0, maxLoopDelayMs: 200, ariLatencyMs: 0, maxAriLatencyMs: 500, route: 'dialplan' },
    ]);
    // Its record ends when it leaves the controller; the rest (answer, apology, end) is Asterisk's.
    expect(rec.ended.get('ch-2')).toEqual({
      endedAt: T0 + 100, hangupBy: 'unknown', hangupCause: null, outcome: 'shed', maxGapMs: null, maxDeadAirMs: null,
    });

    await clock.advance(30_000);
    await first;
    // The first call was not touched: answered on time, greeted, ended by its flow.
    expect(ari.log.filter((l) => l.startsWith('ch-1'))[1]).toBe('ch-1 answer @500');
    expect(rec.typesOf('ch-1')).toEqual(['call.ringing', 'call.answered', 'greeting.played', 'call.hangup', 'call.silence']);
    expect(rec.ended.get('ch-1')?.outcome).toBe('completed');
    // Below the capacity again: the next caller is taken.
    const third = handle(ari.arrive('ch-3', '13900139003'), { adopted: false });
    await clock.advance(30_000);
    await third;
    expect(rec.typesOf('ch-3')).toContain('greeting.played');
    expect(admission.status()).toMatchObject({ liveCalls: 0, shed: { capacity: 1, 'event-loop': 0, 'ari-latency': 0 } });
  });

  it('N7: with a callback offer in the flow, a caller shed for capacity is answered on time, apologised to, and leaves a callback number', async () => {
    setUp(1, OFFERING);
    const first = handle(ari.arrive('ch-1', '13900139001'), { adopted: false });
    const second = handle(ari.arrive('ch-2', '13800138000'), { adopted: false });
    await clock.advance(500);
    expect(ari.log.filter((l) => l.startsWith('ch-2'))).toEqual(['ch-2 ring @0', 'ch-2 answer @500', 'ch-2 play busy.callback']);
    expect(admission.status().shedCallbacks).toBe(1);
    // The apology, then 您方便留一下联系电话吗?, then the caller ID read back: 1 confirms.
    await clock.advance(2 * PROMPT_MS);
    expect(ari.log.at(-1)).toMatch(/^ch-2 play number.readback .*number.confirm$/);
    ari.press('ch-2', '1');
    await clock.advance(3 * PROMPT_MS);
    await second;
    expect(ari.log.filter((l) => l.startsWith('ch-2')).slice(-3)).toEqual(['ch-2 play callback.scheduled', 'ch-2 play closing.thanks', 'ch-2 hangup']);
    expect(rec.typesOf('ch-2')).toEqual([
      'call.shed', 'call.ringing', 'call.answered', 'callback.readback', 'callback.requested', 'call.hangup', 'call.silence',
    ]);
    expect(rec.dataOf('ch-2', 'call.shed')[0]).toMatchObject({ reason: 'capacity', route: 'callback' });
    expect(rec.dataOf('ch-2', 'call.answered')).toEqual([{ delayMs: 500, targetMs: 500, rings: 2, withinBudget: true }]);
    expect(callbacks.list()).toEqual([expect.objectContaining({ number: '13800138000', reason: 'unanswered-query', callId: 'ch-2' })]);
    expect(rec.ended.get('ch-2')).toMatchObject({ outcome: 'shed', hangupBy: 'system' });
    expect(admission.status().shedCallbacks).toBe(0);
    await clock.advance(30_000);
    await first;
  });

  it('the callback slots are bounded: past them a shed caller goes back to the dialplan', async () => {
    setUp(1, OFFERING); // one slot (a tenth of 1, at least 1)
    void handle(ari.arrive('ch-1', '13900139001'), { adopted: false });
    void handle(ari.arrive('ch-2', '13800138002'), { adopted: false });
    await flush();
    const third = handle(ari.arrive('ch-3', '13800138003'), { adopted: false });
    await flush();
    await third;
    expect(rec.dataOf('ch-2', 'call.shed')[0]?.route).toBe('callback');
    expect(rec.dataOf('ch-3', 'call.shed')[0]?.route).toBe('dialplan');
    await clock.advance(60_000);
  });

  it('shed for the event loop’s delay: to the dialplan even with a callback offer (the controller takes on nothing it can give away)', async () => {
    setUp(10, OFFERING);
    loop = { p99Ms: 350, maxMs: 600 };
    await clock.advance(1000);
    const call = handle(ari.arrive('ch-1', '13800138000'), { adopted: false });
    await flush();
    await call;
    expect(rec.dataOf('ch-1', 'call.shed')).toEqual([
      { reason: 'event-loop', liveCalls: 0, maxCalls: 10, loopDelayMs: 350, maxLoopDelayMs: 200, ariLatencyMs: 0, maxAriLatencyMs: 500, route: 'dialplan' },
    ]);
    // Recovery: the next window is fine, the next caller is taken.
    loop = { p99Ms: 5, maxMs: 9 };
    await clock.advance(1000);
    const next = handle(ari.arrive('ch-2', '13800138001'), { adopted: false });
    await clock.advance(30_000);
    await next;
    expect(rec.typesOf('ch-2')).toContain('greeting.played');
  });

  it('shed for ARI latency: to the dialplan even with a callback offer and a slot free (a late Asterisk takes on no capture), the call in progress keeps its service', async () => {
    setUp(10, OFFERING);
    const first = handle(ari.arrive('ch-1', '13900139001'), { adopted: false });
    await flush();
    // A request Asterisk has not answered for 700 ms (the scripted ARI itself answers at once).
    const stuck = ariLatency.sent();
    await clock.advance(700);
    const shed = handle(ari.arrive('ch-2', '13800138000'), { adopted: false });
    await flush();
    await shed;
    expect(ari.log.filter((l) => l.startsWith('ch-2'))).toEqual(['ch-2 continue hotline-inbound,4008008000,shed']);
    expect(rec.dataOf('ch-2', 'call.shed')).toEqual([
      { reason: 'ari-latency', liveCalls: 1, maxCalls: 10, loopDelayMs: 0, maxLoopDelayMs: 200, ariLatencyMs: 700, maxAriLatencyMs: 500, route: 'dialplan' },
    ]);
    expect(admission.status()).toMatchObject({ shedCallbacks: 0, shed: { capacity: 0, 'event-loop': 0, 'ari-latency': 1 } });
    // Answered at last: the next caller is taken, and the first call ran its flow throughout.
    stuck.end(false);
    const next = handle(ari.arrive('ch-3', '13800138001'), { adopted: false });
    await clock.advance(30_000);
    await Promise.all([first, next]);
    expect(rec.typesOf('ch-1')).toEqual(['call.ringing', 'call.answered', 'greeting.played', 'call.hangup', 'call.silence']);
    expect(rec.typesOf('ch-3')).toContain('greeting.played');
  });

  it('an adopted call is not shed for ARI latency', async () => {
    setUp(10, PLAIN);
    ariLatency.sent();
    await clock.advance(5000);
    const adopted = handle(ari.arrive('ch-1', '13900139001'), { adopted: true });
    await clock.advance(30_000);
    await adopted;
    expect(rec.typesOf('ch-1')).not.toContain('call.shed');
    expect(rec.typesOf('ch-1')).toContain('greeting.played');
  });

  it('a caller from another extension (no shed label) is answered on time and apologised to by the controller', async () => {
    setUp(1, PLAIN);
    void handle(ari.arrive('ch-1', '13900139001'), { adopted: false });
    const shed = handle(ari.arrive('ch-2', '13900139002', false), { adopted: false });
    await clock.advance(30_000);
    await shed;
    expect(ari.log.filter((l) => l.startsWith('ch-2'))).toEqual(['ch-2 ring @0', 'ch-2 answer @500', 'ch-2 play busy', 'ch-2 hangup']);
    expect(rec.dataOf('ch-2', 'call.shed')[0]?.route).toBe('controller');
    expect(rec.ended.get('ch-2')).toMatchObject({ outcome: 'shed', hangupBy: 'system', hangupCause: 16 });
  });

  it('a hand-back Asterisk refuses while the caller is still there: the controller apologises itself', async () => {
    setUp(1, PLAIN);
    ari.failContinue();
    void handle(ari.arrive('ch-1', '13900139001'), { adopted: false });
    const shed = handle(ari.arrive('ch-2', '13900139002'), { adopted: false });
    await clock.advance(30_000);
    await shed;
    expect(ari.log.filter((l) => l.startsWith('ch-2'))).toEqual(['ch-2 ring @0', 'ch-2 answer @500', 'ch-2 play busy', 'ch-2 hangup']);
    expect(rec.typesOf('ch-2')[0]).toBe('call.shed');
    expect(rec.dataOf('ch-2', 'call.shed')[0]?.route).toBe('controller');
  });

  it('calls in progress are never shed: a call adopted after a restart runs its flow at full capacity', async () => {
    setUp(1, PLAIN);
    void handle(ari.arrive('ch-1', '13900139001'), { adopted: false });
    const adopted = handle(ari.arrive('ch-2', '13900139002'), { adopted: true });
    await clock.advance(30_000);
    await adopted;
    expect(rec.typesOf('ch-2')).not.toContain('call.shed');
    expect(rec.typesOf('ch-2')).toContain('greeting.played');
    expect(admission.status().shed.capacity).toBe(0);
  });

  it('a shed caller who hangs up before the answer: outcome still shed, by the caller', async () => {
    setUp(1, OFFERING);
    void handle(ari.arrive('ch-1', '13900139001'), { adopted: false });
    const shed = handle(ari.arrive('ch-2', '13800138000'), { adopted: false });
    await clock.advance(200);
    ari.callerHangsUp('ch-2');
    await clock.advance(1000);
    await shed;
    expect(rec.ended.get('ch-2')).toMatchObject({ outcome: 'shed', hangupBy: 'caller' });
    expect(rec.typesOf('ch-2')).toEqual(['call.shed', 'call.ringing', 'call.hangup']);
    expect(admission.status().shedCallbacks).toBe(0);
  });
});
