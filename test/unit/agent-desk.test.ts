// The desk on a scripted ARI: an agent is claimed for the call, its leg dialled through the one
// outbound-leg module, and the agent is free again only once its leg is gone (N6).
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { AgentsConfig } from '../../src/agents/agent-config.js';
import { AgentNotifier } from '../../src/agents/agent-notifier.js';
import { AgentPool } from '../../src/agents/agent-pool.js';
import { createAgentStateStore } from '../../src/agents/agent-state-store.js';
import { AriAgentDesk } from '../../src/agents/ari-agent-desk.js';
import type { CallOffer } from '../../src/agents/call-offer.js';
import { Dispatcher } from '../../src/agents/dispatcher.js';
import type { AriAdapter, ChannelEvents } from '../../src/ari/ari-adapter.js';
import { ChannelGoneError, type ChannelEventMap } from '../../src/ari/types.js';
import { OutboundDialer } from '../../src/calls/outbound-leg.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { openDatabase } from '../../src/store/database.js';

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/** The adapter calls the dialer and the desk make, answered by the test. */
class ScriptedAri {
  readonly legs = new Map<string, ChannelEvents>();
  readonly originated: Array<{ channelId: string; role: string; owner: string }> = [];
  readonly hangups: Array<{ channelId: string; done: () => void }> = [];
  readonly moh: string[] = [];

  port(): AriAdapter {
    return {
      originate: (p: { channelId: string; role: string; owner: string }) => {
        const events: ChannelEvents = new EventEmitter<ChannelEventMap & { destroyed: [cause: number | undefined] }>();
        this.legs.set(p.channelId, events);
        this.originated.push({ channelId: p.channelId, role: p.role, owner: p.owner });
        return Promise.resolve({ events, release: () => undefined });
      },
      hangup: (channelId: string) =>
        new Promise<void>((resolve) => this.hangups.push({ channelId, done: resolve })),
      events: (channelId: string) => this.legs.get(channelId),
      endpointState: () => Promise.resolve('unknown'),
      startMoh: (channelId: string) => {
        this.moh.push(`on:${channelId}`);
        return this.legs.has(channelId) ? Promise.resolve() : Promise.reject(new ChannelGoneError(channelId, 'startMoh', 'Channel not found'));
      },
      stopMoh: (channelId: string) => {
        this.moh.push(`off:${channelId}`);
        return Promise.resolve();
      },
    } as unknown as AriAdapter;
  }

  /** Asterisk destroys the leg: 'end' then 'destroyed', and forgets it. */
  destroy(channelId: string, cause?: number): void {
    const events = this.legs.get(channelId)!;
    this.legs.delete(channelId);
    events.emit('end', cause, undefined);
    events.emit('destroyed', cause);
    events.removeAllListeners();
  }
}

describe('AriAgentDesk and the outbound leg (N6)', () => {
  let clock: VirtualClock;
  let ari: ScriptedAri;
  let pool: AgentPool;
  let desk: AriAgentDesk;
  let service: AbortController;
  const offer: CallOffer = { callId: 'call-1', caller: '13800138000', group: 'g', menuPath: ['1'], calledEarlierToday: false };

  beforeEach(() => {
    clock = new VirtualClock();
    ari = new ScriptedAri();
    service = new AbortController();
    const logger = pino({ level: 'silent' });
    const db = openDatabase(':memory:');
    pool = new AgentPool(
      AgentsConfig.parse({
        agents: { a1: { endpoint: 'Local/1001@agents', workNumber: '1001', name: 'A' } },
        groups: { g: { name: 'G', members: ['a1'], wrapUpMs: 10_000 } },
      }),
      createAgentStateStore(db),
      clock,
      service.signal,
    );
    pool.login('a1');
    const port = ari.port();
    const dialer = new OutboundDialer({ ari: port, clock, logger, signal: service.signal });
    const dispatcher = new Dispatcher(pool, logger);
    desk = new AriAgentDesk({ ari: port, dialer, pool, dispatcher, notifier: new AgentNotifier(), clock, logger, signal: service.signal });
  });

  it('the leg is originated as an agent leg owned by the call, and the agent is claimed while it rings', async () => {
    const ringing = desk.ring(pool.agent('a1'), offer, 3000, new AbortController().signal);
    await flush();
    expect(ari.originated.map(({ role, owner }) => ({ role, owner }))).toEqual([{ role: 'agent-leg', owner: 'call-1' }]);
    expect(ari.originated[0]!.channelId).toMatch(/^[0-9a-f-]{36}$/);
    expect(pool.status('a1').state).toBe('busy');
    ari.destroy(ari.originated[0]!.channelId, 17);
    const leg = await ringing;
    expect(leg.outcome).toBe('busy');
    expect(pool.status('a1').state).toBe('available');
  });

  it('race: the agent is not free while the hang-up of its leg is in flight (caller left while it rang)', async () => {
    const caller = new AbortController();
    let settled = false;
    const ringing = desk.ring(pool.agent('a1'), offer, 3000, caller.signal).then((leg) => {
      settled = true;
      return leg;
    });
    await flush();
    const { channelId } = ari.originated[0]!;
    caller.abort(new Error('call ended'));
    await flush();
    expect(ari.hangups.map((h) => h.channelId)).toEqual([channelId]);
    // Asterisk has not answered the hang-up yet: the agent's phone may still ring.
    expect(pool.status('a1').state).toBe('busy');
    ari.hangups[0]!.done();
    await flush();
    expect(pool.status('a1').state).toBe('busy');
    expect(settled).toBe(false);
    ari.destroy(channelId, 16);
    const leg = await ringing;
    expect(leg.outcome).toBe('failed');
    expect(pool.status('a1').state).toBe('available');
  });

  it('race: the agent is not free while the hang-up of its leg is in flight (guard timer)', async () => {
    const ringing = desk.ring(pool.agent('a1'), offer, 3000, new AbortController().signal);
    await flush();
    const { channelId } = ari.originated[0]!;
    // The leg's end never arrives: the guard fires 5 s past the ring budget.
    await clock.advance(8000);
    expect(ari.hangups.map((h) => h.channelId)).toEqual([channelId]);
    ari.hangups[0]!.done();
    await flush();
    expect(pool.status('a1').state).toBe('busy');
    ari.destroy(channelId);
    expect((await ringing).outcome).toBe('failed');
    expect(pool.status('a1').state).toBe('available');
  });

  it('release after the talk frees the agent into wrap-up only once the leg is destroyed', async () => {
    const ringing = desk.ring(pool.agent('a1'), offer, 3000, new AbortController().signal);
    await flush();
    const { channelId } = ari.originated[0]!;
    ari.legs.get(channelId)!.emit('answered', []);
    const leg = await ringing;
    expect(leg.outcome).toBe('answered');
    const released = desk.release(leg, 'call-1', true);
    const again = desk.release(leg, 'call-1', true);
    await flush();
    expect(ari.hangups).toHaveLength(1);
    ari.hangups[0]!.done();
    await flush();
    expect(pool.status('a1').state).toBe('busy');
    ari.destroy(channelId, 16);
    await Promise.all([released, again]);
    expect(pool.status('a1').state).toBe('wrap-up');
    await clock.advance(10_000);
    expect(pool.status('a1').state).toBe('available');
  });

  it('a key pressed during the whisper answers the confirm (接听请按1)', async () => {
    const ringing = desk.ring(pool.agent('a1'), offer, 3000, new AbortController().signal);
    await flush();
    const events = ari.legs.get(ari.originated[0]!.channelId)!;
    events.emit('answered', []);
    const leg = await ringing;
    events.emit('dtmf', '1');
    expect(await desk.awaitAccept(leg, 10_000, new AbortController().signal)).toBe(true);
  });

  it('the agent who presses nothing within the accept window declines', async () => {
    const ringing = desk.ring(pool.agent('a1'), offer, 3000, new AbortController().signal);
    await flush();
    ari.legs.get(ari.originated[0]!.channelId)!.emit('answered', []);
    const leg = await ringing;
    const accepting = desk.awaitAccept(leg, 10_000, new AbortController().signal);
    await clock.advance(10_000);
    expect(await accepting).toBe(false);
  });

  it("N8: a callback's agent waits on hold music on its leg; the leg is live until it ends or is released", async () => {
    const ringing = desk.ring(pool.agent('a1'), { ...offer, callback: { id: 1, reason: 'dropped', attempt: 1 } }, 3000, new AbortController().signal);
    await flush();
    const { channelId } = ari.originated[0]!;
    ari.legs.get(channelId)!.emit('answered', []);
    const leg = await ringing;
    expect(desk.isLive(leg)).toBe(true);
    await desk.music(leg, true);
    await desk.music(leg, false);
    expect(ari.moh).toEqual([`on:${channelId}`, `off:${channelId}`]);
    ari.destroy(channelId, 16);
    expect(desk.isLive(leg)).toBe(false);
    // Music on a leg that is gone is no error (the agent hung up while the callee rang).
    await expect(desk.music(leg, true)).resolves.toBeUndefined();
    await desk.release(leg, 'call-1', false);
    expect(pool.status('a1').state).toBe('available');
  });

  it('N8: a dial may name its channel id (a callback names the callee\'s call before dialling it)', async () => {
    const dialer = new OutboundDialer({ ari: ari.port(), clock, logger: pino({ level: 'silent' }), signal: service.signal });
    const dialling = dialer.dial({
      endpoint: 'Local/13800138000@callees', callerId: '4008008000', ringBudgetMs: 3000, role: 'callback-leg', owner: 'callback-1',
      signal: new AbortController().signal, channelId: 'callee-1',
    });
    await flush();
    expect(ari.originated.at(-1)).toEqual({ channelId: 'callee-1', role: 'callback-leg', owner: 'callback-1' });
    ari.destroy('callee-1', 17);
    expect((await dialling).channelId).toBe('callee-1');
  });
});
