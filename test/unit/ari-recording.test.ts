// N14: the adapter's side of recording. A snoop channel enters the app too: it must never be
// taken for a new caller, and one left by a lost call is hung up like an orphaned leg. Recording
// waiters settle on Asterisk's report, or 'gone' when the recorded channel leaves without one.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AriAdapter } from '../../src/ari/ari-adapter.js';
import type { ChannelInfo } from '../../src/ari/types.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { notFound, ScriptedSocket, ScriptedTransport } from './support/scripted-ari.js';

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}

function channel(id: string, appData = 'hotline'): ChannelInfo {
  return {
    id,
    name: `Snoop/${id}`,
    state: 'Up',
    caller: { number: '13800138000', name: '' },
    dialplan: { context: 'hotline-inbound', exten: '4008008000', priority: 3, app_name: 'Stasis', app_data: appData },
    creationtime: '2026-11-22T10:00:00.000+0000',
  };
}

async function setup() {
  const socket = new ScriptedSocket();
  const listings: Array<(channels: ChannelInfo[]) => void> = [];
  const requests: Array<[string, Record<string, unknown>]> = [];
  const hangups: string[] = [];
  const id = (path: string, at: number) => decodeURIComponent(path.split('/')[at]!);
  const transport = new ScriptedTransport()
    .on('GET channels', () => new Promise<ChannelInfo[]>((resolve) => listings.push(resolve)))
    .on('DELETE channels/:id', (r) => {
      hangups.push(id(r.path, 1));
    })
    .on('POST channels/:id/snoop', (r) => {
      requests.push(['snoopChannel', { channelId: id(r.path, 1), ...r.query }]);
      return {};
    })
    .on('POST channels/:id/record', (r) => {
      requests.push(['channels.record', { channelId: id(r.path, 1), ...r.query }]);
      return {};
    })
    .on('POST bridges/:id/record', (r) => {
      requests.push(['bridges.record', { bridgeId: id(r.path, 1), ...r.query }]);
      return {};
    })
    .on('POST recordings/live/:name/stop', () => Promise.reject(notFound('Recording')))
    .on('GET recordings/stored/:name', (r) => (id(r.path, 2) === 'kept' ? { name: 'kept', format: 'wav' } : Promise.reject(notFound('Recording'))))
    .on('DELETE recordings/stored/:name', (r) => (id(r.path, 2) === 'kept' ? undefined : Promise.reject(notFound('Recording'))));
  const adapter = new AriAdapter({ url: 'http://127.0.0.1:1', user: 'u', password: 'p', app: 'hotline' }, pino({ level: 'silent' }), {
    clock: new VirtualClock(),
    links: { socket, transport },
  });
  const calls: string[] = [];
  adapter.on('call', (c) => calls.push(c.id));
  await adapter.start();
  socket.open();
  await settle();
  const resolve = listings.shift();
  return {
    adapter,
    socket,
    calls,
    hangups,
    requests,
    answerListing: async (channels: ChannelInfo[]) => {
      (resolve ?? listings.shift())!(channels);
      await settle();
    },
    listings,
  };
}

describe('snoop channels (N14)', () => {
  it('N14: a snoop is requested spying both ways into the app with role snoop and its call, and is not a new call when it enters', async () => {
    const { adapter, socket, calls, requests, answerListing } = await setup();
    await answerListing([]);
    const snoop = await adapter.snoop({ channelId: 'caller-1', snoopId: 'caller-1-rec-a', owner: 'caller-1' });
    expect(requests).toEqual([
      ['snoopChannel', { channelId: 'caller-1', snoopId: 'caller-1-rec-a', spy: 'both', whisper: 'none', app: 'hotline', appArgs: 'snoop,caller-1' }],
    ]);
    let inApp = false;
    snoop.events.on('answered', () => (inApp = true));
    snoop.release();
    socket.send({ type: 'StasisStart', channel: channel('caller-1-rec-a', 'hotline,snoop,caller-1'), args: ['snoop', 'caller-1'] });
    expect(inApp).toBe(true);
    expect(calls).toEqual([]);
    expect(adapter.roleOf('caller-1-rec-a')).toBe('snoop');
  });

  it('N14: a snoop of a call this controller does not have (a previous controller\'s) is hung up, never taken for a caller', async () => {
    const { socket, calls, hangups, answerListing } = await setup();
    await answerListing([]);
    socket.send({ type: 'StasisStart', channel: channel('old-rec', 'hotline,snoop,old-call'), args: ['snoop', 'old-call'] });
    await settle();
    expect(calls).toEqual([]);
    expect(hangups).toEqual(['old-rec']);
  });

  it('N14: after a reconnect, a listed snoop of a lost call is hung up, not adopted', async () => {
    const { calls, hangups, answerListing } = await setup();
    await answerListing([channel('caller'), channel('old-rec', 'hotline,snoop,old-call')]);
    expect(calls).toEqual(['caller']);
    expect(hangups).toEqual(['old-rec']);
  });
});

describe('recording waiters (N14)', () => {
  it('N14: a channel recording is requested without beep, silence or key limits, and settles with Asterisk\'s report', async () => {
    const { adapter, socket, requests, answerListing } = await setup();
    await answerListing([]);
    await adapter.snoop({ channelId: 'caller-1', snoopId: 'snoop-1', owner: 'caller-1' });
    const { finished } = await adapter.record({ channelId: 'snoop-1' }, { name: 'rec-1', format: 'wav', maxDurationS: 7200 });
    expect(requests[1]).toEqual([
      'channels.record',
      { channelId: 'snoop-1', name: 'rec-1', format: 'wav', maxDurationSeconds: 7200, maxSilenceSeconds: 0, ifExists: 'fail', beep: false, terminateOn: 'none' },
    ]);
    socket.send({ type: 'RecordingStarted', recording: { name: 'rec-1', format: 'wav', state: 'recording' } });
    socket.send({ type: 'RecordingFinished', recording: { name: 'rec-1', format: 'wav', state: 'done', duration: 42 } });
    expect(await finished).toEqual({ state: 'done', durationS: 42 });
  });

  it('N14: RecordingFailed settles failed with its cause', async () => {
    const { adapter, socket, answerListing } = await setup();
    await answerListing([]);
    const { finished } = await adapter.record({ bridgeId: 'call-x' }, { name: 'rec-2', format: 'wav', maxDurationS: 60 });
    socket.send({ type: 'RecordingFailed', recording: { name: 'rec-2', format: 'wav', state: 'failed', cause: 'disk full' } });
    expect(await finished).toEqual({ state: 'failed', cause: 'disk full' });
  });

  it('N14: a bridge recording goes to the bridge', async () => {
    const { adapter, requests, answerListing } = await setup();
    await answerListing([]);
    await adapter.record({ bridgeId: 'call-x' }, { name: 'rec-3', format: 'wav', maxDurationS: 60 });
    expect(requests[0]).toMatchObject(['bridges.record', { bridgeId: 'call-x', name: 'rec-3', ifExists: 'fail' }]);
  });

  it('N14: the recorded snoop leaving without a report settles the waiter gone (the file decides)', async () => {
    const { adapter, socket, answerListing } = await setup();
    await answerListing([]);
    const snoop = await adapter.snoop({ channelId: 'caller-1', snoopId: 'snoop-1', owner: 'caller-1' });
    snoop.release();
    const { finished } = await adapter.record({ channelId: 'snoop-1' }, { name: 'rec-4', format: 'wav', maxDurationS: 60 });
    socket.send({ type: 'StasisEnd', channel: channel('snoop-1') });
    expect(await finished).toEqual({ state: 'gone' });
  });

  it('N14: the adapter stopping settles every recording waiter gone', async () => {
    const { adapter, answerListing } = await setup();
    await answerListing([]);
    const { finished } = await adapter.record({ bridgeId: 'b' }, { name: 'rec-5', format: 'wav', maxDurationS: 60 });
    adapter.stop();
    expect(await finished).toEqual({ state: 'gone' });
  });

  it('N14: stopping a recording that has ended is no error; stored recordings that are not there are undefined / false', async () => {
    const { adapter, answerListing } = await setup();
    await answerListing([]);
    await expect(adapter.stopRecording('rec-gone')).resolves.toBeUndefined();
    expect(await adapter.storedRecording('rec-gone')).toBeUndefined();
    expect(await adapter.storedRecording('kept')).toEqual({ name: 'kept', format: 'wav' });
    expect(await adapter.deleteStoredRecording('rec-gone')).toBe(false);
    expect(await adapter.deleteStoredRecording('kept')).toBe(true);
  });
});
