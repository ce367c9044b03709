// N13 on fake time, with the real ticket store on an in-memory database: create-ticket reads the
// new number digit by digit, twice, and 1 hears it again; ticket-status takes a keyed number
// ending with # and reads its status, letting the caller try again when it is unknown.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTicket } from '../../src/flow/verbs/create-ticket.js';
import { ticketStatus } from '../../src/flow/verbs/ticket-status.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { createTicketStore, type TicketStore } from '../../src/tickets/ticket-store.js';
import { advance, FakeCall, flowFromYaml, makeContext, newTestClock, stepOf, track } from './support/fake-call.js';

// 09:00 in Shanghai on 2026-03-10: the day's first ticket is 2603100001.
const T0 = new Date('2026-03-10T09:00:00+08:00').getTime();
const FIRST = '2603100001';
const PROMPT_MS = 100; // every prompt, so a 23-prompt reading takes 2.3 s
const digitsOf = (n: string) => [...n].map((d) => `digit.${d}`);

const FLOW = flowFromYaml(`
hotline: { name: Test line, number: "100" }
agents:
  agents:
    "1001": { endpoint: PJSIP/1001, workNumber: "1001", name: Zhang }
  groups:
    repair: { name: 故障报修, members: ["1001"] }
steps:
  issue: { verb: create-ticket, group: repair, timeoutMs: 4000, repeats: 2, next: done }
  plain: { verb: create-ticket, repeats: 0, next: done }
  lookup: { verb: ticket-status, tries: 2, timeoutMs: 3000, next: done, failed: bye }
  done: { verb: hangup }
  bye: { verb: hangup }
`);

let db: Database;
let tickets: TicketStore;

beforeEach(() => {
  newTestClock(T0);
  db = openDatabase(':memory:');
  // A fixed clock: the ticket's day and createdAt do not move with the fake time of the call.
  tickets = createTicketStore(db, () => T0);
});
afterEach(() => {
  db.close();
});

function newCall(caller = '13800138000') {
  return new FakeCall({ answered: true, caller, defaultDurationMs: PROMPT_MS });
}

function create(stepId: 'issue' | 'plain' = 'issue', call = newCall()) {
  const ctx = makeContext(FLOW, call, { services: { tickets } });
  const done = createTicket.run(ctx, stepOf(FLOW, stepId, 'create-ticket'), stepId);
  // A rejection is asserted by the test that expects it; keep the others from going unhandled.
  done.catch(() => undefined);
  return { call, ctx, done };
}

function lookup(call = newCall()) {
  const ctx = makeContext(FLOW, call, { services: { tickets } });
  const done = ticketStatus.run(ctx, stepOf(FLOW, 'lookup', 'ticket-status'), 'lookup');
  done.catch(() => undefined);
  return { call, ctx, done };
}

const pressAll = (call: FakeCall, keys: string) => [...keys].forEach((k) => call.press(k));

describe('create-ticket (N13)', () => {
  const D = digitsOf(FIRST);
  const FIRST_READING = ['ticket.intro', ...D, 'ticket.again', ...D, 'ticket.repeat'];
  const FIRST_MS = FIRST_READING.length * PROMPT_MS; // 2300

  it('N13: stores the ticket with the call, caller and group, and reads the number twice with the offer', async () => {
    const { call, ctx, done } = create();
    await advance(0);
    expect(tickets.find(FIRST)).toEqual({
      number: FIRST, callId: call.id, caller: '13800138000', group: 'repair', status: 'open', createdAt: T0,
    });
    expect(ctx.facts.ticket).toBe(FIRST); // the whisper of a later transfer says it
    expect(FIRST_READING).toHaveLength(23);
    // Not barge-in: a key must not cut the number short while the caller writes it down.
    expect(call.plays()).toEqual([
      { kind: 'play', at: T0, t: 0, prompts: FIRST_READING, bargeIn: false, skipped: false },
    ]);
    expect(ctx.events).toEqual([
      { type: 'ticket.created', data: { step: 'issue', number: FIRST, group: 'repair' }, ts: T0 },
    ]);
    await advance(FIRST_MS + 4000);
    await expect(done).resolves.toBe('done');
  });

  it('N13: no key for timeoutMs after the offer goes on to next, after two readings', async () => {
    const { call, ctx, done } = create();
    const box = track(done);
    await advance(FIRST_MS + 4000 - 1);
    expect(box.settled).toBe(false);
    await advance(1);
    expect(box).toEqual({ settled: true, value: 'done' });
    expect(call.plays()).toHaveLength(1);
    expect(call.waits).toEqual([{ at: T0 + FIRST_MS, t: FIRST_MS, timeoutMs: 4000, result: null, endT: FIRST_MS + 4000 }]);
    expect(ctx.events.at(-1)).toEqual({
      type: 'ticket.read',
      data: { step: 'issue', number: FIRST, reads: 2, complete: true },
      ts: T0 + FIRST_MS + 4000,
    });
  });

  it('N13/N14: a caller who hangs up during the repeat still leaves ticket.read, marked incomplete', async () => {
    const { call, ctx, done } = create();
    await advance(FIRST_MS + 1000);
    call.press('1'); // the 3rd reading starts
    await advance(500);
    call.callerHangsUp();
    await expect(done).rejects.toThrow('call ended');
    expect(ctx.dataOf('ticket.read')).toEqual([{ step: 'issue', number: FIRST, reads: 2, complete: false }]);
  });

  it('N13: 1 reads the digits again; the last allowed repeat offers no more', async () => {
    const { call, ctx, done } = create();
    await advance(FIRST_MS + 1000);
    call.press('1'); // 3300: the 3rd reading, 1100 ms, still with the offer (1 of 2 repeats)
    await advance(1100 + 500);
    call.press('1'); // 4900: the 4th and last reading, 1000 ms, without the offer
    await advance(1000);
    await expect(done).resolves.toBe('done');
    expect(call.plays().map((p) => [p.t, p.prompts])).toEqual([
      [0, FIRST_READING],
      [FIRST_MS + 1000, [...D, 'ticket.repeat']],
      [FIRST_MS + 2600, D],
    ]);
    // No wait after the last reading: a 1 then could do nothing.
    expect(call.waits.map((w) => w.result)).toEqual(['1', '1']);
    expect(ctx.dataOf('ticket.read')).toEqual([{ step: 'issue', number: FIRST, reads: 4, complete: true }]);
    expect(ctx.events.at(-1)?.ts).toBe(T0 + FIRST_MS + 3600);
  });

  it('N13: a 1 pressed during the reading does not cut it short and is heard afterwards', async () => {
    const { call, ctx, done } = create();
    await advance(1000);
    call.press('1'); // while the digits are read
    await advance(FIRST_MS - 1000);
    expect(call.plays()[0]).toMatchObject({ endT: FIRST_MS, interrupted: false });
    expect(call.plays()[1]).toMatchObject({ t: FIRST_MS, prompts: [...D, 'ticket.repeat'] });
    await advance(1100 + 4000); // 3rd reading, then nothing more
    await expect(done).resolves.toBe('done');
    expect(ctx.dataOf('ticket.read')).toEqual([{ step: 'issue', number: FIRST, reads: 3, complete: true }]);
  });

  it('N13: another key after the offer goes on to next without a further reading', async () => {
    const { call, ctx, done } = create();
    await advance(FIRST_MS + 200);
    call.press('2');
    await expect(done).resolves.toBe('done');
    expect(call.plays()).toHaveLength(1);
    expect(ctx.dataOf('ticket.read')).toEqual([{ step: 'issue', number: FIRST, reads: 2, complete: true }]);
  });

  it('N13: with repeats 0 there is no offer and no wait; a step without a group stores none', async () => {
    const { call, ctx, done } = create('plain');
    const box = track(done);
    // intro, 10 digits, again, 10 digits: next as soon as the reading ends.
    await advance(22 * PROMPT_MS - 1);
    expect(box.settled).toBe(false);
    await advance(1);
    expect(box).toEqual({ settled: true, value: 'done' });
    expect(call.plays().map((p) => p.prompts)).toEqual([['ticket.intro', ...D, 'ticket.again', ...D]]);
    expect(call.waits).toEqual([]);
    expect(tickets.find(FIRST)?.group).toBeNull();
    expect(ctx.dataOf('ticket.created')).toEqual([{ step: 'plain', number: FIRST, group: null }]);
    expect(ctx.dataOf('ticket.read')).toEqual([{ step: 'plain', number: FIRST, reads: 2, complete: true }]);
  });

  it("N13: the day's next ticket gets the next number", async () => {
    tickets.create({ callId: 'earlier', caller: null, group: null });
    const { call, ctx, done } = create();
    await advance(FIRST_MS + 4000);
    await expect(done).resolves.toBe('done');
    expect(ctx.facts.ticket).toBe('2603100002');
    expect(call.plays()[0]?.prompts).toEqual(['ticket.intro', ...digitsOf('2603100002'), 'ticket.again', ...digitsOf('2603100002'), 'ticket.repeat']);
  });

  describe('resumed by a controller that adopted the call after a crash', () => {
    function resumeAt(stepId: 'issue', carriedTicket?: string) {
      const call = newCall();
      const ctx = makeContext(FLOW, call, { services: { tickets }, ...(carriedTicket === undefined ? {} : { ticket: carriedTicket }) });
      const done = createTicket.resume(ctx, stepOf(FLOW, stepId, 'create-ticket'), stepId);
      done.catch(() => undefined);
      return { call, ctx, done };
    }

    it('N13: the ticket the step had created is read again; no second ticket is made', async () => {
      // The controller that died had created it, then stopped mid-reading.
      tickets.create({ callId: 'call-1', caller: '13800138000', group: 'repair' });
      const { call, ctx, done } = resumeAt('issue');
      await advance(FIRST_MS + 4000);
      await expect(done).resolves.toBe('done');
      expect(tickets.find('2603100002')).toBeUndefined();
      expect(ctx.facts.ticket).toBe(FIRST);
      expect(call.plays().map((p) => p.prompts)).toEqual([FIRST_READING]);
      expect(ctx.types()).toEqual(['ticket.read']);
    });

    it('N13: the call\'s newest ticket is the one carried into the step (an earlier step made it): this step makes its own', async () => {
      tickets.create({ callId: 'call-1', caller: '13800138000', group: 'repair' });
      const { ctx } = resumeAt('issue', FIRST);
      await advance(0);
      expect(ctx.dataOf('ticket.created')).toEqual([{ step: 'issue', number: '2603100002', group: 'repair' }]);
      expect(ctx.facts.ticket).toBe('2603100002');
    });

    it('N13: no ticket made yet (the crash came first): the step runs from its start', async () => {
      const { ctx } = resumeAt('issue');
      await advance(0);
      expect(ctx.dataOf('ticket.created')).toEqual([{ step: 'issue', number: FIRST, group: 'repair' }]);
    });
  });
});

describe('ticket-status (N13)', () => {
  const ASK = { prompts: ['ticket.ask'], bargeIn: true };

  it('N13: a known number keyed with # is read back with its status and goes to next', async () => {
    const { number } = tickets.create({ callId: 'earlier', caller: '13800138000', group: 'repair' });
    const { call, ctx, done } = lookup();
    await advance(50);
    pressAll(call, `${number}#`); // the first key stops the question
    await advance(0);
    await advance(30 * PROMPT_MS);
    await expect(done).resolves.toBe('done');
    expect(call.plays()).toMatchObject([
      { ...ASK, endT: 50, interrupted: true },
      { t: 50, prompts: ['ticket.status', ...digitsOf(number), 'ticket.status.open'] },
    ]);
    expect(ctx.facts.ticket).toBe(number);
    expect(ctx.dataOf('ticket.lookup')).toEqual([{ step: 'lookup', number, found: true, status: 'open', attempt: 1 }]);
  });

  it('N13: a status set later (setStatus) is the one read', async () => {
    const { number } = tickets.create({ callId: 'earlier', caller: null, group: null });
    tickets.setStatus(number, 'in-progress');
    const { call, ctx, done } = lookup();
    await advance(PROMPT_MS + 200);
    pressAll(call, `${number}#`);
    await advance(30 * PROMPT_MS);
    await expect(done).resolves.toBe('done');
    expect(call.plays().at(-1)?.prompts).toEqual(['ticket.status', ...digitsOf(number), 'ticket.status.in-progress']);
    expect(ctx.dataOf('ticket.lookup')).toMatchObject([{ found: true, status: 'in-progress' }]);
  });

  it('N13: an unknown number is said to be unknown and the caller may key it again', async () => {
    const { number } = tickets.create({ callId: 'earlier', caller: null, group: null });
    tickets.setStatus(number, 'resolved');
    const { call, ctx, done } = lookup();
    await advance(PROMPT_MS + 100);
    pressAll(call, '2603109999#'); // 200: a well-formed number nobody was given
    await advance(0);
    expect(call.plays().map((p) => [p.t, p.prompts])).toEqual([
      [0, ['ticket.ask']],
      [200, ['ticket.unknown']],
    ]);
    await advance(PROMPT_MS); // ticket.unknown ends at 300; the question again
    expect(call.plays().at(-1)).toMatchObject({ t: 300, ...ASK });
    await advance(PROMPT_MS + 100);
    pressAll(call, `${number}#`);
    await advance(30 * PROMPT_MS);
    await expect(done).resolves.toBe('done');
    expect(call.plays().at(-1)?.prompts).toEqual(['ticket.status', ...digitsOf(number), 'ticket.status.resolved']);
    // Not this caller's, and resolved: it is not whispered to an agent as the caller's ticket.
    expect(ctx.facts.ticket).toBeUndefined();
    expect(ctx.dataOf('ticket.lookup')).toEqual([
      { step: 'lookup', number: '2603109999', found: false, status: null, attempt: 1 },
      { step: 'lookup', number, found: true, status: 'resolved', attempt: 2 },
    ]);
  });

  it('N13: only the caller\'s own open ticket becomes the call\'s ticket (for the whisper); someone else\'s does not', async () => {
    const own = tickets.create({ callId: 'earlier', caller: '13800138000', group: null }).number;
    const theirs = tickets.create({ callId: 'other', caller: '13900139000', group: null }).number;
    for (const [number, expected] of [[theirs, undefined], [own, own]] as const) {
      const { call, ctx, done } = lookup();
      await advance(PROMPT_MS + 100);
      pressAll(call, `${number}#`);
      await advance(30 * PROMPT_MS);
      await expect(done).resolves.toBe('done');
      expect(call.plays().at(-1)?.prompts.at(-1)).toBe('ticket.status.open');
      expect(ctx.facts.ticket).toBe(expected);
    }
    expect(tickets.openFor('13800138000')?.number).toBe(own);
    tickets.setStatus(own, 'closed');
    expect(tickets.openFor('13800138000')).toBeUndefined();
  });

  it('N13: a malformed number is not looked up, even when such a row exists', async () => {
    // A 5-digit "number" in the table (a hand-made row): only a 10-digit number may find it.
    db.prepare("INSERT INTO tickets (number, created_at) VALUES ('12345', 0)").run();
    const { call, ctx, done } = lookup();
    await advance(PROMPT_MS + 100);
    pressAll(call, '12345#');
    await advance(0);
    expect(ctx.dataOf('ticket.lookup')).toEqual([{ step: 'lookup', number: '12345', found: false, status: null, attempt: 1 }]);
    expect(call.plays().at(-1)?.prompts).toEqual(['ticket.unknown']);
    expect(ctx.facts.ticket).toBeUndefined();
    await advance(60_000);
    await expect(done).resolves.toBe('bye');
  });

  it('N13: after `tries` unknown numbers the step goes to failed without a status', async () => {
    const { call, ctx, done } = lookup();
    await advance(PROMPT_MS + 100);
    pressAll(call, '2603109998#');
    await advance(2 * PROMPT_MS + 100); // ticket.unknown, the question again
    pressAll(call, '2603109999#');
    await advance(PROMPT_MS);
    await expect(done).resolves.toBe('bye');
    expect(call.plays().map((p) => p.prompts)).toEqual([['ticket.ask'], ['ticket.unknown'], ['ticket.ask'], ['ticket.unknown']]);
    expect(ctx.dataOf('ticket.lookup').map((l) => [l.number, l.found, l.attempt])).toEqual([
      ['2603109998', false, 1],
      ['2603109999', false, 2],
    ]);
    expect(ctx.facts.ticket).toBeUndefined();
  });

  it('N13: silence counts as a try: two silent questions go to failed after 2 × (prompt + timeoutMs)', async () => {
    const { call, ctx, done } = lookup();
    const box = track(done);
    await advance(2 * (PROMPT_MS + 3000) - 1);
    expect(box.settled).toBe(false);
    await advance(1);
    expect(box).toEqual({ settled: true, value: 'bye' });
    expect(call.plays().map((p) => [p.t, p.prompts])).toEqual([
      [0, ['ticket.ask']],
      [PROMPT_MS + 3000, ['ticket.ask']],
    ]);
    expect(ctx.dataOf('ticket.lookup')).toEqual([
      { step: 'lookup', number: '', found: false, status: null, attempt: 1 },
      { step: 'lookup', number: '', found: false, status: null, attempt: 2 },
    ]);
  });

  it('N13: a number keyed without # is taken after the pause, and silence first still leaves a try', async () => {
    const { number } = tickets.create({ callId: 'earlier', caller: null, group: null });
    const { call, ctx, done } = lookup();
    await advance(PROMPT_MS + 3000); // attempt 1: silence
    await advance(PROMPT_MS + 100);
    pressAll(call, number); // attempt 2: no #, the 3 s pause ends it
    await advance(3000 + 30 * PROMPT_MS);
    await expect(done).resolves.toBe('done');
    expect(ctx.dataOf('ticket.lookup').map((l) => [l.number, l.found, l.attempt])).toEqual([
      ['', false, 1],
      [number, true, 2],
    ]);
  });

  it('N13: keys left from before the question are dropped', async () => {
    const { number } = tickets.create({ callId: 'earlier', caller: null, group: null });
    const call = newCall();
    pressAll(call, `${number}#`); // keyed during an earlier prompt: not an answer to ticket.ask
    const { ctx, done } = lookup(call);
    await advance(2 * (PROMPT_MS + 3000));
    await expect(done).resolves.toBe('bye');
    expect(call.plays()[0]).toMatchObject({ ...ASK, skipped: false });
    expect(ctx.dataOf('ticket.lookup').every((l) => !l.found)).toBe(true);
  });
});
