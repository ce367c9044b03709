// Issue 12: no ARI request can strand a call. Every request has a timeout on the clock and ends
// with the signal of what it is for; reads and hang-ups are tried again, the rest fail to the
// verb; a request about a channel ends the moment the channel leaves; a hang-up that fails is
// tried again until the channel is gone. All on the virtual clock with a scripted Asterisk.
import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AriAdapter } from '../../src/ari/ari-adapter.js';
import { AriLinkError, AriStatusError, AriTimeoutError, ariPath, queryString, type AriRequest } from '../../src/ari/ari-request.js';
import { AriRequester } from '../../src/ari/ari-requester.js';
import { ChannelGoneError, type ChannelInfo } from '../../src/ari/types.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { never, notFound, Refusal, ScriptedSocket, ScriptedTransport } from './support/scripted-ari.js';

const silent = pino({ level: 'silent' });
const TIMEOUT = 5000;

function requester(transport: ScriptedTransport, clock = new VirtualClock()) {
  return { clock, requester: new AriRequester({ clock, logger: silent, timeoutMs: TIMEOUT }, () => transport) };
}

/** Settles a promise into a value to assert on, without an unhandled rejection meanwhile. */
function track<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; done: boolean } = { done: false };
  promise.then(
    (value) => Object.assign(state, { value, done: true }),
    (error: unknown) => Object.assign(state, { error, done: true }),
  );
  return state;
}

const GET: AriRequest = { method: 'GET', path: 'channels' };
const ANSWER: AriRequest = { method: 'POST', path: 'channels/c1/answer' };
const HANGUP: AriRequest = { method: 'DELETE', path: 'channels/c1', query: { reason: 'normal' } };

describe('request encoding', () => {
  it('a query keeps media URIs, ids, lists and TALK_DETECT(set) literal, and encodes only what a form query cannot carry', () => {
    expect(queryString({ media: ['sound:hotline/zh-CN/greeting', 'sound:hotline/zh-CN/menu'], playbackId: 'pb-1', beep: false, maxDurationSeconds: 0, skip: undefined })).toBe(
      'media=sound:hotline/zh-CN/greeting,sound:hotline/zh-CN/menu&playbackId=pb-1&beep=false&maxDurationSeconds=0',
    );
    expect(queryString({ variable: 'TALK_DETECT(set)', value: '1200,160' })).toBe('variable=TALK_DETECT(set)&value=1200,160');
    expect(queryString({ callerId: '"热线" <4008008000>', x: 'a&b=c+d#e%f' })).toBe(
      'callerId=%22%E7%83%AD%E7%BA%BF%22%20%3C4008008000%3E&x=a%26b%3Dc%2Bd%23e%25f',
    );
    expect(ariPath('channels', 'a b/c', 'play')).toBe('channels/a%20b%2Fc/play');
  });

  it('property: every value survives form decoding unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (value) => {
        const decoded = new URLSearchParams(queryString({ v: value })).get('v');
        expect(decoded).toBe(value);
      }),
    );
  });
});

describe('AriRequester: timeouts, signals, repeats', () => {
  it('a request Asterisk never answers fails with AriTimeoutError at exactly the timeout, and leaves nothing in flight', async () => {
    const transport = new ScriptedTransport().on('POST channels/:id/answer', () => never());
    const { clock, requester: r } = requester(transport);
    const result = track(r.call(ANSWER, new AbortController().signal));
    await clock.advance(TIMEOUT - 1);
    expect(result.done).toBe(false);
    expect(r.figures()).toMatchObject({ inFlight: 1, oldestMs: TIMEOUT - 1, recentTimeouts: 0 });
    await clock.advance(1);
    expect(result.error).toBeInstanceOf(AriTimeoutError);
    expect(transport.sent).toHaveLength(1); // a POST is not repeated
    expect(transport.sent[0]!.outcome).toBe('aborted');
    expect(r.figures()).toMatchObject({ inFlight: 0, oldestMs: 0, recentTimeouts: 1 });
    expect(clock.pending).toBe(0);
  });

  it('a read that times out is repeated after 250 ms and answers the second time', async () => {
    let attempts = 0;
    const transport = new ScriptedTransport().on('GET channels', () => (++attempts === 1 ? never() : [{ id: 'c1' }]));
    const { clock, requester: r } = requester(transport);
    const result = track(r.call(GET, new AbortController().signal));
    await clock.advance(TIMEOUT);
    expect(result.done).toBe(false);
    await clock.advance(249);
    expect(transport.sent).toHaveLength(1);
    await clock.advance(1);
    expect(result.value).toEqual([{ id: 'c1' }]);
    expect(transport.lines()).toEqual(['GET channels', 'GET channels']);
  });

  it('a hang-up on a broken link is tried three times (0, 250 ms, 1 s later) before the error reaches the caller', async () => {
    const transport = new ScriptedTransport().on('DELETE channels/:id', () => Promise.reject(new AriLinkError(HANGUP, 'the events socket closed')));
    const { clock, requester: r } = requester(transport);
    const result = track(r.call(HANGUP, new AbortController().signal));
    await clock.advance(250);
    expect(transport.sent).toHaveLength(2);
    await clock.advance(1000);
    expect(transport.sent).toHaveLength(3);
    expect(result.error).toBeInstanceOf(AriLinkError);
  });

  it("Asterisk's refusal (404) is an AriStatusError with its words, never repeated", async () => {
    const transport = new ScriptedTransport().on('DELETE channels/:id', () => Promise.reject(notFound()));
    const { clock, requester: r } = requester(transport);
    const result = track(r.call(HANGUP, new AbortController().signal));
    await clock.advance(2000);
    expect(result.error).toBeInstanceOf(AriStatusError);
    expect(result.error).toMatchObject({ status: 404, detail: 'Channel not found' });
    expect(transport.sent).toHaveLength(1);
  });

  it("Asterisk's 5xx on a read is repeated; on a command it is not", async () => {
    const transport = new ScriptedTransport()
      .on('GET channels', () => Promise.reject(new Refusal(500, 'Internal Server Error')))
      .on('POST channels/:id/answer', () => Promise.reject(new Refusal(500, 'Internal Server Error')));
    const { clock, requester: r } = requester(transport);
    const read = track(r.call(GET, new AbortController().signal));
    const command = track(r.call(ANSWER, new AbortController().signal));
    await clock.advance(2000);
    expect(read.error).toBeInstanceOf(AriStatusError);
    expect(command.error).toBeInstanceOf(AriStatusError);
    expect(transport.lines()).toEqual(['GET channels', 'POST channels/c1/answer', 'GET channels', 'GET channels']);
  });

  it("the caller's signal ends a request at once with its reason, and no repeat follows", async () => {
    const transport = new ScriptedTransport().on('GET channels', () => never());
    const { clock, requester: r } = requester(transport);
    const call = new AbortController();
    const result = track(r.call(GET, call.signal));
    await clock.advance(100);
    call.abort(new Error('call ended'));
    await clock.advance(0);
    expect(result.error).toEqual(new Error('call ended'));
    await clock.advance(10_000);
    expect(transport.sent).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it('a request that is answered leaves no listener on the caller\'s signal and no timer, and its attempt signal is let go, not aborted', async () => {
    const seen: AbortSignal[] = [];
    const transport = new ScriptedTransport().on('GET channels', (_req, signal) => {
      seen.push(signal);
      return [];
    });
    const { clock, requester: r } = requester(transport);
    const call = new AbortController();
    for (let i = 0; i < 20; i++) await r.call(GET, call.signal);
    expect(getEventListeners(call.signal, 'abort')).toHaveLength(0);
    expect(clock.pending).toBe(0);
    expect(seen.map((s) => [s.aborted, getEventListeners(s, 'abort').length])).toEqual(seen.map(() => [false, 0]));
    expect(r.figures().inFlight).toBe(0);
  });

  it('recent timeouts are counted for one timeout period, then forgotten', async () => {
    const transport = new ScriptedTransport().on('POST channels/:id/answer', () => never());
    const { clock, requester: r } = requester(transport);
    track(r.call(ANSWER, new AbortController().signal));
    track(r.call(ANSWER, new AbortController().signal));
    await clock.advance(TIMEOUT);
    expect(r.figures().recentTimeouts).toBe(2);
    await clock.advance(TIMEOUT - 1);
    expect(r.figures().recentTimeouts).toBe(2);
    await clock.advance(1);
    expect(r.figures().recentTimeouts).toBe(0);
  });
});

function caller(id: string): ChannelInfo {
  return {
    id,
    name: `PJSIP/trunk-${id}`,
    state: 'Ring',
    caller: { number: '13800138000', name: '' },
    dialplan: { context: 'hotline-inbound', exten: '4008008000', priority: 3, app_name: 'Stasis', app_data: 'hotline' },
    creationtime: '2026-11-22T10:00:00.000+0000',
  };
}

/** An adapter on a scripted socket and transport, connected, with one caller in the app. */
async function connectedAdapter(transport: ScriptedTransport) {
  const clock = new VirtualClock();
  const socket = new ScriptedSocket();
  transport.on('GET channels', () => []);
  const adapter = new AriAdapter({ url: 'http://127.0.0.1:1', user: 'u', password: 'p', app: 'hotline', requestTimeoutMs: TIMEOUT }, silent, {
    clock,
    links: { socket, transport },
  });
  await adapter.start();
  socket.open();
  await clock.advance(0);
  socket.send({ type: 'StasisStart', channel: caller('c1') });
  return { adapter, socket, clock };
}

describe('AriAdapter: requests about a channel end with it', () => {
  it("race: the caller hangs up while the answer request is out: it ends at once as ChannelGoneError, not after the timeout", async () => {
    const transport = new ScriptedTransport().on('POST channels/:id/answer', () => never());
    const { adapter, socket, clock } = await connectedAdapter(transport);
    const answer = track(adapter.answer('c1'));
    await clock.advance(300);
    socket.send({ type: 'StasisEnd', channel: caller('c1') });
    await clock.advance(0);
    expect(answer.error).toBeInstanceOf(ChannelGoneError);
    expect(adapter.health().requests.inFlight).toBe(0);
  });

  it('a command that times out reaches the caller as AriTimeoutError (the verb decides), after exactly the timeout', async () => {
    const transport = new ScriptedTransport().on('POST channels/:id/ring', () => never());
    const { adapter, clock } = await connectedAdapter(transport);
    const ring = track(adapter.ring('c1'));
    await clock.advance(TIMEOUT);
    expect(ring.error).toBeInstanceOf(AriTimeoutError);
  });

  it('live channels do not listen on the stop signal one by one: 500 of them add no listener there', async () => {
    const transport = new ScriptedTransport();
    const { adapter, socket, clock } = await connectedAdapter(transport);
    const stop = (adapter as unknown as { stopController: AbortController }).stopController.signal;
    const before = getEventListeners(stop, 'abort').length;
    for (let i = 0; i < 500; i++) socket.send({ type: 'StasisStart', channel: caller(`live-${i}`) });
    expect(getEventListeners(stop, 'abort')).toHaveLength(before);
    for (let i = 0; i < 500; i++) socket.send({ type: 'StasisEnd', channel: caller(`live-${i}`) });
    await clock.runAll(); // the ended channels' grace timers (3 s) listen there until they fire
    expect(getEventListeners(stop, 'abort')).toHaveLength(before);
    const lives = (adapter as unknown as { lives: { size: number } }).lives;
    expect(lives.size).toBe(1); // c1, still in the app
    adapter.stop();
    expect(lives.size).toBe(0);
  });

  it('stop() ends every request in flight at once', async () => {
    const transport = new ScriptedTransport().on('POST channels/:id/answer', () => never()).on('POST bridges', () => never());
    const { adapter, clock } = await connectedAdapter(transport);
    const answer = track(adapter.answer('c1'));
    const bridge = track(adapter.createBridge('b1'));
    await clock.advance(10);
    adapter.stop();
    await clock.advance(0);
    expect(answer.done && bridge.done).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it("a hang-up Asterisk does not take is tried again (1 s, 2 s, 4 s… apart) until it succeeds: the caller is not left in the app", async () => {
    let refuse = true;
    const transport = new ScriptedTransport().on('DELETE channels/:id', () => (refuse ? never() : undefined));
    const { adapter, socket, clock } = await connectedAdapter(transport);
    const hangup = track(adapter.hangup('c1'));
    // Three attempts of 5 s with 250 ms and 1 s between them, then the error reaches the caller.
    await clock.advance(3 * TIMEOUT + 1250);
    expect(hangup.error).toBeInstanceOf(AriTimeoutError);
    expect(transport.lines().filter((l) => l.startsWith('DELETE'))).toHaveLength(3);
    // Asterisk answers again: the next try, 1 s later, hangs the caller up.
    refuse = false;
    await clock.advance(1000);
    expect(transport.lines().filter((l) => l.startsWith('DELETE'))).toHaveLength(4);
    socket.send({ type: 'StasisEnd', channel: caller('c1') });
    await clock.advance(60_000);
    expect(transport.lines().filter((l) => l.startsWith('DELETE'))).toHaveLength(4);
    expect(clock.pending).toBe(0);
  });

  it('trying a hang-up again stops when the channel leaves by itself', async () => {
    const transport = new ScriptedTransport().on('DELETE channels/:id', () => Promise.reject(new Refusal(500, 'Internal Server Error')));
    const { adapter, socket, clock } = await connectedAdapter(transport);
    const hangup = track(adapter.hangup('c1'));
    await clock.advance(1250);
    expect(hangup.error).toBeInstanceOf(AriStatusError);
    socket.send({ type: 'StasisEnd', channel: caller('c1') });
    socket.send({ type: 'ChannelDestroyed', channel: caller('c1'), cause: 16 });
    await clock.advance(120_000);
    expect(transport.lines().filter((l) => l.startsWith('DELETE'))).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });

  it('a hang-up of a channel that is already gone (404) is done, and not tried again', async () => {
    const transport = new ScriptedTransport().on('DELETE channels/:id', () => Promise.reject(notFound()));
    const { adapter, clock } = await connectedAdapter(transport);
    const hangup = track(adapter.hangup('c1'));
    await clock.advance(60_000);
    expect(hangup.error).toBeInstanceOf(ChannelGoneError);
    expect(transport.lines().filter((l) => l.startsWith('DELETE'))).toHaveLength(1);
  });

  it('requests carry their parameters as the ARI resource expects them', async () => {
    const transport = new ScriptedTransport();
    const { adapter, clock } = await connectedAdapter(transport);
    await adapter.setVar('c1', 'TALK_DETECT(set)', '1200,160');
    const play = track(adapter.play('c1', ['sound:hotline/zh-CN/greeting', 'sound:hotline/zh-CN/menu'], 'pb-1'));
    await clock.advance(0);
    expect(play.done).toBe(true);
    expect(transport.sent.slice(-2)).toEqual([
      expect.objectContaining({ method: 'POST', path: 'channels/c1/variable', query: { variable: 'TALK_DETECT(set)', value: '1200,160' } }),
      expect.objectContaining({ method: 'POST', path: 'channels/c1/play', query: { media: ['sound:hotline/zh-CN/greeting', 'sound:hotline/zh-CN/menu'], playbackId: 'pb-1' } }),
    ]);
  });
});
