// Issue 9 on a scripted ARI: a callback leg that asks for answering-machine detection is
// originated into the application as every leg (so its ringing, busy and no-answer reach the
// dialer as before), and once answered it is sent through AMD() in the generated context with
// the flow's parameters and its own Stasis arguments in two channel variables. It leaves the
// application without ending, comes back with AMD's verdict in its Stasis arguments, and a
// callee who hangs up meanwhile did not answer. Detection off dials exactly as before.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AMD_CONTEXT, AMD_EXTENSION, AMD_PARAMS_VARIABLE, AMD_STASIS_VARIABLE, amdVerdictOf } from '../../src/ari/amd-dialplan.js';
import { AriAdapter } from '../../src/ari/ari-adapter.js';
import type { ChannelInfo } from '../../src/ari/types.js';
import { amdRequest } from '../../src/callbacks/answering-machine.js';
import { OutboundDialer, type DialParams, type DialResult } from '../../src/calls/outbound-leg.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { ANSWERING_MACHINE_DEFAULTS } from '../../src/flow/schema.js';
import { never, notFound, ScriptedSocket, ScriptedTransport } from './support/scripted-ari.js';

const LEG = 'leg-1';
const AMD = amdRequest(ANSWERING_MACHINE_DEFAULTS)!;

function leg(id = LEG): ChannelInfo {
  return {
    id,
    name: `Local/13800138000@callees-${id};1`,
    state: 'Up',
    caller: { number: '4008008000', name: '' },
    creationtime: '2026-11-22T10:00:00.000+0000',
  };
}

/** Lets the scripted transport's answers and what follows them run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

async function setup(transport = new ScriptedTransport()) {
  const clock = new VirtualClock(Date.UTC(2026, 10, 22, 2));
  const socket = new ScriptedSocket();
  transport.on('GET channels', () => []);
  const logger = pino({ level: 'silent' });
  const ari = new AriAdapter({ url: 'http://127.0.0.1:1', user: 'u', password: 'p', app: 'hotline' }, logger, {
    clock,
    links: { socket, transport },
  });
  await ari.start();
  socket.open();
  await clock.advance(0);
  const service = new AbortController();
  const dialer = new OutboundDialer({ ari, clock, logger, signal: service.signal });
  const outcome: { result?: DialResult } = {};
  const dial = (extra: Partial<DialParams> = {}) => {
    const owner = new AbortController();
    const done = dialer
      .dial({
        endpoint: 'Local/13800138000@callees',
        callerId: '4008008000',
        ringBudgetMs: 20_000,
        role: 'callback-leg',
        owner: 'callback-7',
        signal: owner.signal,
        channelId: LEG,
        ...extra,
      })
      .then((r) => {
        outcome.result = r;
        return r;
      });
    return { done, owner };
  };
  /** The requests about the leg after its originate, as `METHOD path query`. */
  const legRequests = () =>
    transport.sent
      .filter((r) => r.path.startsWith(`channels/${LEG}`) || r.path.startsWith('asterisk/modules'))
      .map((r) => `${r.method} ${r.path}${r.query ? ` ${JSON.stringify(r.query)}` : ''}`);
  return { ari, socket, clock, transport, dial, outcome, legRequests, service };
}

describe('issue 9: the Stasis arguments a leg comes back with', () => {
  it('carry AMD\'s status and cause after the role and the owner; an empty status decided nothing (NOTSURE)', () => {
    expect(amdVerdictOf(['callback-leg', 'callback-7'])).toBeUndefined();
    expect(amdVerdictOf(['callback-leg', 'callback-7', 'amd', 'MACHINE', 'LONGGREETING-1510-1500'])).toEqual({
      status: 'MACHINE', cause: 'LONGGREETING-1510-1500',
    });
    expect(amdVerdictOf(['callback-leg', 'callback-7', 'amd', 'HUMAN', 'HUMAN-800-800'])).toEqual({ status: 'HUMAN', cause: 'HUMAN-800-800' });
    expect(amdVerdictOf(['callback-leg', 'callback-7', 'amd', '', ''])).toEqual({ status: 'NOTSURE', cause: '' });
    // An owner that happens to be called "amd" is not a verdict.
    expect(amdVerdictOf(['callback-leg', 'amd'])).toBeUndefined();
  });
});

describe('issue 9: a callback leg through AMD()', () => {
  it('answered: the flow\'s parameters and the leg\'s own Stasis arguments are set, then the leg continues to the AMD context; it leaves the app without ending and its verdict comes back as Stasis arguments', async () => {
    const { socket, clock, dial, outcome, legRequests } = await setup();
    const { done } = dial({ amd: AMD });
    await settle();
    await clock.advance(4000); // the callee's phone rings 4 s
    socket.send({ type: 'StasisStart', channel: leg(), args: ['callback-leg', 'callback-7'] });
    await settle();
    expect(legRequests()).toEqual([
      'GET asterisk/modules/app_amd.so',
      `POST channels/${LEG}/variable {"variable":"${AMD_PARAMS_VARIABLE}","value":"2500,1500,800,5000,100,50,2,256,5000"}`,
      `POST channels/${LEG}/variable {"variable":"${AMD_STASIS_VARIABLE}","value":"hotline,callback-leg,callback-7"}`,
      `POST channels/${LEG}/continue {"context":"${AMD_CONTEXT}","extension":"${AMD_EXTENSION}","priority":1}`,
    ]);
    // The leg leaves the app for AMD(): not an end, not an outcome yet.
    socket.send({ type: 'StasisEnd', channel: leg() });
    await clock.advance(1800);
    expect(outcome.result).toBeUndefined();
    socket.send({ type: 'StasisStart', channel: leg(), args: ['callback-leg', 'callback-7', 'amd', 'MACHINE', 'LONGGREETING-1500-1500'] });
    const result = await done;
    expect(result).toMatchObject({
      outcome: 'answered', ringMs: 4000, channelId: LEG,
      amd: { status: 'MACHINE', cause: 'LONGGREETING-1500-1500', analysisMs: 1800 },
    });
    // The leg is live and in the app again: what the policy decides, it can still do.
    expect(result.leg!.ended).toBe(false);
  });

  it('a person: HUMAN comes back and the leg is handed out for the flow', async () => {
    const { socket, clock, dial } = await setup();
    const { done } = dial({ amd: AMD });
    await settle();
    socket.send({ type: 'StasisStart', channel: leg(), args: ['callback-leg', 'callback-7'] });
    await settle();
    socket.send({ type: 'StasisEnd', channel: leg() });
    await clock.advance(1300);
    socket.send({ type: 'StasisStart', channel: leg(), args: ['callback-leg', 'callback-7', 'amd', 'HUMAN', 'HUMAN-800-800'] });
    expect(await done).toMatchObject({ outcome: 'answered', amd: { status: 'HUMAN', cause: 'HUMAN-800-800', analysisMs: 1300 } });
  });

  it('a callee who hangs up while AMD listens did not answer (HANGUP, with how long AMD had listened)', async () => {
    const { socket, clock, dial } = await setup();
    const { done } = dial({ amd: AMD });
    await settle();
    await clock.advance(3000);
    socket.send({ type: 'StasisStart', channel: leg(), args: ['callback-leg', 'callback-7'] });
    await settle();
    socket.send({ type: 'StasisEnd', channel: leg() });
    await clock.advance(900);
    socket.send({ type: 'ChannelHangupRequest', channel: leg(), cause: 16 });
    socket.send({ type: 'ChannelDestroyed', channel: leg(), cause: 16, cause_txt: 'Normal Clearing' });
    const result = await done;
    expect(result).toMatchObject({ outcome: 'no-answer', ringMs: 3000, amd: { status: 'HANGUP', cause: '', analysisMs: 900 } });
    expect(result.leg).toBeUndefined();
  });

  it('race: the leg\'s StasisEnd arrives before Asterisk answers the continue request: it is still not an end', async () => {
    const transport = new ScriptedTransport();
    const answers: Array<() => void> = [];
    transport.on('POST channels/:id/continue', () => new Promise<void>((resolve) => answers.push(resolve)));
    const { socket, clock, dial, ari } = await setup(transport);
    const { done } = dial({ amd: AMD });
    await settle();
    socket.send({ type: 'StasisStart', channel: leg(), args: ['callback-leg', 'callback-7'] });
    await settle();
    expect(answers).toHaveLength(1);
    socket.send({ type: 'StasisEnd', channel: leg() });
    answers[0]!();
    await clock.advance(5000); // past the adapter's grace for a channel that left
    expect(ari.events(LEG)).toBeDefined();
    socket.send({ type: 'StasisStart', channel: leg(), args: ['callback-leg', 'callback-7', 'amd', 'NOTSURE', 'TOOLONG-5000'] });
    expect(await done).toMatchObject({ outcome: 'answered', amd: { status: 'NOTSURE', cause: 'TOOLONG-5000', analysisMs: 5000 } });
  });

  it('race: the controller stops while AMD listens: the leg is hung up and the dial fails (not a callee\'s no-answer)', async () => {
    const { socket, clock, dial, transport } = await setup();
    const { done, owner } = dial({ amd: AMD });
    await settle();
    socket.send({ type: 'StasisStart', channel: leg(), args: ['callback-leg', 'callback-7'] });
    await settle();
    socket.send({ type: 'StasisEnd', channel: leg() });
    await clock.advance(1000);
    owner.abort(new Error('stopping'));
    await settle();
    expect(transport.lines()).toContain(`DELETE channels/${LEG}`);
    socket.send({ type: 'ChannelDestroyed', channel: leg(), cause: 16 });
    const result = await done;
    expect(result.outcome).toBe('failed');
    expect(result.amd).toBeUndefined();
  });

  it('no verdict within the total analysis time and a grace (the leg came back while events were lost): hung up, failed', async () => {
    const { socket, clock, dial, transport } = await setup();
    const { done } = dial({ amd: AMD });
    await settle();
    socket.send({ type: 'StasisStart', channel: leg(), args: ['callback-leg', 'callback-7'] });
    await settle();
    socket.send({ type: 'StasisEnd', channel: leg() });
    await clock.advance(AMD.totalMs + 5000 - 1);
    expect(transport.lines()).not.toContain(`DELETE channels/${LEG}`);
    await clock.advance(1);
    await settle();
    expect(transport.lines()).toContain(`DELETE channels/${LEG}`);
    socket.send({ type: 'ChannelDestroyed', channel: leg(), cause: 16 });
    expect((await done).outcome).toBe('failed');
  });

  it('a callee whose phone is busy or rings out never reaches AMD: the outcome is as without detection', async () => {
    const { socket, clock, dial, legRequests } = await setup();
    const { done } = dial({ amd: AMD });
    await settle();
    socket.send({ type: 'ChannelStateChange', channel: { ...leg(), state: 'Busy' } });
    socket.send({ type: 'ChannelDestroyed', channel: leg(), cause: 17 });
    await clock.advance(0);
    const result = await done;
    expect(result).toMatchObject({ outcome: 'busy', cause: 17 });
    expect(result.amd).toBeUndefined();
    expect(legRequests()).toEqual(['GET asterisk/modules/app_amd.so']);
  });

  it('an answer that comes late in the ring budget is not cut short by the ring guard while AMD listens', async () => {
    const { socket, clock, dial, transport } = await setup();
    const { done } = dial({ amd: AMD });
    await settle();
    await clock.advance(19_000);
    socket.send({ type: 'StasisStart', channel: leg(), args: ['callback-leg', 'callback-7'] });
    await settle();
    socket.send({ type: 'StasisEnd', channel: leg() });
    // The ring guard (20 s + 5 s grace from the dial) passes while AMD still listens.
    await clock.advance(7000);
    expect(transport.lines()).not.toContain(`DELETE channels/${LEG}`);
    socket.send({ type: 'StasisStart', channel: leg(), args: ['callback-leg', 'callback-7', 'amd', 'HUMAN', 'HUMAN-800-800'] });
    expect(await done).toMatchObject({ outcome: 'answered', ringMs: 19_000, amd: { status: 'HUMAN', analysisMs: 7000 } });
  });
});

describe('issue 9: AMD where Asterisk has it, else "connected"', () => {
  it('app_amd not loaded (404): the leg is handed out at its answer without detection, said as UNAVAILABLE; asked once per connection', async () => {
    const transport = new ScriptedTransport().on('GET asterisk/modules/:name', () => Promise.reject(notFound('Module')));
    const { socket, dial, legRequests, transport: sent } = await setup(transport);
    const first = dial({ amd: AMD });
    await settle();
    socket.send({ type: 'StasisStart', channel: leg(), args: ['callback-leg', 'callback-7'] });
    expect(await first.done).toMatchObject({ outcome: 'answered', amd: { status: 'UNAVAILABLE', cause: '', analysisMs: 0 } });
    expect(legRequests()).toEqual(['GET asterisk/modules/app_amd.so']);
    // A second dial on the same connection does not ask again.
    const second = dial({ amd: AMD, channelId: 'leg-2' });
    await settle();
    socket.send({ type: 'StasisStart', channel: leg('leg-2'), args: ['callback-leg', 'callback-7'] });
    expect((await second.done).amd?.status).toBe('UNAVAILABLE');
    expect(sent.lines().filter((l) => l.startsWith('GET asterisk/modules'))).toHaveLength(1);
    // A new connection may be another Asterisk: asked again.
    socket.close();
    socket.open();
    await settle();
    const third = dial({ amd: AMD, channelId: 'leg-3' });
    await settle();
    expect(sent.lines().filter((l) => l.startsWith('GET asterisk/modules'))).toHaveLength(2);
    socket.send({ type: 'ChannelDestroyed', channel: leg('leg-3'), cause: 17 });
    await third.done;
  });

  it('app_amd running: detection goes ahead', async () => {
    const transport = new ScriptedTransport().on('GET asterisk/modules/:name', () => ({ name: 'app_amd.so', status: 'Running' }));
    const { socket, dial, legRequests } = await setup(transport);
    const { done } = dial({ amd: AMD });
    await settle();
    socket.send({ type: 'StasisStart', channel: leg(), args: ['callback-leg', 'callback-7'] });
    await settle();
    expect(legRequests().at(-1)).toMatch(/continue/);
    socket.send({ type: 'ChannelDestroyed', channel: leg(), cause: 16 });
    expect((await done).amd?.status).toBe('HANGUP');
  });

  it('the module question that gets no answer counts as loaded and is asked again next time', async () => {
    const transport = new ScriptedTransport().on('GET asterisk/modules/:name', () => never());
    const { ari, clock } = await setup(transport);
    const asked = ari.amdAvailable();
    // Each try times out after 5 s; a read is tried again after short pauses, then given up.
    await clock.advance(60_000);
    expect(await asked).toBe(true);
    const asks = () => transport.lines().filter((l) => l.startsWith('GET asterisk/modules')).length;
    const before = asks();
    void ari.amdAvailable();
    await settle();
    expect(asks()).toBe(before + 1);
  });
});

describe('issue 9: detection off dials exactly as before', () => {
  it('no module question, no variables, no continue: the leg is answered at its StasisStart', async () => {
    const { socket, clock, dial, legRequests } = await setup();
    const { done } = dial();
    await settle();
    await clock.advance(2500);
    socket.send({ type: 'StasisStart', channel: leg(), args: ['callback-leg', 'callback-7'] });
    const result = await done;
    expect(result).toMatchObject({ outcome: 'answered', ringMs: 2500 });
    expect(result.amd).toBeUndefined();
    expect(legRequests()).toEqual([]);
  });

  it('a StasisEnd of a leg that was not sent to AMD() ends it, as before', async () => {
    const { socket, dial } = await setup();
    const { done } = dial();
    await settle();
    socket.send({ type: 'StasisStart', channel: leg(), args: ['callback-leg', 'callback-7'] });
    const { leg: live } = await done;
    socket.send({ type: 'StasisEnd', channel: leg() });
    expect(live!.ended).toBe(true);
  });
});
