// Issue 12 on a scripted ARI: a shed caller handed back to the entry dialplan (POST continue)
// leaves the application, and Asterisk may send that StasisEnd before its answer to the
// request. The hand-back is Asterisk's answer, not the StasisEnd: 204 is a caller who went on
// in the dialplan (measured in the load bench: 158 of 924 shed callers at 100 calls/s saw the
// StasisEnd first and were logged as callers who hung up), 404 a caller who had hung up.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AriAdapter } from '../../src/ari/ari-adapter.js';
import { ChannelGoneError, type ChannelInfo } from '../../src/ari/types.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { notFound, ScriptedSocket, ScriptedTransport } from './support/scripted-ari.js';

const CALLER = 'caller-1';
const TARGET = { context: 'hotline-inbound', extension: '4008008000', label: 'shed' };

function caller(): ChannelInfo {
  return { id: CALLER, name: 'PJSIP/callers-00000001', state: 'Ring', caller: { number: '13800138000', name: '' }, creationtime: '2026-11-30T08:00:00.000+0000' };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

async function inStasis(transport: ScriptedTransport) {
  const clock = new VirtualClock(Date.UTC(2026, 10, 30, 8));
  const socket = new ScriptedSocket();
  transport.on('GET channels', () => []);
  const ari = new AriAdapter({ url: 'http://127.0.0.1:1', user: 'u', password: 'p', app: 'hotline' }, pino({ level: 'silent' }), {
    clock,
    links: { socket, transport },
  });
  await ari.start();
  socket.open();
  await clock.advance(0);
  socket.send({ type: 'StasisStart', channel: caller(), args: ['talk-detect'] });
  await settle();
  return { ari, socket };
}

describe('issue 12: handing a shed caller back to the dialplan', () => {
  it('race: the StasisEnd the hand-back causes comes before Asterisk answers it: the hand-back still succeeds', async () => {
    const transport = new ScriptedTransport();
    const answers: Array<() => void> = [];
    transport.on('POST channels/:id/continue', () => new Promise<void>((resolve) => answers.push(resolve)));
    const { ari, socket } = await inStasis(transport);
    const handBack = ari.continueAt(CALLER, TARGET);
    const outcome = handBack.then(
      () => 'handed back',
      (err: unknown) => (err instanceof Error ? err.constructor.name : 'error'),
    );
    await settle();
    expect(answers).toHaveLength(1);
    socket.send({ type: 'StasisEnd', channel: caller() });
    await settle();
    answers[0]!();
    expect(await outcome).toBe('handed back');
    expect(transport.lines()).toContain(`POST channels/${CALLER}/continue`);
  });

  it('a caller who hung up before the hand-back: Asterisk answers 404 and it is a ChannelGoneError, as for any request about a gone channel', async () => {
    const transport = new ScriptedTransport();
    transport.on('POST channels/:id/continue', () => {
      throw notFound();
    });
    const { ari } = await inStasis(transport);
    await expect(ari.continueAt(CALLER, TARGET)).rejects.toBeInstanceOf(ChannelGoneError);
  });
});
