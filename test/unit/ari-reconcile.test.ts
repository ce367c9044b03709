// N14: on every (re)connect the adapter compares its channels with Asterisk's listing. Events
// already flow while the listing is on its way, so the listing must not undo what they said.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AriAdapter } from '../../src/ari/ari-adapter.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import type { ChannelInfo } from '../../src/ari/types.js';
import { ScriptedSocket, ScriptedTransport } from './support/scripted-ari.js';

function channel(id: string, app = 'hotline'): ChannelInfo {
  return {
    id,
    name: `Local/${id}`,
    state: 'Ring',
    caller: { number: '13800138000', name: '' },
    dialplan: { context: 'hotline-inbound', exten: '4008008000', priority: 3, app_name: 'Stasis', app_data: app },
    creationtime: '2026-11-22T10:00:00.000+0000',
  };
}

/** Lets the scripted transport's answers and what follows them run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}

/** An adapter whose channel listing answers only when the test says so. */
async function setup() {
  const socket = new ScriptedSocket();
  const listings: Array<(channels: ChannelInfo[]) => void> = [];
  const originates: Array<() => void> = [];
  const hangups: string[] = [];
  const plays: string[] = [];
  const transport = new ScriptedTransport()
    .on('GET channels', () => new Promise<ChannelInfo[]>((resolve) => listings.push(resolve)))
    .on('POST channels', () => new Promise<void>((resolve) => originates.push(resolve)))
    .on('DELETE channels/:id', (r) => {
      hangups.push(decodeURIComponent(r.path.split('/')[1]!));
    })
    .on('POST channels/:id/play', (r) => {
      plays.push(String(r.query?.playbackId));
    });
  const clock = new VirtualClock();
  const adapter = new AriAdapter({ url: 'http://127.0.0.1:1', user: 'u', password: 'p', app: 'hotline' }, pino({ level: 'silent' }), {
    clock,
    links: { socket, transport },
  });
  const calls: Array<{ id: string; adopted: boolean; callback?: number }> = [];
  const ends: string[] = [];
  adapter.on('call', (c, adopted, callback) => {
    calls.push({ id: c.id, adopted, ...(callback ? { callback: callback.callback } : {}) });
    adapter.events(c.id)?.on('end', () => ends.push(c.id));
  });
  await adapter.start();
  const answerListing = async (channels: ChannelInfo[]) => {
    await settle();
    const resolve = listings.shift();
    if (!resolve) throw new Error('no listing was requested');
    resolve(channels);
    await settle();
  };
  return { adapter, socket, calls, ends, answerListing, originates, hangups, plays, clock, transport };
}

describe('reconcile after connect', () => {
  it('adopts a channel that was waiting in the app, and hands out a new one as a new call', async () => {
    const { socket, calls, answerListing } = await setup();
    socket.open();
    await answerListing([channel('waiting'), channel('other-app', 'someone-else'), channel('leg', 'hotline,agent-leg,call-9')]);
    socket.send({ type: 'StasisStart', channel: channel('new') });
    expect(calls).toEqual([
      { id: 'waiting', adopted: true },
      { id: 'new', adopted: false },
    ]);
  });

  it('a call that enters while the listing is on its way is not ended as vanished', async () => {
    const { adapter, socket, calls, ends, answerListing } = await setup();
    socket.open();
    // The listing was taken before this caller arrived; its StasisStart beats the reply.
    socket.send({ type: 'StasisStart', channel: channel('caller') });
    await answerListing([]);
    expect(calls).toEqual([{ id: 'caller', adopted: false }]);
    expect(ends).toEqual([]);
    expect(adapter.events('caller')).toBeDefined();
  });

  it('a known channel missing from the listing is ended as vanished', async () => {
    const { adapter, socket, calls, ends, answerListing } = await setup();
    socket.open();
    await answerListing([]);
    socket.send({ type: 'StasisStart', channel: channel('caller') });
    // The link drops and comes back; meanwhile the caller hung up and no event said so.
    socket.open();
    await answerListing([]);
    expect(calls).toEqual([{ id: 'caller', adopted: false }]);
    expect(ends).toEqual(['caller']);
    expect(adapter.events('caller')).toBeUndefined();
  });

  it('a channel that left while the listing was on its way is not adopted', async () => {
    const { socket, calls, answerListing } = await setup();
    socket.open();
    socket.send({ type: 'StasisEnd', channel: channel('gone') });
    await answerListing([channel('gone')]);
    expect(calls).toEqual([]);
  });

  it('an agent leg still being dialled when the listing is taken is not ended as vanished', async () => {
    const { adapter, socket, calls, answerListing, originates } = await setup();
    socket.open();
    await answerListing([]);
    const dialling = adapter.originate({ channelId: 'leg', endpoint: 'PJSIP/1001', callerId: '', timeoutS: 4, role: 'agent-leg', owner: 'call-1' });
    const legEnds: string[] = [];
    adapter.events('leg')?.on('end', () => legEnds.push('leg'));
    // The link drops and comes back before Asterisk has answered the originate request.
    socket.open();
    await answerListing([]);
    await settle();
    originates.shift()?.();
    const leg = await dialling;
    let answered = false;
    leg.events.on('end', () => legEnds.push('leg'));
    leg.events.on('answered', () => (answered = true));
    leg.release();
    expect(legEnds).toEqual([]);
    // The agent answers: it is still this call's leg, not a new call.
    socket.send({ type: 'StasisStart', channel: channel('leg', 'hotline,agent-leg,call-1'), args: ['agent-leg', 'call-1'] });
    expect(answered).toBe(true);
    expect(calls).toEqual([]);
    expect(adapter.roleOf('leg')).toBe('agent-leg');
  });
});

describe('channel roles after a reconnect', () => {
  it('adopts inbound callers only; agent and callback legs of a lost call are hung up, not adopted', async () => {
    const { socket, calls, answerListing, hangups } = await setup();
    socket.open();
    await answerListing([
      channel('caller'),
      channel('agent', 'hotline,agent-leg,old-call'),
      channel('callee', 'hotline,callback-leg,old-call'),
      channel('legacy', 'hotline,agent,old-call'),
    ]);
    expect(calls).toEqual([{ id: 'caller', adopted: true }]);
    expect(hangups.sort()).toEqual(['agent', 'callee', 'legacy']);
  });

  it('N14: an answered agent leg whose caller is adopted now is kept for that caller\'s flow, which takes it back with its events', async () => {
    const { adapter, socket, calls, answerListing, hangups, clock } = await setup();
    socket.open();
    await answerListing([
      channel('caller'),
      { ...channel('agent', 'hotline,agent-leg,caller'), state: 'Up' },
      // Still ringing for the caller: no conversation to keep.
      channel('ringing', 'hotline,agent-leg,caller'),
      // Answered, but for a caller who is not here any more.
      { ...channel('other', 'hotline,agent-leg,old-call'), state: 'Up' },
    ]);
    expect(calls).toEqual([{ id: 'caller', adopted: true }]);
    expect(hangups.sort()).toEqual(['other', 'ringing']);
    // Only the owner takes it, once.
    expect(adapter.takeAdoptedLeg('agent', 'someone-else')).toBeUndefined();
    const events = adapter.takeAdoptedLeg('agent', 'caller');
    expect(events).toBeDefined();
    expect(adapter.takeAdoptedLeg('agent', 'caller')).toBeUndefined();
    const keys: string[] = [];
    events!.on('dtmf', (d) => keys.push(d));
    socket.send({ type: 'ChannelDtmfReceived', channel: channel('agent'), digit: '5' });
    expect(keys).toEqual(['5']);
    // Taken: not hung up when the claim time passes.
    await clock.advance(60_000);
    await settle();
    expect(hangups).not.toContain('agent');
  });

  it('N8 N14: an answered callback callee is adopted as that callback\'s call, and its agent leg kept for it; a callee still ringing is hung up', async () => {
    const { adapter, socket, calls, answerListing, hangups } = await setup();
    socket.open();
    await answerListing([
      { ...channel('callee', 'hotline,callback-leg,callback-12'), state: 'Up' },
      { ...channel('agent', 'hotline,agent-leg,callee'), state: 'Up' },
      channel('ringing-callee', 'hotline,callback-leg,callback-13'),
      // An owner that names no callback: nothing to adopt it as.
      { ...channel('odd', 'hotline,callback-leg,somebody'), state: 'Up' },
    ]);
    expect(calls).toEqual([{ id: 'callee', adopted: true, callback: 12 }]);
    expect(hangups.sort()).toEqual(['odd', 'ringing-callee']);
    expect(adapter.takeAdoptedLeg('agent', 'callee')).toBeDefined();
  });

  it('N14: a kept agent leg its caller\'s flow does not take back within 15 s is hung up as an orphan', async () => {
    const { adapter, socket, answerListing, hangups, clock } = await setup();
    socket.open();
    await answerListing([channel('caller'), { ...channel('agent', 'hotline,agent-leg,caller'), state: 'Up' }]);
    await clock.advance(14_000);
    await settle();
    expect(hangups).toEqual([]);
    await clock.advance(1000);
    await settle();
    expect(hangups).toEqual(['agent']);
    expect(adapter.takeAdoptedLeg('agent', 'caller')).toBeUndefined();
  });

  it('N14: kept legs the adopted call will not take back are hung up at once, all but the one its conversation goes on with', async () => {
    const { adapter, socket, answerListing, hangups } = await setup();
    socket.open();
    await answerListing([
      channel('caller'),
      { ...channel('talking', 'hotline,agent-leg,caller'), state: 'Up' },
      { ...channel('whispered', 'hotline,agent-leg,caller'), state: 'Up' },
    ]);
    adapter.endKeptLegs('caller', 'talking');
    await settle();
    expect(hangups).toEqual(['whispered']);
    expect(adapter.takeAdoptedLeg('whispered', 'caller')).toBeUndefined();
    expect(adapter.takeAdoptedLeg('talking', 'caller')).toBeDefined();
  });

  it('N14: a kept agent leg that leaves before its caller\'s flow takes it is not handed out', async () => {
    const { adapter, socket, answerListing } = await setup();
    socket.open();
    await answerListing([channel('caller'), { ...channel('agent', 'hotline,agent-leg,caller'), state: 'Up' }]);
    socket.send({ type: 'StasisEnd', channel: channel('agent') });
    expect(adapter.takeAdoptedLeg('agent', 'caller')).toBeUndefined();
  });

  it('an agent leg of a previous controller that answers now is hung up, not taken for a new call', async () => {
    const { socket, calls, answerListing, hangups } = await setup();
    socket.open();
    await answerListing([]);
    socket.send({ type: 'StasisStart', channel: channel('late-agent', 'hotline,agent-leg,old-call'), args: ['agent-leg', 'old-call'] });
    await settle();
    expect(calls).toEqual([]);
    expect(hangups).toEqual(['late-agent']);
  });
});

describe('prompts lost by Asterisk (a play in the instant a bridge goes)', () => {
  async function playing(state: string, checkStart = true) {
    const h = await setup();
    const gets: string[] = [];
    const deletes: string[] = [];
    h.transport
      .on('GET playbacks/:id', (r) => {
        gets.push(decodeURIComponent(r.path.split('/')[1]!));
        return { id: 'x', state };
      })
      .on('DELETE playbacks/:id', (r) => {
        deletes.push(decodeURIComponent(r.path.split('/')[1]!));
      });
    h.socket.open();
    await h.answerListing([]);
    h.socket.send({ type: 'StasisStart', channel: channel('c5') });
    const { finished } = await h.adapter.play('c5', ['sound:bye'], 'pb-5', { checkStart });
    const outcome: string[] = [];
    void finished.then((o) => outcome.push(o));
    return { ...h, gets, deletes, outcome };
  }

  it('N5: a prompt still queued a second after its request is stopped and played again; the same waiter follows it to its end', async () => {
    const { socket, clock, gets, deletes, plays, outcome, adapter } = await playing('queued');
    await clock.advance(999);
    await settle();
    expect(gets).toEqual([]);
    await clock.advance(1);
    await settle();
    expect(gets).toEqual(['pb-5']);
    expect(deletes).toEqual(['pb-5']);
    expect(plays).toEqual(['pb-5', 'pb-5-again']);
    // A late end of the lost one changes nothing; the one played again ends the wait.
    socket.send({ type: 'PlaybackFinished', playback: { id: 'pb-5', state: 'done', target_uri: 'channel:c5' } });
    await settle();
    expect(outcome).toEqual([]);
    // Stopping it by the id it was asked under stops the one playing now.
    await adapter.stopPlayback('pb-5');
    expect(deletes).toEqual(['pb-5', 'pb-5-again']);
    expect(outcome).toEqual(['stopped']);
  });

  it('N5: a prompt played with no bridge just gone is never asked about, even while queued (behind an earlier controller\'s prompt)', async () => {
    const { clock, gets, plays } = await playing('queued', false);
    await clock.advance(5000);
    await settle();
    expect(gets).toEqual([]);
    expect(plays).toEqual(['pb-5']);
  });

  it('N5: a prompt that has started is not asked about; one Asterisk is playing (only slow to say so) is left alone', async () => {
    const started = await playing('queued');
    started.socket.send({ type: 'PlaybackStarted', playback: { id: 'pb-5', state: 'playing', target_uri: 'channel:c5' } });
    await started.clock.advance(2000);
    await settle();
    expect(started.gets).toEqual([]);

    const slow = await playing('playing');
    await slow.clock.advance(2000);
    await settle();
    expect(slow.gets).toEqual(['pb-5']);
    expect(slow.deletes).toEqual([]);
    expect(slow.plays).toEqual(['pb-5']);
    slow.socket.send({ type: 'PlaybackFinished', playback: { id: 'pb-5', state: 'done', target_uri: 'channel:c5' } });
    await settle();
    expect(slow.outcome).toEqual(['done']);
  });

  it('N5: a prompt played again ends with its channel like any other', async () => {
    const { socket, clock, outcome } = await playing('queued');
    await clock.advance(1000);
    await settle();
    socket.send({ type: 'StasisEnd', channel: channel('c5') });
    await settle();
    expect(outcome).toEqual(['gone']);
  });
});

describe('playback waiters', () => {
  it('race: a whisper whose PlaybackFinished was lost ends when its channel is destroyed', async () => {
    const { adapter, socket, answerListing } = await setup();
    socket.open();
    await answerListing([]);
    socket.send({ type: 'StasisStart', channel: channel('agent-call') });
    const { finished } = await adapter.play('agent-call', ['sound:x'], 'pb-1');
    // The events socket was down when the playback finished; then the channel is destroyed.
    socket.send({ type: 'ChannelDestroyed', channel: channel('agent-call'), cause: 16 });
    expect(await finished).toBe('gone');
  });

  it('a playback waiter ends when its channel leaves the app (StasisEnd)', async () => {
    const { adapter, socket, answerListing } = await setup();
    socket.open();
    await answerListing([]);
    socket.send({ type: 'StasisStart', channel: channel('c2') });
    const { finished } = await adapter.play('c2', ['sound:x'], 'pb-2');
    socket.send({ type: 'StasisEnd', channel: channel('c2') });
    expect(await finished).toBe('gone');
  });

  it('a channel leaving settles its own playbacks only; the others still end on their PlaybackFinished', async () => {
    const { adapter, socket, answerListing } = await setup();
    socket.open();
    await answerListing([]);
    socket.send({ type: 'StasisStart', channel: channel('c3') });
    socket.send({ type: 'StasisStart', channel: channel('c4') });
    const mine = await Promise.all([adapter.play('c3', ['sound:x'], 'pb-3a'), adapter.play('c3', ['sound:y'], 'pb-3b')]);
    const other = await adapter.play('c4', ['sound:x'], 'pb-4');
    const outcomes: string[] = [];
    void other.finished.then((o) => outcomes.push(`pb-4 ${o}`));
    socket.send({ type: 'StasisEnd', channel: channel('c3') });
    expect(await Promise.all(mine.map((p) => p.finished))).toEqual(['gone', 'gone']);
    await settle();
    expect(outcomes).toEqual([]);
    socket.send({ type: 'PlaybackFinished', playback: { id: 'pb-4', state: 'done', target_uri: 'channel:c4' } });
    await settle();
    expect(outcomes).toEqual(['pb-4 done']);
  });
});
