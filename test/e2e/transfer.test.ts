// N1 N6 N7 N12 N13 end to end: agent legs are real channels (Local channels into a test dialplan
// that rings, answers, is busy, or answers and presses a key), rung in order with Asterisk owning
// the 3-ring timeout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRow } from '../../src/store/call-queries.js';
import { dataOf, types, waitForEvent } from './support/call-helpers.js';
import { runSippPhone } from './support/sipp.js';
import { currentLane } from './support/lane.js';
import { TestCallers } from './support/test-caller.js';
import { freshCaller, startTestController, type TestController } from './support/test-controller.js';

const LIMIT_MS = 3000; // 3 rings of 500 ms on + 500 ms off
const legsOf = (events: EventRow[]) =>
  events.filter((e) => e.type === 'transfer.leg').map((e) => e.data as { agent: string; outcome: string; ringMs: number });
const whispersOf = (events: EventRow[]) =>
  events.filter((e) => e.type === 'transfer.whisper').map((e) => e.data as { agent: string; prompts: string[]; accepted: boolean });
const digitsOf = (text: string) => [...text].map((d) => `digit.${d}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('N6 transfers to agents', () => {
  let hotline: TestController;
  const callers = new TestCallers();

  beforeAll(async () => {
    hotline = await startTestController('test/fixtures/flows/transfer.yaml');
    for (const agent of ['a1001', 'a1002', 'a1003', 'a1004', 'a1005', 'a1008', 'a1009', 'a1010']) {
      const res = await fetch(`${hotline.controller.httpUrl}/api/agents/${agent}/login`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${hotline.token}` },
      });
      expect(res.status).toBe(200);
    }
    await callers.connect();
  });
  afterAll(async () => {
    callers.close();
    await hotline?.stop();
  });

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(hotline.controller.httpUrl + path, { headers: { Authorization: `Bearer ${hotline.token}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  /** A call's row once it ended, by id (a repeat caller has more than one call). */
  const endedById = async (id: string) => {
    for (let i = 0; i < 600; i++) {
      const row = (await hotline.calls()).find((c) => c.id === id);
      if (row?.endedAt != null) return row;
      await sleep(100);
    }
    throw new Error(`call ${id} did not end`);
  };
  // This lane's agent channels: both halves of the Local channels whose ;1 half is in this
  // file's application (other files run their own agents at the same time).
  const agentChannels = async () => {
    const all = (await callers.rest('GET', '/channels')) as { name: string; dialplan?: { app_name?: string; app_data?: string } }[];
    const base = (name: string) => name.split(';')[0];
    const ours = new Set(all.filter((c) => c.dialplan?.app_name === 'Stasis' && c.dialplan.app_data?.split(',')[0] === currentLane().app).map((c) => base(c.name)));
    return all.filter((c) => c.name.includes('hotline-test-agents') && ours.has(base(c.name)));
  };

  it('N1 N6: phones that are not there are skipped, agent 1 rings 3 rings unanswered, agent 2 answers, hears the whisper; the caller hears the work number and is bridged', async () => {
    const number = freshCaller();
    const caller = await callers.dial(number);
    await caller.answered();
    await caller.press('11');
    await waitForEvent(hotline, number, 'transfer.bridged', 60_000);
    await caller.hangup();

    const call = await hotline.endedCall(number);
    const events = await hotline.events(call.id);
    const legs = legsOf(events);
    console.log(`N1 agent legs: ${legs.map((l) => `${l.agent} ${l.outcome} after ${l.ringMs} ms`).join('; ')} (budget ${LIMIT_MS} ms)`);
    // N5: the agents' ringing (hold music) and the conversation (the bridge) are sound, not dead
    // air: only the short gaps between our own requests remain.
    const silence = dataOf<{ maxGapMs: number; maxDeadAirMs: number; withinBudget: boolean }>(events, 'call.silence');
    console.log(`N5 transferred call: ${JSON.stringify(silence)}, call length ${call.endedAt! - call.startedAt} ms`);
    expect(silence.maxDeadAirMs).toBeLessThan(1000);
    expect(silence.withinBudget).toBe(true);
    expect(legs.map((l) => [l.agent, l.outcome])).toEqual([['a1001', 'no-answer'], ['a1002', 'answered']]);
    // The phones that are not there were never rung: Asterisk's endpoint state said so.
    expect(dataOf(events, 'transfer.started')).toMatchObject({
      candidates: ['a1001', 'a1002'],
      unreachable: [{ agent: 'a1008', state: 'offline' }, { agent: 'a1009', state: 'missing' }],
    });
    expect(legs[0]!.ringMs).toBeGreaterThanOrEqual(LIMIT_MS - 500);
    expect(legs[0]!.ringMs).toBeLessThanOrEqual(LIMIT_MS + 1000);
    const whisper = events.find((e) => e.type === 'transfer.whisper')!.data as { agent: string; prompts: string[] };
    expect(whisper.agent).toBe('a1002');
    expect(whisper.prompts.slice(0, 12)).toEqual(['whisper.caller', ...[...number].map((d) => `digit.${d}`)]);
    expect(events.find((e) => e.type === 'transfer.bridged')!.data).toMatchObject({ agent: 'a1002', workNumber: '1002' });
    expect(events.find((e) => e.type === 'transfer.ended')!.data).toMatchObject({ by: 'caller' });
    // The agent leg ends with the call: no agent is left on the line.
    await new Promise((r) => setTimeout(r, 500));
    expect(await agentChannels()).toEqual([]);
  });

  it('N6: when every agent fails the caller hears the keys computed from the flow (two transfer steps)', async () => {
    const sales = freshCaller();
    const repair = freshCaller();
    const [a, b] = await Promise.all([callers.dial(sales), callers.dial(repair)]);
    await Promise.all([a.answered(), b.answered()]);
    await Promise.all([a.press('12'), b.press('2')]);
    // Sales offers a callback (N7): the caller confirms the caller ID that is read back.
    await waitForEvent(hotline, sales, 'callback.readback', 90_000);
    await a.press('1');
    await Promise.all([a.ended(90_000), b.ended(90_000)]);

    const salesEvents = await hotline.events((await hotline.endedCall(sales)).id);
    expect(legsOf(salesEvents).map((l) => [l.agent, l.outcome])).toEqual([['a1001', 'no-answer'], ['a1003', 'busy']]);
    expect(salesEvents.find((e) => e.type === 'transfer.failed')!.data).toMatchObject({
      keyPath: ['1', '2'],
      prompts: ['transfer.failed', 'transfer.keys-first', 'digit.1', 'transfer.keys-then', 'digit.2'],
    });
    const repairEvents = await hotline.events((await hotline.endedCall(repair)).id);
    expect(repairEvents.find((e) => e.type === 'transfer.failed')!.data).toMatchObject({
      keyPath: ['2'],
      prompts: ['transfer.failed', 'transfer.keys-first', 'digit.2'],
    });
    expect(types(repairEvents)).not.toContain('transfer.bridged');
    // A phone that refuses at once is busy, not a failure found by the guard 5 s later.
    expect(legsOf(repairEvents).map((l) => [l.agent, l.outcome])).toEqual([['a1003', 'busy']]);
    expect(legsOf(repairEvents)[0]!.ringMs).toBeLessThan(1000);

    // N7: the read-back digits and the confirmed number are in the events and the callbacks table.
    expect(salesEvents.find((e) => e.type === 'callback.readback')!.data).toEqual({ number: sales, source: 'caller-id', attempt: 1 });
    const requested = salesEvents.find((e) => e.type === 'callback.requested')!.data as { number: string; promisedBy: number };
    expect(requested.number).toBe(sales);
    const stored = await api<{ callbacks: { number: string; reason: string; promisedBy: number }[] }>('/api/callbacks');
    expect(stored.callbacks.filter((c) => c.number === sales)).toMatchObject([{ reason: 'transfer-failed', promisedBy: requested.promisedBy }]);
  });

  it('N7: a number outside the allowed patterns is refused and nothing is stored', async () => {
    const number = freshCaller();
    const caller = await callers.dial(number);
    await caller.answered();
    await caller.press('12');
    await waitForEvent(hotline, number, 'callback.readback', 90_000);
    await caller.press('2'); // not the caller ID: key another one
    await new Promise((r) => setTimeout(r, 1500));
    await caller.press('0085212345678#'); // international: never called back
    // Checked as soon as it is keyed: refused before any read-back.
    await waitForEvent(hotline, number, 'callback.refused', 60_000);
    await caller.hangup();

    const call = await hotline.endedCall(number);
    const events = await hotline.events(call.id);
    expect(events.find((e) => e.type === 'callback.refused')!.data).toEqual({ number: '0085212345678', reason: 'international' });
    expect(events.filter((e) => e.type === 'callback.readback').map((e) => e.data)).toEqual([{ number, source: 'caller-id', attempt: 1 }]);
    expect(types(events)).not.toContain('callback.requested');
    const stored = await api<{ callbacks: { callId: string }[] }>('/api/callbacks');
    expect(stored.callbacks.filter((c) => c.callId === call.id)).toEqual([]);
  });

  it('N6: with confirm on, an agent who presses 2 is passed over and the agent who presses 1 takes the call', async () => {
    const number = freshCaller();
    const caller = await callers.dial(number);
    await caller.answered();
    await caller.press('5');
    const id = await waitForEvent(hotline, number, 'transfer.bridged', 90_000);
    await caller.hangup();
    const events = await hotline.events((await endedById(id)).id);

    expect(legsOf(events).map((l) => [l.agent, l.outcome])).toEqual([['a1004', 'answered'], ['a1005', 'answered']]);
    const whispers = whispersOf(events);
    expect(whispers.map((w) => [w.agent, w.accepted])).toEqual([['a1004', false], ['a1005', true]]);
    // Both heard who calls and that 1 takes the call, as the last thing before they answer.
    for (const w of whispers) {
      expect(w.prompts.slice(0, 12)).toEqual(['whisper.caller', ...digitsOf(number)]);
      expect(w.prompts.at(-1)).toBe('whisper.accept');
    }
    expect(dataOf(events, 'transfer.bridged')).toMatchObject({ group: 'vip', agent: 'a1005', workNumber: '1005' });
    await sleep(500);
    expect(await agentChannels()).toEqual([]);
  });

  it('N12: a repeat caller is recognised and routed by 1 to the group that took the earlier call; the whisper says so', async () => {
    const number = freshCaller();
    // The first call of the day is not asked, and reaches billing through the menu (1, 1).
    const first = await callers.dial(number);
    await first.answered();
    await first.press('11');
    const firstId = await waitForEvent(hotline, number, 'transfer.bridged', 60_000);
    await first.hangup();
    const firstEvents = await hotline.events((await endedById(firstId)).id);
    expect(dataOf(firstEvents, 'repeat.checked')).toMatchObject({ earlierCalls: 0, group: null, target: null });
    expect(types(firstEvents)).not.toContain('repeat.routed');
    expect(whispersOf(firstEvents).at(-1)!.prompts).not.toContain('whisper.earlier');

    // The second call is asked 「请问您是咨询之前的问题吗?是请按1」: 1 goes straight to billing.
    const second = await callers.dial(number);
    await second.answered();
    let secondId = '';
    for (let i = 0; i < 300 && !secondId; i++) {
      const call = (await hotline.calls()).find((c) => c.caller === number && c.id !== firstId);
      if (call && types(await hotline.events(call.id)).includes('repeat.checked')) secondId = call.id;
      else await sleep(100);
    }
    expect(secondId).not.toBe('');
    await second.press('1');
    const routedId = await waitForEvent(hotline, number, 'transfer.bridged', 60_000);
    expect(routedId).toBe(secondId);
    await second.hangup();
    const events = await hotline.events((await endedById(secondId)).id);

    expect(dataOf(events, 'repeat.checked')).toMatchObject({ earlierCalls: 1, group: 'billing', target: 'to-billing' });
    expect(dataOf(events, 'repeat.routed')).toMatchObject({ group: 'billing', target: 'to-billing' });
    expect(types(events)).not.toContain('menu.choice'); // straight there, no menu
    expect(dataOf(events, 'transfer.started')).toMatchObject({ step: 'to-billing', group: 'billing' });
    const whisper = whispersOf(events).find((w) => w.accepted)!;
    expect(whisper.agent).toBe('a1002');
    expect(whisper.prompts).toContain('whisper.earlier');
    expect(whisper.prompts).not.toContain('whisper.path'); // no menu keys this time
  });

  it('N13: a ticket is read twice and again on 1, the agent hears its number, and a caller keying it hears its status', async () => {
    const number = freshCaller();
    const caller = await callers.dial(number);
    await caller.answered();
    await caller.press('3');
    const id = await waitForEvent(hotline, number, 'ticket.created', 30_000);
    // Pressed while the number is read: kept, and taken as "read it again" once the offer is made.
    await caller.press('1');
    await waitForEvent(hotline, number, 'transfer.bridged', 120_000);
    await caller.hangup();
    const events = await hotline.events((await endedById(id)).id);

    const created = dataOf<{ number: string; group: string }>(events, 'ticket.created');
    expect(created.number).toMatch(/^[0-9]{10}$/);
    expect(created.group).toBe('desk');
    expect(dataOf(events, 'ticket.read')).toMatchObject({ number: created.number, reads: 3 });
    const whisper = whispersOf(events).find((w) => w.accepted)!;
    const at = whisper.prompts.indexOf('whisper.ticket');
    expect(at).toBeGreaterThan(0);
    expect(whisper.prompts.slice(at + 1, at + 11)).toEqual(digitsOf(created.number));
    const stored = await api<{ ticket: { callId: string; caller: string; status: string } }>(`/api/tickets/${created.number}`);
    expect(stored.ticket).toMatchObject({ callId: id, caller: number, status: 'open' });

    // The back office moves it on; another caller keys a wrong number first, then the right one.
    const res = await fetch(`${hotline.controller.httpUrl}/api/tickets/${created.number}/status`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${hotline.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 'in-progress' }),
    });
    expect(res.status).toBe(200);
    const asker = freshCaller();
    const lookup = await callers.dial(asker);
    await lookup.answered();
    await lookup.press('4');
    await waitForEvent(hotline, asker, 'menu.choice', 30_000);
    await sleep(500);
    await lookup.press('1234567890#');
    await waitForEvent(hotline, asker, 'ticket.lookup', 30_000);
    await sleep(500);
    await lookup.press(`${created.number}#`);
    const lookupId = await waitForEvent(hotline, asker, 'goodbye.played', 60_000);
    await lookup.ended(60_000);
    const lookups = (await hotline.events((await endedById(lookupId)).id)).filter((e) => e.type === 'ticket.lookup').map((e) => e.data);
    expect(lookups).toEqual([
      expect.objectContaining({ number: '1234567890', found: false, status: null, attempt: 1 }),
      expect.objectContaining({ number: created.number, found: true, status: 'in-progress', attempt: 2 }),
    ]);
  }, 240_000); // three read-backs of ten digits, a whisper with them, and a second call

  it('N6: an agent on a real SIP phone (SIPp) is rung over PJSIP, hears the whisper, is bridged and gets the BYE', async () => {
    const phone = runSippPhone({ port: 5090, timeoutS: 90 });
    const number = freshCaller();
    const caller = await callers.dial(number);
    await caller.answered();
    await caller.press('6');
    const id = await waitForEvent(hotline, number, 'transfer.bridged', 60_000);
    await sleep(1000);
    await caller.hangup();
    const run = await phone;
    const events = await hotline.events((await endedById(id)).id);

    expect(legsOf(events).map((l) => [l.agent, l.outcome])).toEqual([['a1010', 'answered']]);
    expect(whispersOf(events)).toMatchObject([{ agent: 'a1010', accepted: true }]);
    expect(dataOf(events, 'transfer.bridged')).toMatchObject({ group: 'phones', agent: 'a1010', workNumber: '1010' });
    expect(dataOf(events, 'transfer.ended')).toMatchObject({ by: 'caller' });
    // What crossed the wire: our INVITE answered, and the BYE when the caller left.
    expect(run.exitCode, run.output).toBe(0);
    const wire = run.messages.map((m) => `${m.direction} ${m.firstLine.split(' ').slice(0, 2).join(' ')}`);
    expect(wire[0]).toMatch(/^received INVITE sip:agent@127\.0\.0\.1:5090/);
    expect(wire).toContain('sent SIP/2.0 200');
    expect(wire.filter((w) => w.startsWith('received BYE'))).toHaveLength(1);
  });

  it('N6: a caller who hangs up while an agent rings leaves no agent ringing', async () => {
    const number = freshCaller();
    const caller = await callers.dial(number);
    await caller.answered();
    await caller.press('11');
    await waitForEvent(hotline, number, 'transfer.started', 30_000);
    // The intro phrase plays, then a1001 rings (never answers): hang up while it rings.
    for (let i = 0; i < 100 && (await agentChannels()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await agentChannels()).length).toBeGreaterThan(0);
    await caller.hangup();
    await hotline.endedCall(number);
    await new Promise((r) => setTimeout(r, 500));
    expect(await agentChannels()).toEqual([]);
  });
});
