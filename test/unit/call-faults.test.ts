// Issue 12: a call whose ARI request fails or gets no answer ends in a defined way: the error
// reaches the verb, the call handler logs flow.error, hangs the caller up and finishes the
// record (call.hangup, the calls row); a hang-up Asterisk does not take is tried again until the
// caller is gone. Nothing is left ringing in the application. The real adapter and call handler
// on the virtual clock, Asterisk scripted.
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { AriAdapter } from '../../src/ari/ari-adapter.js';
import type { AriRequest } from '../../src/ari/ari-request.js';
import type { ChannelInfo } from '../../src/ari/types.js';
import { CallRegistry } from '../../src/calls/call-registry.js';
import { createCallHandler } from '../../src/calls/handle-call.js';
import type { VirtualClock } from '../../src/clock/virtual-clock.js';
import type { CallEnd, EventType, Recorder } from '../../src/store/events.js';
import { flowFromYaml, newTestClock } from './support/fake-call.js';
import { never, ScriptedSocket, ScriptedTransport } from './support/scripted-ari.js';

const T0 = new Date('2026-03-10T10:00:00+08:00').getTime();
const TIMEOUT = 5000;
const PROMPT_MS = 2000;

const FLOW = flowFromYaml(`
hotline: { name: Test line, number: "4008008000" }
ring: { cadence: { onMs: 300, offMs: 200 }, answerAfterRings: 1 }
steps:
  answer: { verb: answer, next: welcome }
  welcome: { verb: greet, next: bye }
  bye: { verb: hangup }
`);

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

function caller(id: string, clock: VirtualClock): ChannelInfo {
  return {
    id,
    name: `PJSIP/trunk-${id}`,
    state: 'Ring',
    caller: { number: '13800138000', name: '' },
    dialplan: { context: 'hotline-inbound', exten: '4008008000', priority: 3, app_name: 'Stasis', app_data: 'hotline' },
    creationtime: new Date(clock.now()).toISOString(),
  };
}

const idOf = (r: AriRequest) => decodeURIComponent(r.path.split('/')[1]!);

let clock: VirtualClock;
let socket: ScriptedSocket;
let transport: ScriptedTransport;
let rec: ReturnType<typeof memoryRecorder>;
let registry: CallRegistry;
let running: Array<Promise<void>>;
/** What Asterisk does with a hang-up: by default it takes it and the channel leaves the app. */
let onHangup: (r: AriRequest) => unknown;

beforeEach(async () => {
  clock = newTestClock(T0);
  socket = new ScriptedSocket();
  onHangup = (r) => {
    clock.timer(5, new AbortController().signal, () => socket.send({ type: 'StasisEnd', channel: caller(idOf(r), clock) }));
  };
  transport = new ScriptedTransport()
    .on('GET channels', () => [])
    .on('DELETE channels/:id', (r) => onHangup(r))
    .on('POST channels/:id/play', (r) => {
      const playbackId = String(r.query?.playbackId);
      clock.timer(PROMPT_MS, new AbortController().signal, () =>
        socket.send({ type: 'PlaybackFinished', playback: { id: playbackId, target_uri: `channel:${idOf(r)}`, state: 'done' } }),
      );
      return { id: playbackId };
    });
  const logger = pino({ level: 'silent' });
  const ari = new AriAdapter({ url: 'http://127.0.0.1:1', user: 'u', password: 'p', app: 'hotline', requestTimeoutMs: TIMEOUT }, logger, {
    clock,
    links: { socket, transport },
  });
  rec = memoryRecorder();
  registry = new CallRegistry();
  const handle = createCallHandler({
    ari,
    recorder: rec.recorder,
    registry,
    currentFlow: () => FLOW,
    clock,
    logger,
    signal: new AbortController().signal,
  });
  running = [];
  ari.on('call', (channel, adopted) => void running.push(handle(channel, { adopted })));
  await ari.start();
  socket.open();
  await clock.advance(0);
});

const deletes = () => transport.lines().filter((l) => l.startsWith('DELETE channels/'));

describe('a call whose ARI request gets no answer (issue 12)', () => {
  it('race: the answer request is never answered: after the timeout the call logs flow.error, is hung up, and its record is finished', async () => {
    transport.on('POST channels/:id/answer', () => never());
    socket.send({ type: 'StasisStart', channel: caller('c1', clock) });
    // Ringing, then the answer goes out at 500 ms (one ring cycle) and hears nothing back.
    await clock.advance(500 + TIMEOUT - 1);
    expect(rec.typesOf('c1')).toEqual(['call.ringing']);
    await clock.advance(1);
    await clock.advance(100);
    await Promise.all(running);
    expect(rec.typesOf('c1')).toEqual(['call.ringing', 'flow.error', 'call.hangup']);
    expect(rec.events.find((e) => e.type === 'flow.error')?.data).toEqual({ message: expect.stringMatching(/answer: no answer within 5000 ms/) as unknown });
    expect(rec.ended.get('c1')).toMatchObject({ outcome: 'failed', hangupBy: 'system', hangupCause: 16 });
    expect(deletes()).toEqual(['DELETE channels/c1']);
    expect(registry.size).toBe(0);
  });

  it('a ring request that fails (Asterisk refuses it) is the same defined end: flow.error, hang-up, record finished', async () => {
    transport.on('POST channels/:id/ring', () => Promise.reject(new Error('socket hang up')));
    socket.send({ type: 'StasisStart', channel: caller('c2', clock) });
    await clock.advance(100);
    await Promise.all(running);
    expect(rec.typesOf('c2')).toEqual(['call.ringing', 'flow.error', 'call.hangup']);
    expect(rec.ended.get('c2')?.outcome).toBe('failed');
    expect(deletes()).toEqual(['DELETE channels/c2']);
  });

  it('race: the hang-up after a failure is not taken either: the record is still finished, and the hang-up is tried again until the caller is gone', async () => {
    transport.on('POST channels/:id/answer', () => never());
    let asteriskBack = false;
    onHangup = (r) => {
      if (!asteriskBack) return never();
      clock.timer(5, new AbortController().signal, () => socket.send({ type: 'StasisEnd', channel: caller(idOf(r), clock) }));
      return undefined;
    };
    socket.send({ type: 'StasisStart', channel: caller('c3', clock) });
    // The answer times out at 5.5 s; the hang-up's three attempts take 16.25 s more.
    await clock.advance(500 + TIMEOUT + 3 * TIMEOUT + 1250 + 600);
    await Promise.all(running);
    expect(rec.typesOf('c3')).toEqual(['call.ringing', 'flow.error', 'call.hangup']);
    expect(rec.ended.get('c3')).toMatchObject({ outcome: 'failed', hangupBy: 'system' });
    expect(deletes()).toHaveLength(3);
    // Asterisk takes requests again: the next try (1 s after the last failure) hangs the caller up.
    asteriskBack = true;
    await clock.advance(1000);
    expect(deletes()).toHaveLength(4);
    await clock.advance(60_000);
    expect(deletes()).toHaveLength(4);
    expect(clock.pending).toBe(0);
  });

  it('the caller hanging up while the answer request is out ends the call at once as abandoned: no timeout, no error, no hang-up request', async () => {
    transport.on('POST channels/:id/answer', () => never());
    socket.send({ type: 'StasisStart', channel: caller('c4', clock) });
    await clock.advance(800);
    socket.send({ type: 'ChannelHangupRequest', channel: caller('c4', clock), cause: 16 });
    socket.send({ type: 'StasisEnd', channel: caller('c4', clock) });
    await clock.advance(600);
    await Promise.all(running);
    expect(rec.typesOf('c4')).toEqual(['call.ringing', 'call.hangup']);
    expect(rec.ended.get('c4')).toMatchObject({ outcome: 'abandoned', hangupBy: 'caller', hangupCause: 16 });
    expect(deletes()).toEqual([]);
  });

  it('a call whose requests all answer runs its flow as before (ringing, answer, greeting, hang-up)', async () => {
    socket.send({ type: 'StasisStart', channel: caller('c5', clock) });
    await clock.advance(30_000);
    await Promise.all(running);
    expect(rec.typesOf('c5')).toEqual(['call.ringing', 'call.answered', 'greeting.played', 'call.hangup', 'call.silence']);
    expect(rec.ended.get('c5')).toMatchObject({ outcome: 'completed', hangupBy: 'system', hangupCause: 16 });
  });
});
