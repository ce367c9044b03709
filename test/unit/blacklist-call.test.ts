// N11 through the call handler, on the virtual clock with a scripted ARI: a listed caller is
// answered, hears the refusal and is hung up, and the call's record holds only the screening's
// events (no ringing, no greeting: nothing of the flow runs), outcome 'blacklisted'. Callers
// not listed, and the hotline's own outbound calls, run the flow.
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AriAdapter, ChannelEvents } from '../../src/ari/ari-adapter.js';
import type { ChannelInfo } from '../../src/ari/types.js';
import { createBlacklistStore, type BlacklistStore } from '../../src/blacklist/blacklist-store.js';
import { CallRegistry } from '../../src/calls/call-registry.js';
import { createCallHandler, type CallStart } from '../../src/calls/handle-call.js';
import type { VirtualClock } from '../../src/clock/virtual-clock.js';
import { createCallerHistory } from '../../src/store/caller-history.js';
import { openDatabase } from '../../src/store/database.js';
import type { CallEnd, EventType, Recorder } from '../../src/store/events.js';
import { flowFromYaml, newTestClock } from './support/fake-call.js';

const T0 = new Date('2026-03-10T10:00:00+08:00').getTime();
const PROMPT_MS = 2000;

const FLOW = flowFromYaml(`
hotline: { name: Test line, number: "4008008000" }
ring: { cadence: { onMs: 300, offMs: 200 }, answerAfterRings: 1 }
blacklist: { anonymous: refuse, flood: { calls: 2, withinMinutes: 10, blockMinutes: 60 } }
steps:
  answer: { verb: answer, next: welcome }
  welcome: { verb: greet, next: bye }
  bye: { verb: hangup }
`);

let clock: VirtualClock;
let store: BlacklistStore;
let handle: (channel: ChannelInfo, start: CallStart) => Promise<void>;
let ari: ReturnType<typeof scriptedAri>;
let rec: ReturnType<typeof memoryRecorder>;

/** ARI as the session uses it: channels answer, prompts play for PROMPT_MS, hang-ups end the channel. */
function scriptedAri(clock: VirtualClock) {
  const channels = new Map<string, ChannelEvents>();
  const log: string[] = [];
  const forever = new AbortController().signal;
  const end = (id: string) => {
    const events = channels.get(id);
    channels.delete(id);
    events?.emit('end', 16, 'Normal Clearing');
  };
  const known = {
    events: (id: string) => channels.get(id),
    ring: () => (log.push('ring'), Promise.resolve()),
    answer: () => (log.push('answer'), Promise.resolve()),
    hangup: (id: string) => {
      log.push('hangup');
      end(id);
      return Promise.resolve();
    },
    play: (_id: string, media: string[]) => {
      log.push(`play ${media.join(' ')}`);
      return Promise.resolve({ finished: new Promise((resolve) => clock.timer(PROMPT_MS, forever, () => resolve('done'))) });
    },
  };
  // Whatever else the session asks (talk detection, music, bridges) succeeds and does nothing.
  const adapter = new Proxy(known, {
    get: (target, name: string) => (name in target ? target[name as keyof typeof known] : () => Promise.resolve()),
  }) as unknown as AriAdapter;
  return {
    adapter,
    log,
    /** A caller enters the app. */
    arrive(id: string, number: string): ChannelInfo {
      channels.set(id, new EventEmitter());
      return {
        id,
        name: `PJSIP/trunk-${id}`,
        state: 'Ring',
        caller: { number, name: '' },
        dialplan: { context: 'hotline-inbound', exten: '4008008000', priority: 1 },
        creationtime: new Date(clock.now()).toISOString(),
      };
    },
    callerHangsUp: end,
  };
}

function memoryRecorder() {
  const events: Array<{ callId: string; type: EventType; data: unknown }> = [];
  const ended = new Map<string, CallEnd>();
  const recorder: Recorder = {
    callStarted: () => undefined,
    callAnswered: () => undefined,
    callStep: () => undefined,
    callEnded: (id, end) => void ended.set(id, end),
    event: (callId, type, data) => void events.push({ callId, type, data }),
    flush: () => undefined,
    close: () => undefined,
  };
  return { recorder, ended, typesOf: (id: string) => events.filter((e) => e.callId === id).map((e) => e.type), events };
}

beforeEach(() => {
  clock = newTestClock(T0);
  const db = openDatabase(':memory:');
  store = createBlacklistStore(db);
  ari = scriptedAri(clock);
  rec = memoryRecorder();
  handle = createCallHandler({
    ari: ari.adapter,
    recorder: rec.recorder,
    registry: new CallRegistry(),
    currentFlow: () => FLOW,
    clock,
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    callerHistory: createCallerHistory(db),
    blacklist: store,
  });
});

async function run(id: string, number: string, start: CallStart = { adopted: false }) {
  const done = handle(ari.arrive(id, number), start);
  await clock.advance(30_000);
  await done;
}

describe('a refused caller through the call handler (N11)', () => {
  it('a listed number: answered at once, the refusal, hung up by the system; only the screening is logged, outcome blacklisted', async () => {
    const entry = store.add({ kind: 'exact', value: '13800138000', reason: 'abusive calls', addedBy: 'ops', now: T0 });
    await run('ch-1', '13800138000');
    expect(ari.log).toEqual(['answer', 'play sound:hotline/zh-CN/blacklisted', 'hangup']);
    expect(rec.typesOf('ch-1')).toEqual(['blacklist.matched', 'call.answered', 'call.hangup', 'call.silence']);
    expect(rec.events[0]?.data).toEqual({ entry: entry.id, kind: 'exact', value: '13800138000', reason: 'abusive calls', source: 'list', prompt: 'blacklisted' });
    expect(rec.ended.get('ch-1')).toMatchObject({ outcome: 'blacklisted', hangupBy: 'system', hangupCause: 16 });
  });

  it('a caller not listed runs the flow (ringing, greeting)', async () => {
    await run('ch-2', '13900139000');
    expect(rec.typesOf('ch-2')).toEqual(['call.ringing', 'call.answered', 'greeting.played', 'call.hangup', 'call.silence']);
    expect(rec.ended.get('ch-2')?.outcome).toBe('completed');
  });

  it('a withheld caller ID is refused when the flow says anonymous: refuse', async () => {
    await run('ch-3', '');
    expect(rec.typesOf('ch-3')).toEqual(['blacklist.matched', 'call.answered', 'call.hangup', 'call.silence']);
    expect(rec.events[0]?.data).toMatchObject({ entry: null, kind: 'anonymous', source: 'flow' });
  });

  it('the 3rd call within 10 minutes is a flood: blacklist.auto-added, then refused', async () => {
    await run('ch-4', '13700137000');
    await run('ch-5', '13700137000');
    await run('ch-6', '13700137000');
    expect(rec.typesOf('ch-5')).toContain('greeting.played');
    expect(rec.typesOf('ch-6')).toEqual(['blacklist.auto-added', 'blacklist.matched', 'call.answered', 'call.hangup', 'call.silence']);
    expect(store.list({ now: clock.now() })).toEqual([expect.objectContaining({ value: '13700137000', addedBy: 'flood-rule' })]);
  });

  it('a caller who hangs up during the refusal: hung up by the caller, outcome still blacklisted', async () => {
    store.add({ kind: 'pattern', value: '_138XXXXXXXX', reason: 'range', addedBy: 'ops', now: T0 });
    const done = handle(ari.arrive('ch-7', '13800138001'), { adopted: false });
    await clock.advance(500);
    ari.callerHangsUp('ch-7');
    await clock.advance(5000);
    await done;
    expect(rec.ended.get('ch-7')).toMatchObject({ outcome: 'blacklisted', hangupBy: 'caller' });
    expect(rec.typesOf('ch-7')).toEqual(['blacklist.matched', 'call.answered', 'call.hangup', 'call.silence']);
  });

  it('outbound calls (the hotline dialling out) are never screened', async () => {
    store.add({ kind: 'exact', value: '13800138000', reason: 'abusive calls', addedBy: 'ops', now: T0 });
    await run('ch-8', '13800138000', { adopted: false, direction: 'outbound' });
    expect(rec.typesOf('ch-8')).not.toContain('blacklist.matched');
    expect(rec.typesOf('ch-8')).toContain('greeting.played');
  });
});
