// N14 on the virtual clock: the record step announces the recording, a decline key (during the
// announcement or just after it) is logged and respected, other keys stay type-ahead, and with
// consent the whole call (mode call) or the agent conversation (mode agent) is recorded, each
// recording with its row from start to end. A hang-up at any moment leaves no live recording.
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { agentTalkRecording, closeLeftRecordings, resumeRecordings, type Recordings } from '../../src/recording/call-recording.js';
import type { RecordingFileInfo, RecordingFiles } from '../../src/recording/recording-files.js';
import { createRecordingStore } from '../../src/recording/recording-store.js';
import { record } from '../../src/flow/verbs/record.js';
import { openDatabase } from '../../src/store/database.js';
import type { Flow } from '../../src/flow/schema.js';
import { advance, fakeClock, FakeCall, fakeLeg, flowFromYaml, makeContext, newTestClock, stepOf, track } from './support/fake-call.js';

const T0 = Date.UTC(2026, 2, 10, 2, 0, 0);
const NOTICE_MS = 6000;

const flowWith = (recording: string, step = '{ verb: record, next: menu }') =>
  flowFromYaml(`
hotline: { name: Test line, number: "100" }
recording: ${recording}
steps:
  answer: { verb: answer, next: consent }
  consent: ${step}
  menu: { verb: menu, prompt: menu.main, options: { "1": bye }, noInput: { then: bye }, invalid: { then: bye } }
  bye: { verb: hangup }
`);

const CALL_MODE = flowWith('{ mode: call }');

/** Files as a test sets them: a name with an entry is "on disk". */
function memoryFiles(): RecordingFiles & { put(name: string, info: RecordingFileInfo): void } {
  const files = new Map<string, RecordingFileInfo>();
  return {
    source: 'disk',
    put: (name, info) => files.set(name, info),
    inspect: (name) => Promise.resolve(files.get(name)),
    locate: () => undefined,
    read: () => Promise.resolve(undefined),
    remove: (name) => Promise.resolve(files.delete(name) ? 'deleted' : 'missing'),
  };
}

let recordings: Recordings & { files: ReturnType<typeof memoryFiles> };

beforeEach(() => {
  newTestClock(T0);
  recordings = { store: createRecordingStore(openDatabase(':memory:')), files: memoryFiles() };
});

function start(flow: Flow = CALL_MODE, options: ConstructorParameters<typeof FakeCall>[0] = {}) {
  const call = new FakeCall({ answered: true, durations: { 'recording.notice': NOTICE_MS }, ...options });
  const ctx = makeContext(flow, call, { services: { recordings } });
  const done = record.run(ctx, stepOf(flow, 'consent', 'record'), 'consent');
  done.catch(() => undefined);
  return { call, ctx, box: track(done) };
}

const rows = () => recordings.store.forCall('call-1');

describe('record step: the announcement and the decline (N14)', () => {
  it('N14: with recording off the step passes through: no announcement, nothing recorded, nothing logged', async () => {
    const { call, ctx, box } = start(flowWith('{ mode: off }'));
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'menu' });
    expect(call.actions).toEqual([]);
    expect(ctx.events).toEqual([]);
    expect(ctx.facts.recording).toBeUndefined();
  });

  it('N14: a caller who listens hears the whole announcement and the decline window, then the whole call is recorded', async () => {
    const { call, ctx, box } = start();
    await advance(NOTICE_MS);
    expect(box.settled).toBe(false); // the decline key is still taken for 2 s
    await advance(2000);
    expect(box).toEqual({ settled: true, value: 'menu' });
    expect(call.plays()).toMatchObject([{ prompts: ['recording.notice'], t: 0, endT: NOTICE_MS, interrupted: false }]);
    expect(call.listens()).toMatchObject([{ ms: 2000, t: NOTICE_MS, endT: NOTICE_MS + 2000, result: 'timeout' }]);
    expect(call.liveRecordings()).toMatchObject([{ target: 'caller', t: NOTICE_MS + 2000 }]);
    expect(ctx.facts.recording).toBe('given');
    const [row] = rows();
    expect(row).toMatchObject({ mode: 'call', who: 'caller', agent: null, status: 'recording', startedAt: T0 + 8000, format: 'wav' });
    expect(row!.name).toMatch(/^rec-[0-9a-f-]{36}$/);
    expect(ctx.types()).toEqual(['recording.announced', 'recording.started']);
    expect(ctx.dataOf('recording.announced')).toEqual([{ step: 'consent', prompt: 'recording.notice', declineKey: '9', interrupted: false }]);
    expect(ctx.dataOf('recording.started')).toEqual([{ id: row!.id, name: row!.name, mode: 'call', who: 'caller', agent: null }]);
  });

  it('N14: the recording ends with the call; its row gets the end, the length and the size of the file', async () => {
    const { call, ctx } = start();
    await advance(NOTICE_MS + 2000);
    const name = rows()[0]!.name;
    recordings.files.put(name, { bytes: 96_044, durationMs: 5980 });
    await advance(6000);
    call.callerHangsUp();
    await advance(0);
    expect(call.liveRecordings()).toEqual([]);
    expect(rows()).toMatchObject([{ status: 'done', endedAt: T0 + 14_000, durationMs: 5980, bytes: 96_044 }]);
    expect(ctx.dataOf('recording.stopped')).toEqual([{ id: 1, name, status: 'done', durationMs: 5980, bytes: 96_044 }]);
  });

  it('N14: without a file to measure, the length is the one Asterisk reported', async () => {
    const { call } = start();
    await advance(NOTICE_MS + 2000 + 4000);
    call.callerHangsUp();
    await advance(0);
    expect(rows()).toMatchObject([{ status: 'done', durationMs: 4000, bytes: null }]);
  });

  it('N14: the decline key during the announcement stops it, is logged, is not passed on, and nothing is recorded', async () => {
    const { call, ctx, box } = start();
    await advance(2500);
    call.press('9');
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'menu' });
    expect(call.plays()).toMatchObject([{ prompts: ['recording.notice'], endT: 2500, interrupted: true }]);
    expect(call.listens()).toEqual([]); // no decline window after a decline
    expect(ctx.dataOf('recording.declined')).toEqual([{ step: 'consent', key: '9' }]);
    expect(ctx.dataOf('recording.announced')).toEqual([{ step: 'consent', prompt: 'recording.notice', declineKey: '9', interrupted: true }]);
    expect(ctx.facts.recording).toBe('declined');
    expect(call.hasTypeAhead()).toBe(false);
    expect(call.kinds()).not.toContain('record');
    expect(rows()).toEqual([]);
  });

  it('N14: the decline key right after the announcement (within declineWaitMs) declines too', async () => {
    const { call, ctx, box } = start();
    await advance(NOTICE_MS + 1500);
    call.press('9');
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'menu' });
    expect(ctx.dataOf('recording.declined')).toEqual([{ step: 'consent', key: '9' }]);
    expect(call.hasTypeAhead()).toBe(false);
    expect(rows()).toEqual([]);
  });

  it('N14: another key during the announcement does not stop it and waits for the next menu (type-ahead)', async () => {
    const { call, ctx, box } = start();
    await advance(1000);
    call.press('1');
    await advance(NOTICE_MS - 1000 + 2000);
    expect(box).toEqual({ settled: true, value: 'menu' });
    expect(call.plays()).toMatchObject([{ endT: NOTICE_MS, interrupted: false }]);
    expect(ctx.facts.recording).toBe('given');
    expect(call.hasTypeAhead()).toBe(true);
    expect(await call.nextDigit(1000)).toBe('1');
    expect(rows()).toHaveLength(1);
  });

  it('N14: a 9 pressed before the announcement (for something else) is no decline and stays buffered', async () => {
    const call = new FakeCall({ answered: true, durations: { 'recording.notice': NOTICE_MS } });
    call.press('9');
    const ctx = makeContext(CALL_MODE, call, { services: { recordings } });
    const box = track(record.run(ctx, stepOf(CALL_MODE, 'consent', 'record'), 'consent'));
    await advance(NOTICE_MS + 2000);
    expect(box).toEqual({ settled: true, value: 'menu' });
    expect(ctx.facts.recording).toBe('given');
    expect(await call.nextDigit(0)).toBe('9');
  });

  it('N14: the decline key after the window is the next menu\'s, and the recording stands', async () => {
    const { call, ctx } = start();
    await advance(NOTICE_MS + 2000);
    call.press('9');
    expect(ctx.facts.recording).toBe('given');
    expect(call.hasTypeAhead()).toBe(true);
    expect(rows()).toHaveLength(1);
  });

  it('N14: a configurable key: with declineKey 0, a 9 is type-ahead and a 0 declines', async () => {
    const { call, ctx } = start(flowWith('{ mode: call, declineKey: "0" }'));
    await advance(1000);
    call.press('9');
    await advance(1000);
    call.press('0');
    await advance(0);
    expect(ctx.dataOf('recording.declined')).toEqual([{ step: 'consent', key: '0' }]);
    expect(await call.nextDigit(0)).toBe('9');
  });

  it('N14: with no decline key, the announcement plays in full, no window follows, and the call is recorded', async () => {
    const flow = flowWith('{ mode: call, declineKey: null }', '{ verb: record, prompt: recording.notice-plain, next: menu }');
    const { call, ctx, box } = start(flow, { durations: { 'recording.notice-plain': 4000 } });
    await advance(1000);
    call.press('9');
    await advance(3000);
    expect(box).toEqual({ settled: true, value: 'menu' });
    expect(call.listens()).toEqual([]);
    expect(ctx.dataOf('recording.announced')).toEqual([{ step: 'consent', prompt: 'recording.notice-plain', declineKey: null, interrupted: false }]);
    expect(ctx.facts.recording).toBe('given');
    expect(rows()).toHaveLength(1);
    expect(call.hasTypeAhead()).toBe(true);
  });

  it('N14: asked once per call: a second pass through the step plays nothing', async () => {
    const { call, ctx } = start();
    await advance(NOTICE_MS + 2000);
    const again = track(record.run(ctx, stepOf(CALL_MODE, 'consent', 'record'), 'consent'));
    await advance(0);
    expect(again).toEqual({ settled: true, value: 'menu' });
    expect(call.plays()).toHaveLength(1);
    expect(rows()).toHaveLength(1);
  });

  it('N14: a recording Asterisk refuses is logged and the call goes on unrecorded', async () => {
    const { call, ctx, box } = start(CALL_MODE, { recording: 'refused' });
    await advance(NOTICE_MS + 2000);
    expect(box).toEqual({ settled: true, value: 'menu' });
    expect(ctx.dataOf('recording.failed')).toEqual([{ name: expect.stringMatching(/^rec-/) as string, mode: 'call', message: 'Asterisk refused the recording' }]);
    expect(rows()).toEqual([]);
    expect(call.liveRecordings()).toEqual([]);
  });

  it('N14: a caller who hangs up during the announcement ends the step; nothing is recorded', async () => {
    const { call, box } = start();
    await advance(3000);
    call.callerHangsUp();
    await advance(0);
    expect(box.settled).toBe(true);
    expect((box.error as Error).message).toBe('call ended');
    expect(call.kinds()).not.toContain('record');
    expect(rows()).toEqual([]);
  });

  it('N14: Asterisk ends a recording at maxMinutes; its row is closed then, not at the hang-up', async () => {
    const { call } = start(flowWith('{ mode: call, maxMinutes: 1 }'));
    await advance(NOTICE_MS + 2000 + 60_000);
    expect(call.liveRecordings()).toEqual([]);
    expect(rows()).toMatchObject([{ status: 'done', durationMs: 60_000, endedAt: T0 + 68_000 }]);
  });
});

describe('the agent conversation (N14 mode agent and mode call)', () => {
  const AGENT_MODE = flowWith('{ mode: agent }');

  it('N14: mode agent records nothing at the step; the bridge is recorded once the agent is in, until it ends', async () => {
    const { call, ctx } = start(AGENT_MODE);
    await advance(NOTICE_MS + 2000);
    expect(ctx.facts.recording).toBe('given');
    expect(call.kinds()).not.toContain('record');
    expect(rows()).toEqual([]);
    await advance(30_000); // the caller is in the menu, then waits for an agent
    const leg = fakeLeg('leg-a1');
    const talk = track(call.bridge(leg, new AbortController().signal, agentTalkRecording(ctx, 'a1')));
    await advance(0);
    expect(call.liveRecordings()).toMatchObject([{ target: 'bridge', t: 38_000 }]);
    expect(rows()).toMatchObject([{ mode: 'agent', who: 'caller+agent', agent: 'a1', status: 'recording', startedAt: T0 + 38_000 }]);
    await advance(45_000);
    leg.hangUp();
    await advance(0);
    expect(talk).toEqual({ settled: true, value: 'leg' });
    expect(call.liveRecordings()).toEqual([]);
    expect(rows()).toMatchObject([{ status: 'done', durationMs: 45_000, endedAt: T0 + 83_000 }]);
    expect(ctx.dataOf('recording.started')).toEqual([{ id: 1, name: rows()[0]!.name, mode: 'agent', who: 'caller+agent', agent: 'a1' }]);
  });

  it('N14: mode agent, declined: the conversation is not recorded', async () => {
    const { call, ctx } = start(AGENT_MODE);
    await advance(1000);
    call.press('9');
    await advance(0);
    expect(agentTalkRecording(ctx, 'a1')).toEqual({});
    const leg = fakeLeg();
    void call.bridge(leg, new AbortController().signal, agentTalkRecording(ctx, 'a1'));
    await advance(10_000);
    leg.hangUp();
    await advance(0);
    expect(call.kinds()).not.toContain('record');
    expect(rows()).toEqual([]);
  });

  it('N14: never asked (no record step ran): the conversation is not recorded', () => {
    const call = new FakeCall({ answered: true });
    const ctx = makeContext(AGENT_MODE, call, { services: { recordings } });
    expect(agentTalkRecording(ctx, 'a1')).toEqual({});
  });

  it('N14: mode agent, the caller hangs up mid-conversation: the recording ends with the call', async () => {
    const { call, ctx } = start(AGENT_MODE);
    await advance(NOTICE_MS + 2000);
    void call.bridge(fakeLeg(), new AbortController().signal, agentTalkRecording(ctx, 'a1'));
    await advance(20_000);
    call.callerHangsUp();
    await advance(0);
    expect(call.liveRecordings()).toEqual([]);
    expect(rows()).toMatchObject([{ status: 'done', durationMs: 20_000 }]);
  });

  it('N14: mode agent, a bridge recording Asterisk refuses is logged; the conversation goes on', async () => {
    const { call, ctx } = start(AGENT_MODE, { recording: 'refused' });
    await advance(NOTICE_MS + 2000);
    const leg = fakeLeg();
    const talk = track(call.bridge(leg, new AbortController().signal, agentTalkRecording(ctx, 'a1')));
    await advance(5000);
    leg.hangUp();
    await advance(0);
    expect(talk).toEqual({ settled: true, value: 'leg' });
    expect(ctx.dataOf('recording.failed')).toMatchObject([{ mode: 'agent' }]);
    expect(rows()).toEqual([]);
  });

  it('N14: mode call: the whole-call recording goes on through the transfer and now names the agent', async () => {
    const { call, ctx } = start();
    await advance(NOTICE_MS + 2000);
    const options = agentTalkRecording(ctx, 'a1');
    expect(options).toEqual({}); // no second recording of the bridge
    expect(rows()).toMatchObject([{ mode: 'call', who: 'caller+agent', agent: 'a1', status: 'recording' }]);
    call.callerHangsUp();
    await advance(0);
    expect(rows()).toMatchObject([{ who: 'caller+agent', status: 'done' }]);
  });
});

describe('a hang-up at any moment leaves no live recording (N14, property)', () => {
  it('N14: whatever the keys and whenever the caller hangs up, no recording is live after, every row is closed, a decline records nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('call', 'agent'),
        fc.integer({ min: 0, max: 20_000 }),
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 20_000 }), digit: fc.constantFrom('1', '5', '9', '#') }), { maxLength: 4 }),
        fc.integer({ min: 0, max: 10_000 }),
        async (mode, hangupAt, keys, bridgeAfter) => {
          newTestClock(T0);
          recordings = { store: createRecordingStore(openDatabase(':memory:')), files: memoryFiles() };
          const flow = mode === 'call' ? CALL_MODE : flowWith('{ mode: agent }');
          const call = new FakeCall({ answered: true, durations: { 'recording.notice': NOTICE_MS } });
          const ctx = makeContext(flow, call, { services: { recordings } });
          for (const { at, digit } of keys) fakeClock.timer(at, call.signal, () => call.press(digit));
          fakeClock.timer(hangupAt, new AbortController().signal, () => call.callerHangsUp());
          const step = track(record.run(ctx, stepOf(flow, 'consent', 'record'), 'consent'));
          await advance(NOTICE_MS + 2000);
          // Then an agent conversation, if the call is still there.
          if (!call.signal.aborted) {
            await advance(bridgeAfter);
            if (!call.signal.aborted) void call.bridge(fakeLeg(), new AbortController().signal, agentTalkRecording(ctx, 'a1'));
          }
          await advance(30_000);
          expect(call.signal.aborted).toBe(true);
          expect(step.settled).toBe(true);
          expect(call.liveRecordings()).toEqual([]);
          const stored = rows();
          expect(stored.every((r) => r.status === 'done')).toBe(true);
          expect(stored.length).toBeLessThanOrEqual(1);
          const declinedBy = keys.filter((k) => k.digit === '9' && k.at < Math.min(hangupAt, NOTICE_MS + 2000));
          if (ctx.facts.recording === 'declined') {
            expect(declinedBy.length).toBeGreaterThan(0);
            expect(stored).toEqual([]);
          } else if (ctx.facts.recording === 'given') {
            expect(declinedBy).toEqual([]);
          }
          for (const r of stored) expect(r.endedAt).toBeLessThanOrEqual(T0 + Math.max(hangupAt, 0));
        },
      ),
      { numRuns: 60, seed: 14 },
    );
  });
});

describe('N14 recordings of a call adopted after a controller restart', () => {
  /** What the controller before had open for call-1 when it stopped: a whole-call and an agent recording. */
  function leftOpen(modes: Array<'call' | 'agent'>) {
    return modes.map((mode, i) =>
      recordings.store.start({
        callId: 'call-1', name: `rec-left-${i}`, format: 'wav', mode, who: mode === 'call' ? 'caller' : 'caller+agent',
        agent: mode === 'call' ? null : 'a1', startedAt: T0 - 60_000,
      }),
    );
  }
  function adopted(recording?: 'given' | 'declined', flow: Flow = CALL_MODE) {
    const call = new FakeCall({ answered: true });
    const ctx = makeContext(flow, call, { services: { recordings } });
    if (recording) ctx.facts.recording = recording;
    return { call, ctx };
  }

  it('N14: a consented whole-call recording goes on in a new file; the left rows close from their files once the call has ended, with recording.stopped', async () => {
    const [call0, agent0] = leftOpen(['call', 'agent']);
    const { call, ctx } = adopted('given');
    const left = await resumeRecordings(ctx);
    expect(left.map((r) => r.id)).toEqual([call0!.id, agent0!.id]);
    // The new recording: its own row, live.
    expect(call.liveRecordings()).toHaveLength(1);
    await advance(0);
    expect(recordings.store.liveFor('call-1', 'call').map((r) => r.name)).toEqual(['rec-left-0', call.liveRecordings()[0]!.name]);

    recordings.files.put('rec-left-0', { bytes: 480_044, durationMs: 30_000 });
    await closeLeftRecordings(ctx, left);
    expect(recordings.store.get(call0!.id)).toMatchObject({ status: 'done', durationMs: 30_000, bytes: 480_044, endedAt: T0 - 30_000 });
    // No file for the agent conversation's: failed, and why.
    expect(recordings.store.get(agent0!.id)).toMatchObject({ status: 'failed', cause: 'left open by a stopped controller; no file' });
    expect(ctx.dataOf('recording.stopped')).toEqual([
      { id: call0!.id, name: 'rec-left-0', status: 'done', durationMs: 30_000, bytes: 480_044 },
      { id: agent0!.id, name: 'rec-left-1', status: 'failed', durationMs: null, bytes: null, cause: 'left open by a stopped controller; no file' },
    ]);
    // The new recording is not among them: it ends as any recording does.
    expect(recordings.store.liveFor('call-1', 'call')).toHaveLength(1);
  });

  it('N14: no recording is started for a caller who declined, nor for one who was not being recorded', async () => {
    leftOpen(['call']);
    const declined = adopted('declined');
    await resumeRecordings(declined.ctx);
    expect(declined.call.liveRecordings()).toEqual([]);

    recordings = { store: createRecordingStore(openDatabase(':memory:')), files: memoryFiles() };
    const notYet = adopted('given');
    expect(await resumeRecordings(notYet.ctx)).toEqual([]);
    expect(notYet.call.liveRecordings()).toEqual([]);
  });

  it('N14: a row closed meanwhile (by the retention job) is not closed or logged twice', async () => {
    const [row] = leftOpen(['agent']);
    const { ctx } = adopted('given');
    const left = await resumeRecordings(ctx);
    recordings.store.finish(row!.id, { endedAt: T0, durationMs: 1000, bytes: 100, status: 'done' });
    await closeLeftRecordings(ctx, left);
    expect(ctx.dataOf('recording.stopped')).toEqual([]);
  });
});
