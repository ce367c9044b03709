// Issue 12: every caller BYE was logged with hangup_cause 0 (AMI's Hangup says 0 "Unknown" for a
// BYE without a Reason header). A call's end is now read from everything Asterisk reports: the
// first hang-up request in its order says who (not soft: the caller's far end; soft: the
// controller when it asked, Asterisk when shutting down), and the Q.850 cause comes from the
// channel's final cause or the far end's request; a plain BYE is 16, normal clearing.
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { AmiMonitor } from '../../src/ami/ami-monitor.js';
import { AriAdapter } from '../../src/ari/ari-adapter.js';
import type { AriRequest } from '../../src/ari/ari-request.js';
import type { AriEvent, ChannelInfo } from '../../src/ari/types.js';
import { CallRegistry } from '../../src/calls/call-registry.js';
import { createCallHandler } from '../../src/calls/handle-call.js';
import { HangupReport } from '../../src/calls/hangup-report.js';
import type { VirtualClock } from '../../src/clock/virtual-clock.js';
import type { CallEnd, EventType, Recorder } from '../../src/store/events.js';
import { flowFromYaml, newTestClock } from './support/fake-call.js';
import { ScriptedSocket, ScriptedTransport } from './support/scripted-ari.js';

describe('HangupReport: who hung up, and the Q.850 cause', () => {
  it("a caller's BYE as Asterisk 22.4+ reports it (ChannelHangupRequest with cause 16): by the caller, 16", () => {
    const report = new HangupReport();
    report.request('ari', false, 16);
    expect(report.settled).toBe(true);
    expect(report.decide()).toEqual({ by: 'caller', cause: 16 });
  });

  it("issue 12: a caller's plain BYE whose only cause is AMI's Hangup 0 (\"Unknown\") is logged 16, normal clearing, by the caller", () => {
    const report = new HangupReport();
    report.request('ari', false, undefined);
    expect(report.settled).toBe(false); // waits a moment for AMI's Hangup
    report.request('ami', false, 0);
    report.request('ami', true, undefined, 16); // a soft request's flag is never taken for a cause
    report.finalCause(0, 'Unknown');
    expect(report.settled).toBe(true);
    expect(report.decide()).toEqual({ by: 'caller', cause: 16, causeText: 'Normal Clearing' });
  });

  it('a BYE whose Reason header gave a cause keeps it (final cause 41, temporary failure)', () => {
    const report = new HangupReport();
    report.request('ari', false, 41);
    report.finalCause(41, 'Temporary failure');
    expect(report.decide()).toEqual({ by: 'caller', cause: 41, causeText: 'Temporary failure' });
  });

  it("the controller's own hang-up (a soft request, flag 32): by the system, 16", () => {
    const report = new HangupReport();
    report.controllerHangsUp();
    report.request('ari', true, undefined, 32);
    expect(report.settled).toBe(true);
    expect(report.decide()).toEqual({ by: 'system', cause: 16, causeText: 'Normal Clearing' });
  });

  it("race: the controller hangs up while Asterisk already took the caller's BYE: by the caller", () => {
    const report = new HangupReport();
    report.controllerHangsUp();
    report.request('ari', false, 16);
    report.request('ari', true, undefined, 32);
    expect(report.decide()).toEqual({ by: 'caller', cause: 16 });
  });

  it("race: the controller's hang-up taken first, the caller's BYE after it: by the system", () => {
    const report = new HangupReport();
    report.controllerHangsUp();
    report.request('ari', true, undefined, 32);
    report.request('ari', false, 16);
    expect(report.decide()).toMatchObject({ by: 'system', cause: 16 });
  });

  it('Asterisk shutting down (soft request, flag 4): by the system, marked shutdown; its cause only when Asterisk gave one', () => {
    const report = new HangupReport();
    report.request('ari', true, undefined, 4);
    report.finalCause(0);
    expect(report.decide()).toEqual({ by: 'system', shutdown: true });
    const withCause = new HangupReport();
    withCause.request('ami', true, undefined, 4);
    withCause.finalCause(16, 'Normal Clearing');
    expect(withCause.decide()).toEqual({ by: 'system', shutdown: true, cause: 16, causeText: 'Normal Clearing' });
  });

  it("ARI's order is trusted over AMI's (two links race): AMI's soft request first, ARI's far-end request: the caller", () => {
    const report = new HangupReport();
    report.controllerHangsUp();
    report.request('ami', true, undefined, 32);
    report.request('ari', false, 16);
    expect(report.decide().by).toBe('caller');
  });

  it('no word from Asterisk at all (the channel vanished while events were down): the caller, cause unknown', () => {
    const report = new HangupReport();
    expect(report.decide()).toEqual({ by: 'caller' });
  });

  it('property: the cause is never 0 nor a softhangup flag; it is what Asterisk gave as Q.850, or 16; the first request in ARI order decides who', () => {
    const observation = fc.oneof(
      fc.record({ kind: fc.constant('request' as const), link: fc.constantFrom('ari' as const, 'ami' as const), soft: fc.boolean(), cause: fc.option(fc.integer({ min: 0, max: 127 }), { nil: undefined }) }),
      fc.record({ kind: fc.constant('final' as const), cause: fc.option(fc.integer({ min: 0, max: 127 }), { nil: undefined }) }),
      fc.constant({ kind: 'controller' as const }),
    );
    fc.assert(
      fc.property(fc.array(observation, { maxLength: 8 }), (seen) => {
        const report = new HangupReport();
        const q850 = new Set<number>([16]);
        for (const o of seen) {
          if (o.kind === 'controller') report.controllerHangsUp();
          else if (o.kind === 'final') {
            report.finalCause(o.cause);
            if (o.cause) q850.add(o.cause);
          } else if (o.soft) report.request(o.link, true, undefined, o.cause);
          else {
            report.request(o.link, false, o.cause);
            if (o.cause) q850.add(o.cause);
          }
        }
        const { by, cause, shutdown } = report.decide();
        if (cause !== undefined) expect(q850.has(cause)).toBe(true);
        expect(cause).not.toBe(0);
        const requests = seen.filter((o) => o.kind === 'request');
        const first = requests.find((o) => o.link === 'ari') ?? requests[0];
        const controller = seen.some((o) => o.kind === 'controller');
        if (first && !first.soft) expect(by).toBe('caller');
        if (!first) expect(by).toBe(controller ? 'system' : 'caller');
        if (shutdown) expect(by).toBe('system');
      }),
    );
  });
});

/** asterisk-manager as the monitor uses it, fed events by the test. */
class ScriptedManager extends EventEmitter {
  disconnect(): void {}
  isConnected(): boolean {
    return true;
  }
  event(fields: Record<string, unknown>): void {
    this.emit('managerevent', fields);
  }
}

describe('AmiMonitor: hang-up requests, causes and shutdown', () => {
  function monitor() {
    const manager = new ScriptedManager();
    const ami = new AmiMonitor({ host: '127.0.0.1', port: 5038, user: 'u', secret: 's' }, pino({ level: 'silent' }), newTestClock(), () => manager);
    const seen: unknown[] = [];
    ami.on('hangup', (...a) => seen.push(['hangup', ...a]));
    ami.on('hangup-request', (...a) => seen.push(['hangup-request', ...a]));
    ami.on('shutdown', () => seen.push(['shutdown']));
    ami.start();
    manager.event({ event: 'FullyBooted' });
    return { manager, ami, seen };
  }

  it('HangupRequest is the far end (its Cause Q.850), SoftHangupRequest is soft (its Cause a flag), Hangup is the final cause', () => {
    const { manager, seen } = monitor();
    manager.event({ event: 'HangupRequest', uniqueid: '1712.3' });
    manager.event({ event: 'SoftHangupRequest', uniqueid: '1712.3', cause: '16' });
    manager.event({ event: 'Hangup', uniqueid: '1712.3', cause: '0', 'cause-txt': 'Unknown' });
    expect(seen).toEqual([
      ['hangup-request', '1712.3', false, undefined],
      ['hangup-request', '1712.3', true, 16],
      ['hangup', '1712.3', 0, 'Unknown'],
    ]);
  });

  it("issue 12: Asterisk's Shutdown event, or the first channel's shutdown soft hang-up (flag 4), says shutdown once per connection", () => {
    const { manager, seen } = monitor();
    manager.event({ event: 'SoftHangupRequest', uniqueid: 'a', cause: '4' });
    manager.event({ event: 'SoftHangupRequest', uniqueid: 'b', cause: '4' });
    manager.event({ event: 'Shutdown', shutdown: 'Uncleanly', restart: 'True' });
    expect(seen.filter((s) => (s as string[])[0] === 'shutdown')).toHaveLength(1);
  });
});

// Through the call handler, with the adapter's events and AMI's reports as the controller wires them.
const FLOW = flowFromYaml(`
hotline: { name: Test line, number: "4008008000" }
ring: { cadence: { onMs: 300, offMs: 200 }, answerAfterRings: 1 }
steps:
  answer: { verb: answer, next: menu }
  menu: { verb: menu, prompt: menu.main, timeoutMs: 5000, options: { "1": bye }, invalid: { tries: 1, then: bye }, noInput: { tries: 1, then: bye } }
  bye: { verb: hangup }
`);

let clock: VirtualClock;
let socket: ScriptedSocket;
let registry: CallRegistry;
let ended: Map<string, CallEnd>;
let running: Array<Promise<void>>;

function caller(id: string): ChannelInfo {
  return {
    id,
    name: `PJSIP/trunk-${id}`,
    state: 'Ring',
    caller: { number: '13800138000', name: '' },
    dialplan: { context: 'hotline-inbound', exten: '4008008000', priority: 3, app_name: 'Stasis', app_data: 'hotline' },
    creationtime: new Date(clock.now()).toISOString(),
  };
}

beforeEach(async () => {
  clock = newTestClock(new Date('2026-03-10T10:00:00+08:00').getTime());
  socket = new ScriptedSocket();
  const idOf = (r: AriRequest) => decodeURIComponent(r.path.split('/')[1]!);
  const forever = new AbortController().signal;
  const transport = new ScriptedTransport()
    .on('GET channels', () => [])
    .on('POST channels/:id/play', (r) => {
      const id = String(r.query?.playbackId);
      clock.timer(1000, forever, () => socket.send({ type: 'PlaybackFinished', playback: { id, target_uri: `channel:${idOf(r)}`, state: 'done' } }));
      return { id };
    })
    // Asterisk takes the controller's hang-up: a soft request (flag 32), then the channel leaves.
    .on('DELETE channels/:id', (r) => {
      const channel = caller(idOf(r));
      clock.timer(2, forever, () => {
        socket.send({ type: 'ChannelHangupRequest', channel, cause: 32, soft: true });
        socket.send({ type: 'StasisEnd', channel });
      });
    });
  const logger = pino({ level: 'silent' });
  const ari = new AriAdapter({ url: 'http://127.0.0.1:1', user: 'u', password: 'p', app: 'hotline' }, logger, { clock, links: { socket, transport } });
  const events: Array<{ callId: string; type: EventType; data: unknown }> = [];
  ended = new Map();
  const recorder: Recorder = {
    callStarted: () => undefined,
    callAnswered: () => undefined,
    callStep: () => undefined,
    callEnded: (id, end) => void ended.set(id, end),
    event: (callId, type, data) => void events.push({ callId, type, data }),
    flush: () => undefined,
    close: () => undefined,
  };
  registry = new CallRegistry();
  const handle = createCallHandler({ ari, recorder, registry, currentFlow: () => FLOW, clock, logger, signal: new AbortController().signal });
  running = [];
  ari.on('call', (channel, adopted) => void running.push(handle(channel, { adopted })));
  await ari.start();
  socket.open();
  await clock.advance(0);
  hangupOf = (id) => events.find((e) => e.callId === id && e.type === 'call.hangup')?.data;
});

let hangupOf: (id: string) => unknown;

/** A caller's BYE as Asterisk reports it on ARI (request, the channel leaves) and on AMI (as the controller wires it). */
function bye(id: string, ari: AriEvent[] = [{ type: 'ChannelHangupRequest', channel: caller(id) }], amiCause = 0) {
  for (const event of ari) socket.send(event);
  socket.send({ type: 'StasisEnd', channel: caller(id) });
  const call = registry.get(id);
  call?.noteHangupRequest('ami', false, undefined);
  call?.noteFinalCause(amiCause, amiCause === 0 ? 'Unknown' : undefined);
}

describe('call.hangup through the call handler (issue 12)', () => {
  it("issue 12: a caller's plain BYE in the menu: call.hangup { by: 'caller', cause: 16 } and hangup_cause 16 on the calls row, at once", async () => {
    socket.send({ type: 'StasisStart', channel: caller('c1') });
    await clock.advance(3000);
    bye('c1');
    await clock.advance(0);
    await Promise.all(running);
    expect(hangupOf('c1')).toEqual({ by: 'caller', cause: 16, causeText: 'Normal Clearing' });
    expect(ended.get('c1')).toMatchObject({ hangupBy: 'caller', hangupCause: 16, outcome: 'abandoned' });
  });

  it("a BYE whose ChannelHangupRequest carries its cause (Asterisk 22.4+) needs nothing from AMI", async () => {
    socket.send({ type: 'StasisStart', channel: caller('c2') });
    await clock.advance(3000);
    socket.send({ type: 'ChannelHangupRequest', channel: caller('c2'), cause: 16 });
    socket.send({ type: 'StasisEnd', channel: caller('c2') });
    await clock.advance(0);
    await Promise.all(running);
    expect(hangupOf('c2')).toEqual({ by: 'caller', cause: 16 });
  });

  it("the system hangs up (the menu's fallback): by 'system', 16, not the soft request's flag 32", async () => {
    socket.send({ type: 'StasisStart', channel: caller('c3') });
    await clock.advance(80_000);
    await Promise.all(running);
    expect(hangupOf('c3')).toEqual({ by: 'system', cause: 16, causeText: 'Normal Clearing' });
    expect(ended.get('c3')).toMatchObject({ hangupBy: 'system', hangupCause: 16, outcome: 'completed' });
  });

  it('Asterisk restarting (core restart now): by the system, marked shutdown', async () => {
    socket.send({ type: 'StasisStart', channel: caller('c4') });
    await clock.advance(3000);
    bye('c4', [{ type: 'ChannelHangupRequest', channel: caller('c4'), cause: 4, soft: true }]);
    await clock.advance(600);
    await Promise.all(running);
    expect(hangupOf('c4')).toMatchObject({ by: 'system', shutdown: true });
  });
});
