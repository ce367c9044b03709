// N14: CallSession's recording against a scripted ARI whose requests are answered only when the
// test says so: the snoop channel and its recording end with the call whichever moment the
// caller hangs up (while the snoop is requested, before it enters the app, while the record
// request is out, while recording), an agent conversation's bridge recording is stopped before
// the bridge goes, and only the decline key stops the announcement.
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ChannelEvents, DialledChannel, PlaybackOutcome, RecordingOutcome, RecordParams } from '../../src/ari/ari-adapter.js';
import { HeldEmitter } from '../../src/ari/held-emitter.js';
import { ChannelGoneError, type ChannelInfo } from '../../src/ari/types.js';
import { createCallFacts } from '../../src/calls/call-facts.js';
import type { LiveRecording } from '../../src/calls/call-port.js';
import { CallSession, type SessionAri } from '../../src/calls/call-session.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';

interface Request {
  op: string;
  args: unknown[];
  resolve: () => void;
  reject: (err: Error) => void;
}

/** An ARI that answers snoop, record, play and bridge requests when the test says so. */
class ScriptedAri {
  readonly requests: Request[] = [];
  /** Every request, answered or not, in order: [op, first argument]. */
  readonly log: Array<[string, unknown]> = [];
  readonly snoops = new Map<string, HeldEmitter>();
  readonly reports = new Map<string, (outcome: RecordingOutcome) => void>();
  readonly playbacks = new Map<string, (o: PlaybackOutcome) => void>();

  port(): SessionAri {
    const pending =
      (op: string) =>
      (...args: unknown[]) =>
        new Promise<void>((resolve, reject) => {
          this.log.push([op, args[0]]);
          this.requests.push({ op, args, resolve, reject });
        });
    const answered =
      (op: string) =>
      (...args: unknown[]) => {
        this.log.push([op, args[0]]);
        return Promise.resolve();
      };
    return {
      ring: pending('ring'),
      answer: pending('answer'),
      setVar: pending('setVar'),
      startMoh: pending('startMoh'),
      stopMoh: pending('stopMoh'),
      createBridge: pending('createBridge'),
      addToBridge: pending('addToBridge'),
      destroyBridge: pending('destroyBridge'),
      bridgeChannels: () => Promise.resolve(null),
      // Hang-ups and stops are answered at once: they are what the tests look for.
      hangup: answered('hangup'),
      stopRecording: answered('stopRecording'),
      continueAt: pending('continueAt'),
      stopPlayback: (playbackId: string) => {
        this.log.push(['stopPlayback', playbackId]);
        this.playbacks.get(playbackId)?.('stopped');
        return Promise.resolve();
      },
      play: (_channelId: string, _media: string[], playbackId: string) => {
        this.log.push(['play', playbackId]);
        const finished = new Promise<PlaybackOutcome>((resolve) => this.playbacks.set(playbackId, resolve));
        return new Promise<{ finished: Promise<PlaybackOutcome> }>((resolve, reject) =>
          this.requests.push({ op: 'play', args: [playbackId], resolve: () => resolve({ finished }), reject }),
        );
      },
      snoop: (params: { channelId: string; snoopId: string; owner: string }) => {
        this.log.push(['snoop', params]);
        return new Promise<DialledChannel>((resolve, reject) =>
          this.requests.push({
            op: 'snoop',
            args: [params],
            resolve: () => {
              const held = new HeldEmitter();
              this.snoops.set(params.snoopId, held);
              resolve({ events: held as unknown as ChannelEvents, release: () => held.release() });
            },
            reject,
          }),
        );
      },
      record: (target: { channelId: string } | { bridgeId: string }, params: RecordParams) => {
        this.log.push(['record', target]);
        return new Promise<{ finished: Promise<RecordingOutcome> }>((resolve, reject) =>
          this.requests.push({
            op: 'record',
            args: [target, params],
            resolve: () => resolve({ finished: new Promise<RecordingOutcome>((settle) => this.reports.set(params.name, settle)) }),
            reject,
          }),
        );
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

  refuse(op: string, err: Error): void {
    const i = this.requests.findIndex((r) => r.op === op);
    const [req] = this.requests.splice(i, 1);
    req!.reject(err);
  }

  /** The snoop channel the session asked for (its id), once answered. */
  snoopId(): string {
    const [id] = [...this.snoops.keys()];
    if (!id) throw new Error('no snoop yet');
    return id;
  }

  ops(): string[] {
    return this.log.map(([op]) => op);
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

const REQUEST = { name: 'rec-1', format: 'wav' as const, maxDurationS: 7200 };

function channel(): ChannelInfo {
  return {
    id: 'call-1',
    name: 'PJSIP/caller-0001',
    state: 'Up',
    caller: { number: '13800138000', name: '' },
    dialplan: { context: 'hotline-inbound', exten: '4008008000', priority: 1 },
    creationtime: new Date(Date.UTC(2026, 0, 5, 2, 0, 0)).toISOString(),
  };
}

describe('CallSession recording (N14)', () => {
  let clock: VirtualClock;
  let ari: ScriptedAri;
  let events: ChannelEvents;
  let session: CallSession;

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

  /** recordCaller up to a live recording: snoop answered, in the app, record answered. */
  async function recording(): Promise<LiveRecording> {
    const started = session.recordCaller(REQUEST);
    ari.answer('snoop');
    await flush();
    ari.snoops.get(ari.snoopId())!.emit('answered');
    await flush();
    ari.answer('record');
    return started;
  }

  const hangUp = () => events.emit('end', 16, undefined);

  it('N14: a snoop spying on the caller, owned by the call, is recorded once it is in the app', async () => {
    const live = await recording();
    const snoopId = ari.snoopId();
    expect(snoopId).toMatch(/^call-1-rec-[0-9a-f]{8}$/);
    expect(ari.log[0]).toEqual(['snoop', { channelId: 'call-1', snoopId, owner: 'call-1' }]);
    expect(ari.log[1]).toEqual(['record', { channelId: snoopId }]);
    expect(live).toMatchObject({ name: 'rec-1', startedAt: clock.now() });
    expect(ari.requests.find((r) => r.op === 'record')).toBeUndefined();
  });

  it('N14: the call ends while recording: the recording is stopped, then the snoop hung up; the end is Asterisk\'s', async () => {
    const live = await recording();
    await clock.advance(12_000);
    hangUp();
    await flush();
    expect(ari.ops().slice(2)).toEqual(['stopRecording']);
    ari.reports.get('rec-1')!({ state: 'done', durationS: 12 });
    const end = await live.finished;
    expect(end).toEqual({ state: 'done', endedAt: clock.now(), durationMs: 12_000 });
    await flush();
    expect(ari.log.slice(2)).toEqual([
      ['stopRecording', 'rec-1'],
      ['hangup', ari.snoopId()],
    ]);
  });

  it('N14: without Asterisk\'s report the stop ends after a grace as unknown (the file decides), and the snoop still goes', async () => {
    const live = await recording();
    hangUp();
    await flush();
    await clock.advance(3000);
    expect(await live.finished).toMatchObject({ state: 'unknown', durationMs: null });
    await flush();
    expect(ari.log.map(([op, arg]) => [op, arg === ari.snoopId() ? 'snoop' : arg])).toContainEqual(['hangup', 'snoop']);
  });

  it('N14: a hang-up while the snoop is requested: the snoop that comes is hung up, nothing is recorded', async () => {
    const started = session.recordCaller(REQUEST);
    hangUp();
    ari.answer('snoop');
    await expect(started).rejects.toThrow('call ended');
    expect(ari.ops()).toEqual(['snoop', 'hangup']);
    expect(ari.log[1]).toEqual(['hangup', ari.snoopId()]);
  });

  it('N14: a hang-up before the snoop enters the app: it is hung up, nothing is recorded', async () => {
    const started = session.recordCaller(REQUEST);
    ari.answer('snoop');
    await flush();
    hangUp();
    await expect(started).rejects.toThrow('call ended');
    expect(ari.ops()).toEqual(['snoop', 'hangup']);
  });

  it('N14: a hang-up while the record request is out: the recording Asterisk started is stopped and the snoop hung up', async () => {
    const started = session.recordCaller(REQUEST);
    ari.answer('snoop');
    await flush();
    ari.snoops.get(ari.snoopId())!.emit('answered');
    await flush();
    hangUp();
    ari.answer('record');
    const live = await started;
    await flush();
    expect(ari.ops()).toEqual(['snoop', 'record', 'stopRecording']);
    ari.reports.get('rec-1')!({ state: 'done', durationS: 0 });
    await live.finished;
    await flush();
    expect(ari.ops()).toEqual(['snoop', 'record', 'stopRecording', 'hangup']);
  });

  it('N14: Asterisk refuses the recording: the snoop is hung up and the refusal reaches the caller of recordCaller', async () => {
    const started = session.recordCaller(REQUEST);
    ari.answer('snoop');
    await flush();
    ari.snoops.get(ari.snoopId())!.emit('answered');
    await flush();
    ari.refuse('record', new Error('Recording with the same name already exists'));
    await expect(started).rejects.toThrow('same name');
    expect(ari.ops()).toEqual(['snoop', 'record', 'hangup']);
  });

  it('N14: a snoop that never enters the app is given up after 5 s and hung up', async () => {
    const started = session.recordCaller(REQUEST);
    ari.answer('snoop');
    await flush();
    const failed = expect(started).rejects.toThrow('did not enter the app');
    await clock.advance(5000);
    await failed;
    expect(ari.ops()).toEqual(['snoop', 'hangup']);
  });

  it('N14: the snoop is refused (the caller is gone): no snoop to hang up', async () => {
    const started = session.recordCaller(REQUEST);
    ari.refuse('snoop', new ChannelGoneError('call-1', 'snoop', 'Channel not found'));
    await expect(started).rejects.toBeInstanceOf(ChannelGoneError);
    expect(ari.ops()).toEqual(['snoop']);
  });

  it('N14: Asterisk ends the recording itself (its maximum length): the snoop is hung up, no stop is sent', async () => {
    const live = await recording();
    ari.reports.get('rec-1')!({ state: 'done', durationS: 7200 });
    expect(await live.finished).toMatchObject({ state: 'done', durationMs: 7_200_000 });
    await flush();
    expect(ari.ops()).toEqual(['snoop', 'record', 'hangup']);
    hangUp();
    await flush();
    expect(ari.ops()).toEqual(['snoop', 'record', 'hangup']);
  });

  it('N14: stop() twice is one stop', async () => {
    const live = await recording();
    const a = live.stop();
    const b = live.stop();
    ari.reports.get('rec-1')!({ state: 'failed', cause: 'disk full' });
    expect(await a).toMatchObject({ state: 'failed', cause: 'disk full' });
    expect(await b).toBe(await a);
    expect(ari.ops().filter((op) => op === 'stopRecording')).toHaveLength(1);
  });

  it('N14: the controller letting go of the call (detach) closes the recording: the next controller cannot know it', async () => {
    await recording();
    session.detach();
    await flush();
    expect(ari.ops()).toContain('stopRecording');
  });

  it('N14: an agent conversation is recorded once both are bridged, and the recording is stopped before the bridge goes', async () => {
    let legGone!: () => void;
    const leg = { channelId: 'leg-1', gone: new Promise<void>((resolve) => (legGone = resolve)) };
    const started: LiveRecording[] = [];
    const bridged = session.bridge(leg, new AbortController().signal, {
      record: { request: REQUEST, started: (r) => started.push(r), failed: (err) => { throw err; } },
    });
    ari.answer('createBridge');
    await flush();
    ari.answer('addToBridge');
    await flush();
    expect(ari.ops()).not.toContain('record'); // not before the agent is in
    ari.answer('addToBridge');
    await flush();
    expect(ari.log.at(-1)).toEqual(['record', { bridgeId: 'call-call-1' }]);
    ari.answer('record');
    await flush();
    expect(started).toHaveLength(1);
    await clock.advance(30_000);
    legGone();
    await flush();
    expect(ari.ops().slice(-1)).toEqual(['stopRecording']);
    ari.reports.get('rec-1')!({ state: 'done', durationS: 30 });
    await flush();
    ari.answer('destroyBridge');
    expect(await bridged).toBe('leg');
    expect(await started[0]!.finished).toMatchObject({ state: 'done', durationMs: 30_000 });
    expect(ari.ops()).toEqual(['createBridge', 'addToBridge', 'addToBridge', 'record', 'stopRecording', 'destroyBridge']);
  });

  it('N14: a bridge recording Asterisk refuses is reported; the conversation goes on', async () => {
    const leg = { channelId: 'leg-1', gone: new Promise<void>(() => undefined) };
    const failures: unknown[] = [];
    const bridged = session.bridge(leg, new AbortController().signal, {
      record: { request: REQUEST, started: () => { throw new Error('not started'); }, failed: (err) => failures.push(err) },
    });
    ari.answer('createBridge');
    await flush();
    ari.answer('addToBridge');
    await flush();
    ari.answer('addToBridge');
    await flush();
    ari.refuse('record', new Error('Recorder channel unavailable'));
    await flush();
    expect(failures).toHaveLength(1);
    hangUp();
    await flush();
    ari.answer('destroyBridge');
    expect(await bridged).toBe('caller');
    expect(ari.ops()).not.toContain('stopRecording');
  });
});

describe('CallSession decline key (N14)', () => {
  let clock: VirtualClock;
  let ari: ScriptedAri;
  let events: ChannelEvents;
  let session: CallSession;

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

  it('N14: with stopKeys only the decline key stops the prompt; it is taken, other keys stay for the menu', async () => {
    const played = session.play(['recording.notice'], { stopKeys: ['9'] });
    await flush();
    const request = ari.answer('play');
    await flush();
    events.emit('dtmf', '1');
    await flush();
    expect(ari.ops()).not.toContain('stopPlayback');
    events.emit('dtmf', '9');
    expect(await played).toEqual({ interrupted: true, by: 'dtmf', key: '9' });
    expect(ari.log).toContainEqual(['stopPlayback', request.args[0]]);
    expect(await session.nextDigit(0)).toBe('1');
    expect(session.hasTypeAhead()).toBe(false);
  });

  it('N14: the decline key pressed while the play request is on its way stops the prompt as soon as it exists', async () => {
    const played = session.play(['recording.notice'], { stopKeys: ['9'] });
    await flush();
    events.emit('dtmf', '9');
    ari.answer('play');
    expect(await played).toEqual({ interrupted: true, by: 'dtmf', key: '9' });
    expect(ari.ops()).toContain('stopPlayback');
    expect(session.hasTypeAhead()).toBe(false);
  });

  it('N14: waitForKey ends on the key (taken), ignores others (kept), and times out with null', async () => {
    const waiting = session.waitForKey(['9'], 2000);
    events.emit('dtmf', '3');
    events.emit('dtmf', '9');
    expect(await waiting).toBe('9');
    expect(await session.nextDigit(0)).toBe('3');
    const none = session.waitForKey(['9'], 2000);
    await clock.advance(2000);
    expect(await none).toBeNull();
  });

  it('N14: waitForKey is a listening window (N5) and ends with the call', async () => {
    const waiting = session.waitForKey(['9'], 2000);
    events.emit('end', 16, undefined);
    await expect(waiting).rejects.toThrow('call ended');
  });
});
