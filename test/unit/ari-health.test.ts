// Issue 12: /health said ARI was up for 1.1 s after `core restart now` had hung up every call,
// and said `ok` while requests hung. ARI now counts as down the moment the adapter knows
// (the events socket closes or starts closing, a channel gets Asterisk's shutdown hang-up, AMI
// says Shutdown, another connection takes the application), and /health is degraded with the
// reason while requests time out.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AriAdapter } from '../../src/ari/ari-adapter.js';
import { ariHealthReasons } from '../../src/ari/ari-health.js';
import type { ChannelInfo } from '../../src/ari/types.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { startController } from '../../src/controller.js';
import { never, ScriptedSocket, ScriptedTransport } from './support/scripted-ari.js';
import { unreachableAsteriskConfig } from './support/unreachable-config.js';

const silent = pino({ level: 'silent' });

function caller(id: string): ChannelInfo {
  return {
    id,
    name: `PJSIP/trunk-${id}`,
    state: 'Up',
    caller: { number: '13800138000', name: '' },
    dialplan: { context: 'hotline-inbound', exten: '4008008000', priority: 3, app_name: 'Stasis', app_data: 'hotline' },
    creationtime: '2026-11-22T10:00:00.000+0000',
  };
}

async function adapter(transport = new ScriptedTransport()) {
  const clock = new VirtualClock();
  const socket = new ScriptedSocket();
  transport.on('GET channels', () => []);
  const ari = new AriAdapter({ url: 'http://127.0.0.1:1', user: 'u', password: 'p', app: 'hotline', requestTimeoutMs: 5000 }, silent, {
    clock,
    links: { socket, transport },
  });
  await ari.start();
  return { ari, socket, clock, transport };
}

const codes = (ari: AriAdapter) => ariHealthReasons(ari.health()).map((r) => r.code);

describe('ARI health: down the moment the adapter knows', () => {
  it('not reachable yet, then up once the events socket opens, then down at once when it closes', async () => {
    const { ari, socket, clock } = await adapter();
    expect(ari.health()).toMatchObject({ up: false, reason: 'not-connected' });
    socket.open();
    await clock.advance(0);
    expect(ari.health()).toMatchObject({ up: true, transport: 'websocket' });
    expect(codes(ari)).toEqual([]);
    socket.close();
    expect(ari.connected).toBe(false);
    expect(codes(ari)).toEqual(['ari-events-socket-closed']);
  });

  it('issue 12: core restart now: the first shutdown hang-up of a channel (soft, flag 4) makes ARI down at once, before the socket closes; the next connection is up', async () => {
    const { ari, socket, clock } = await adapter();
    socket.open();
    await clock.advance(0);
    socket.send({ type: 'StasisStart', channel: caller('c1') });
    socket.send({ type: 'ChannelHangupRequest', channel: caller('c1'), cause: 4, soft: true });
    expect(ari.health()).toMatchObject({ up: false, reason: 'asterisk-shutting-down' });
    expect(codes(ari)).toEqual(['asterisk-shutting-down']);
    socket.close();
    expect(ari.health().reason).toBe('events-socket-closed');
    socket.open();
    await clock.advance(0);
    expect(ari.connected).toBe(true);
  });

  it("AMI's Shutdown (the controller calls asteriskShuttingDown) makes ARI down at once", async () => {
    const { ari, socket, clock } = await adapter();
    socket.open();
    await clock.advance(0);
    ari.asteriskShuttingDown();
    expect(ari.health()).toMatchObject({ up: false, reason: 'asterisk-shutting-down' });
  });

  it('a shutdown that is called off (the socket stays open 30 s) counts as up again', async () => {
    const { ari, socket, clock } = await adapter();
    socket.open();
    await clock.advance(0);
    ari.asteriskShuttingDown();
    await clock.advance(29_999);
    expect(ari.connected).toBe(false);
    await clock.advance(1);
    expect(ari.connected).toBe(true);
  });

  it('another connection taking the application (ApplicationReplaced) makes ARI down, with the reason', async () => {
    const { ari, socket, clock } = await adapter();
    socket.open();
    await clock.advance(0);
    socket.send({ type: 'ApplicationReplaced', application: 'hotline' });
    expect(codes(ari)).toEqual(['ari-application-replaced']);
  });

  it('issue 12: requests that time out make /health degraded (ari-requests-stuck) while ARI stays up; one timeout period later it is ok again', async () => {
    const transport = new ScriptedTransport().on('POST channels/:id/answer', () => never());
    const { ari, socket, clock } = await adapter(transport);
    socket.open();
    await clock.advance(0);
    socket.send({ type: 'StasisStart', channel: caller('c1') });
    ari.answer('c1').catch(() => undefined);
    ari.answer('c1').catch(() => undefined);
    await clock.advance(4000);
    expect(codes(ari)).toEqual([]);
    expect(ari.health().requests).toMatchObject({ inFlight: 2, oldestMs: 4000 });
    await clock.advance(1000);
    expect(ari.connected).toBe(true);
    expect(ariHealthReasons(ari.health())).toEqual([
      { code: 'ari-requests-stuck', detail: '2 ARI request(s) got no answer within 5000 ms in the last 5000 ms; 0 in flight, the oldest for 0 ms' },
    ]);
    await clock.advance(5000);
    expect(codes(ari)).toEqual([]);
  });
});

describe('/health through the controller', () => {
  it('Asterisk unreachable: 503 degraded, with ari-not-connected and ami-down, and the request figures', async () => {
    const clock = new VirtualClock();
    const config = unreachableAsteriskConfig();
    const controller = await startController(config, { logger: silent, clock });
    try {
      const res = await fetch(`${controller.httpUrl}/health`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        status: 'degraded',
        ari: false,
        ami: false,
        activeCalls: 0,
        reasons: [
          { code: 'ari-not-connected', detail: expect.any(String) as unknown },
          { code: 'ami-down', detail: expect.any(String) as unknown },
        ],
        ariRequests: { inFlight: 0, oldestMs: 0, recentTimeouts: 0, timeoutMs: 5000 },
        // Issue 12: nobody is shed while no call is live.
        shedding: null,
        load: expect.objectContaining({
          liveCalls: 0,
          maxCalls: 200,
          ariLatencyMs: { p99: 0, max: 0, oldestPending: 0 },
          maxAriLatencyMs: 500,
          shedding: null,
          shed: { capacity: 0, 'event-loop': 0, 'ari-latency': 0 },
        }) as unknown,
      });
    } finally {
      await controller.stop();
    }
  });
});
