// CallSession against a scripted ARI: races between the caller's input and Asterisk's answers
// to our requests, and what the N5 meter counts as sound.
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ChannelEvents, PlaybackOutcome } from '../../src/ari/ari-adapter.js';
import type { ChannelInfo } from '../../src/ari/types.js';
import { createCallFacts } from '../../src/calls/call-facts.js';
import { CallSession, type SessionAri } from '../../src/calls/call-session.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';

interface Request {
  op: string;
  args: unknown[];
  resolve: () => void;
  reject: (err: Error) => void;
}

/** An ARI whose requests are answered only when the test says so (play, startMoh…). */
class ScriptedAri {
  readonly requests: Request[] = [];
  readonly finished = new Map<string, (o: PlaybackOutcome) => void>();
  readonly stopped: string[] = [];
  /** The bridges Asterisk has, with their channels (bridgeChannels answers at once). */
  readonly bridges = new Map<string, string[]>();

  port(): SessionAri {
    const pending =
      (op: string) =>
      (...args: unknown[]) =>
        new Promise<void>((resolve, reject) => this.requests.push({ op, args, resolve, reject }));
    return {
      ring: pending('ring'),
      answer: pending('answer'),
      hangup: pending('hangup'),
      setVar: pending('setVar'),
      startMoh: pending('startMoh'),
      stopMoh: pending('stopMoh'),
      createBridge: pending('createBridge'),
      addToBridge: pending('addToBridge'),
      destroyBridge: pending('destroyBridge'),
      bridgeChannels: (bridgeId: string) => Promise.resolve(this.bridges.get(bridgeId) ?? null),
      // N14 recording: not scripted here (test/unit/call-recording.test.ts drives it).
      snoop: () => Promise.reject(new Error('not scripted')),
      record: () => Promise.reject(new Error('not scripted')),
      stopRecording: pending('stopRecording'),
      continueAt: pending('continueAt'),
      play: (_channelId: string, _media: string[], playbackId: string, options?: { checkStart?: boolean }) => {
        const finished = new Promise<PlaybackOutcome>((resolve) => this.finished.set(playbackId, resolve));
        return new Promise<{ finished: Promise<PlaybackOutcome> }>((resolve, reject) =>
          this.requests.push({ op: 'play', args: [playbackId, options?.checkStart === true], resolve: () => resolve({ finished }), reject }),
        );
      },
      stopPlayback: (playbackId: string) => {
        this.stopped.push(playbackId);
        this.finished.get(playbackId)?.('stopped');
        return Promise.resolve();
      },
    };
  }

  /** Answers the oldest pending request of this kind. */
  answer(op: string): Request {
    const i = this.requests.findIndex((r) => r.op === op);
    if (i < 0) throw new Error(`no pending ${op}; pending: ${this.requests.map((r) => r.op).join(', ')}`);
    const [req] = this.requests.splice(i, 1);
    req!.resolve();
    return req!;
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function channel(state = 'Up'): ChannelInfo {
  return {
    id: 'call-1',
    name: 'Local/x',
    state,
    caller: { number: '13800138000', name: '' },
    dialplan: { context: 'hotline-inbound', exten: '4008008000', priority: 1 },
    creationtime: new Date(Date.UTC(2026, 0, 5, 2, 0, 0)).toISOString(),
  };
}

describe('CallSession (N4 N5)', () => {
  let clock: VirtualClock;
  let ari: ScriptedAri;
  let events: ChannelEvents;
  let session: CallSession;

  /** Asterisk makes the bridge and adds both channels to it (bridge()'s three requests). */
  const answerBridgeUp = async () => {
    for (const op of ['createBridge', 'addToBridge', 'addToBridge']) {
      ari.answer(op);
      await flush();
    }
  };

  beforeEach(() => {
    clock = new VirtualClock(Date.UTC(2026, 0, 5, 2, 0, 0));
    ari = new ScriptedAri();
    events = new EventEmitter();
    session = new CallSession({
      ari: ari.port(),
      events,
      channel: channel(),
      facts: createCallFacts({ direction: 'inbound', caller: '13800138000', language: 'zh-CN' }),
      clock,
      logger: pino({ level: 'silent' }),
      voice: { silenceMs: 1200, talkMs: 160 },
    });
  });

  it('race: a key pressed while the play request is on its way stops the prompt (N4 barge-in)', async () => {
    const played = session.play(['menu.main'], { bargeIn: true });
    await flush();
    // Asterisk has not answered the play request yet when the caller presses 1.
    events.emit('dtmf', '1');
    const request = ari.answer('play');
    const result = await played;
    expect(result).toEqual({ interrupted: true, by: 'dtmf' });
    expect(ari.stopped).toEqual([request.args[0]]);
    // The key is kept for the menu (type-ahead).
    expect(await session.nextDigit(1000)).toBe('1');
  });

  it('race: voice heard while the play request is on its way stops a stopOnVoice prompt (N3)', async () => {
    const played = session.play(['silent.attempt1'], { stopOnVoice: true });
    await flush();
    events.emit('talk-start');
    ari.answer('play');
    expect(await played).toEqual({ interrupted: true, by: 'voice' });
    expect(ari.stopped).toHaveLength(1);
  });

  it("N3: talk detection is set over ARI only when the entry did not turn it on (its Stasis argument, or the generated entry's context)", async () => {
    const sessionFor = (dialplan: ChannelInfo['dialplan']) => {
      const scripted = new ScriptedAri();
      const s = new CallSession({
        ari: scripted.port(),
        events: new EventEmitter(),
        channel: { ...channel(), dialplan },
        facts: createCallFacts({ direction: 'inbound', caller: '13800138000', language: 'zh-CN' }),
        clock,
        logger: pino({ level: 'silent' }),
        voice: { silenceMs: 1200, talkMs: 160 },
      });
      return { s, scripted };
    };
    const setVarsAfterDetect = async (dialplan: ChannelInfo['dialplan']) => {
      const { s, scripted } = sessionFor(dialplan);
      const done = s.detectTalk();
      await flush();
      const ops = scripted.requests.map((r) => r.op);
      for (const r of scripted.requests) r.resolve();
      await done;
      return ops;
    };
    // Another entry context (e.g. a site's own) that says so in the Stasis arguments.
    expect(await setVarsAfterDetect({ context: 'site-entry', exten: '4008008000', priority: 3, app_name: 'Stasis', app_data: 'hotline,talk-detect' })).toEqual([]);
    // The generated entry of an older version: no argument, but its context.
    expect(await setVarsAfterDetect({ context: 'hotline-inbound', exten: '4008008000', priority: 3, app_name: 'Stasis', app_data: 'hotline' })).toEqual([]);
    // An entry of the operator's own that did not turn it on: set over ARI.
    expect(await setVarsAfterDetect({ context: 'site-entry', exten: '4008008000', priority: 3, app_name: 'Stasis', app_data: 'hotline' })).toEqual(['setVar']);
  });

  it('N5: hold music counts as sound, not dead air', async () => {
    const held = session.hold();
    ari.answer('startMoh');
    await held;
    await clock.advance(40_000);
    const unheld = session.unhold();
    ari.answer('stopMoh');
    await unheld;
    await clock.advance(100);
    expect(session.silence()).toEqual({ maxGapMs: 100, maxDeadAirMs: 100 });
  });

  it('N5: bridged talk counts as sound until the leg hangs up', async () => {
    let legGone!: () => void;
    const leg = { channelId: 'leg-1', gone: new Promise<void>((resolve) => (legGone = resolve)) };
    const bridged = session.bridge(leg, new AbortController().signal);
    await answerBridgeUp();
    await clock.advance(120_000);
    legGone();
    await flush();
    ari.answer('destroyBridge');
    expect(await bridged).toBe('leg');
    expect(session.silence()).toEqual({ maxGapMs: 0, maxDeadAirMs: 0 });
  });

  it('N5: a prompt played just after the bridge went is checked to start (Asterisk can lose it); one played later is not', async () => {
    let legGone!: () => void;
    const leg = { channelId: 'leg-1', gone: new Promise<void>((resolve) => (legGone = resolve)) };
    const bridged = session.bridge(leg, new AbortController().signal);
    await answerBridgeUp();
    legGone();
    await flush();
    ari.answer('destroyBridge');
    await bridged;
    const first = session.play(['survey.ask']);
    await flush();
    const firstPlay = ari.answer('play');
    expect(firstPlay.args[1]).toBe(true);
    ari.finished.get(String(firstPlay.args[0]))?.('done');
    await first;
    await clock.advance(2000);
    const later = session.play(['survey.thanks']);
    await flush();
    const laterPlay = ari.answer('play');
    expect(laterPlay.args[1]).toBe(false);
    ari.finished.get(String(laterPlay.args[0]))?.('done');
    await later;
  });

  it('bridge ends with the caller: "caller" when the caller hangs up first', async () => {
    const leg = { channelId: 'leg-1', gone: new Promise<void>(() => undefined) };
    const bridged = session.bridge(leg, new AbortController().signal);
    await answerBridgeUp();
    events.emit('end', 16, undefined);
    await flush();
    ari.answer('destroyBridge');
    expect(await bridged).toBe('caller');
  });

  it('N14 adoption: a conversation still in its bridge goes on without a new bridge, counts as sound, and the bridge goes when the leg hangs up', async () => {
    ari.bridges.set('call-call-1', ['call-1', 'leg-1']);
    let legGone!: () => void;
    const leg = { channelId: 'leg-1', gone: new Promise<void>((resolve) => (legGone = resolve)) };
    const going = await session.resumeBridge(leg, new AbortController().signal);
    // Nothing made or added: the two are in Asterisk's bridge already.
    expect(ari.requests.map((r) => r.op)).toEqual([]);
    expect(going).not.toBeNull();
    await clock.advance(60_000);
    legGone();
    await flush();
    ari.answer('destroyBridge');
    expect(await going!.ended).toBe('leg');
    expect(session.silence()).toEqual({ maxGapMs: 0, maxDeadAirMs: 0 });
  });

  it('N14 adoption: the caller hanging up ends a resumed conversation as the caller, even with a signal derived from the call\'s', async () => {
    ari.bridges.set('call-call-1', ['call-1', 'leg-1']);
    const leg = { channelId: 'leg-1', gone: new Promise<void>(() => undefined) };
    const going = await session.resumeBridge(leg, session.signal);
    events.emit('end', 16, undefined);
    await flush();
    ari.answer('destroyBridge');
    expect(await going!.ended).toBe('caller');
  });

  it('N14 adoption: a bridge that lost one side (or a leg not taken back) is removed and the conversation is over: null', async () => {
    ari.bridges.set('call-call-1', ['call-1']);
    const leg = { channelId: 'leg-1', gone: new Promise<void>(() => undefined) };
    const over = session.resumeBridge(leg, new AbortController().signal);
    await flush();
    ari.answer('destroyBridge');
    expect(await over).toBeNull();
    const none = session.resumeBridge(undefined, new AbortController().signal);
    await flush();
    ari.answer('destroyBridge');
    expect(await none).toBeNull();
  });

  it('unhold after the caller left neither throws nor asks Asterisk', async () => {
    const held = session.hold();
    ari.answer('startMoh');
    await held;
    events.emit('end', 16, undefined);
    await session.unhold();
    expect(ari.requests.map((r) => r.op)).toEqual([]);
  });

  it('a failed stopMoh on a live call is reported, not hidden', async () => {
    const held = session.hold();
    ari.answer('startMoh');
    await held;
    const unheld = session.unhold();
    const i = ari.requests.findIndex((r) => r.op === 'stopMoh');
    ari.requests.splice(i, 1)[0]!.reject(new Error('Internal Server Error'));
    await expect(unheld).rejects.toThrow('Internal Server Error');
  });

  it('listen and pause run on the injected clock (N5 windows are declared, not dead air)', async () => {
    const heard = session.listen(5000);
    await clock.advance(4999);
    let settled = false;
    void heard.then(() => (settled = true));
    await flush();
    expect(settled).toBe(false);
    await clock.advance(1);
    expect(await heard).toBe('timeout');
    const paused = session.pause(2000);
    await clock.advance(2000);
    await paused;
    expect(session.silence()).toEqual({ maxGapMs: 7000, maxDeadAirMs: 0 });
  });
});

describe('CallSession: the N1 clock starts at the channel, not at StasisStart (issue 12)', () => {
  it("a call that rang in the dialplan through a controller gap keeps its channel's creation time (ARI's +0000 form)", () => {
    // StasisStart reaches the new controller 2.5 s after the caller dialled: the entry retried
    // Stasis() while the controller restarted. The answer verb plans from createdAt.
    const clock = new VirtualClock(Date.UTC(2026, 0, 5, 2, 0, 0));
    const session = new CallSession({
      ari: new ScriptedAri().port(),
      events: new EventEmitter(),
      channel: { ...channel('Ring'), creationtime: '2026-01-05T01:59:57.500+0000' },
      facts: createCallFacts({ direction: 'inbound', caller: '13800138000', language: 'zh-CN' }),
      clock,
      logger: pino({ level: 'silent' }),
      voice: { silenceMs: 1200, talkMs: 160 },
    });
    expect(session.createdAt).toBe(clock.now() - 2500);
    expect(session.answered).toBe(false);
  });
});
