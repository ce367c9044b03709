// A controller killed the way a crash or an OOM kill ends it (SIGKILL: no shutdown code runs)
// with work in flight; the next controller has only what SQLite and Asterisk hold. The first
// controller runs in its own process (support/controller-process.ts), the next in this one.
//  - Issue 12: 50 live calls are all adopted within 0.75 s of the next controller's connection,
//    none lost: each is served on and ends with its `call.hangup`. Each resumes where it was
//    (in the menu): the next controller plays the menu prompt again, never the greeting.
//  - N14 N6: killed while a caller talks to an agent, the conversation goes on: Asterisk keeps
//    the bridge, the next controller takes the agent's leg back (nobody is rung again) and
//    carries on from the conversation's end: the agent hangs up first, the caller rates the call.
//  - N8 N14: killed while a callback's callee talks to the agent, the callee is adopted as the
//    outbound call it was (not hung up: its callback is done, nobody would call it again) and
//    the conversation goes on; the callback is neither redone nor counted twice.
//  - N8: killed between the claim of a callback and the callee's dial (its agent rung and being
//    told why), the callback is neither lost nor doubled: the claim is retaken once it is
//    claimTimeoutMs old, the callee is dialled once and the attempt counted once.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AriObserver } from './support/ari-observer.js';
import { readDb, until, type DbReader } from './support/db-reader.js';
import { startControllerProcess, type KillableController } from './support/controller-process.js';
import { clearLane } from './support/lane.js';
import { TestCallers, type Caller } from './support/test-caller.js';
import { freshCaller, startTestController, type TestController } from './support/test-controller.js';

/** A database of its own for a test's first controller (and the next one). */
const freshDbFile = () => join(mkdtempSync(join(tmpdir(), 'hotline-crash-')), 'hotline.db');

/** The first controller, in its own process, at unscaled timings, with `agent` logged in. */
async function startWithAgent(flow: string, dbFile: string, agent: string): Promise<KillableController> {
  const proc = await startControllerProcess(flow, { dbFile, env: { FLOW_TIME_SCALE: '1' } });
  await proc.api('POST', `/api/agents/${agent}/login`);
  return proc;
}

/** The agent leg a call's resume point names while the call talks to an agent (written with the recorder's next batch). */
function talkingLeg(db: DbReader, callId: string): Promise<string> {
  return until('the resume point names the agent leg', 5000, () => {
    const facts = db.row<{ facts: string | null }>(`SELECT resume_facts AS facts FROM calls WHERE id = ?`, callId)?.facts;
    return facts ? (JSON.parse(facts) as { talking?: { agent: string; leg: string } }).talking?.leg : undefined;
  });
}

describe('a controller killed with SIGKILL (crash recovery)', () => {
  const callers = new TestCallers();
  const observer = new AriObserver();
  let first: KillableController | undefined;
  let next: TestController | undefined;

  beforeAll(async () => {
    await callers.connect();
    await observer.connect();
    await clearLane(callers);
  });
  afterAll(async () => {
    await first?.kill();
    await next?.stop();
    await clearLane(callers).catch(() => undefined);
    callers.close();
    observer.close();
  });

  it('issue 12 N14: with 50 live calls, the next controller adopts every one within 0.75 s of connecting; none is lost', async () => {
    const dbFile = freshDbFile();
    first = await startControllerProcess('test/fixtures/flows/e2e.yaml', { dbFile });
    const numbers = Array.from({ length: Number(process.env.CRASH_CALLS ?? 50) }, () => freshCaller());
    const live: Caller[] = await Promise.all(numbers.map((n) => callers.dial(n)));
    await Promise.all(live.map((c) => c.answered(30_000)));
    const db = readDb(dbFile);
    try {
      // Killed with all 50 at the menu: answered, greeted, the menu prompt playing or waiting.
      const inList = numbers.map(() => '?').join(',');
      const atMenu = `SELECT COUNT(DISTINCT e.call_id) FROM call_events e JOIN calls c ON c.id = e.call_id
                      WHERE e.type = 'menu.prompted' AND c.caller IN (${inList})`;
      await until('all 50 at the menu', 30_000, () => db.count(atMenu, ...numbers) === numbers.length);
      await first.kill();
      first = undefined;

      let connectedAt = 0;
      next = await startTestController('test/fixtures/flows/e2e.yaml', { HOTLINE_DB: dbFile }, { onConnect: () => (connectedAt = Date.now()) });
      const adopted = `SELECT COUNT(DISTINCT e.call_id) FROM call_events e JOIN calls c ON c.id = e.call_id
                       WHERE e.type = 'call.adopted' AND c.caller IN (${inList})`;
      await until('all 50 adopted', 10_000, () => db.count(adopted, ...numbers) === numbers.length);
      const lastAdoptedAt = db.count(
        `SELECT MAX(e.ts) FROM call_events e JOIN calls c ON c.id = e.call_id WHERE e.type = 'call.adopted' AND c.caller IN (${inList})`,
        ...numbers,
      );
      console.log(`issue 12: ${numbers.length} calls adopted ${lastAdoptedAt - connectedAt} ms after the next controller connected (limit 750 ms)`);
      expect(lastAdoptedAt - connectedAt).toBeLessThanOrEqual(750);

      // Served on: every caller presses 1 at the menu the next controller plays, and every call
      // ends with its call.hangup from the next controller.
      await until('the adopted calls back at the menu', 60_000, () =>
        db.count(
          `SELECT COUNT(DISTINCT a.call_id) FROM call_events a JOIN calls c ON c.id = a.call_id
           WHERE a.type = 'menu.prompted' AND c.caller IN (${inList})
             AND a.id > (SELECT MAX(b.id) FROM call_events b WHERE b.call_id = a.call_id AND b.type = 'call.adopted')`,
          ...numbers,
        ) === numbers.length,
      );
      await Promise.all(live.map((c) => c.press('1')));
      await Promise.all(live.map((c) => c.ended(60_000)));
      await until('every call ended with call.hangup', 20_000, () =>
        db.count(
          `SELECT COUNT(DISTINCT e.call_id) FROM call_events e JOIN calls c ON c.id = e.call_id
           WHERE e.type = 'call.hangup' AND c.caller IN (${inList})`,
          ...numbers,
        ) === numbers.length,
      );
      const rows = (await next.calls()).filter((c) => numbers.includes(c.caller));
      expect(rows).toHaveLength(numbers.length);
      expect(rows.filter((c) => c.endedAt === null)).toEqual([]);
      for (const row of rows) {
        const events = db.events(row.id);
        const types = events.map((e) => e.type);
        // Adopted once, never answered twice; the caller's choice reached the business path.
        expect(types.filter((t) => t === 'call.adopted')).toHaveLength(1);
        expect(types.filter((t) => t === 'call.answered')).toHaveLength(1);
        const afterAdoption = types.slice(types.indexOf('call.adopted'));
        expect(afterAdoption).toContain('menu.choice');
        // Resumed at the menu the caller was in: greeted once, by the first controller. The event
        // log says so, and so does what Asterisk itself played to the channel.
        expect(events.find((e) => e.type === 'call.adopted')?.data).toMatchObject({ resumedAt: 'main-menu' });
        expect(afterAdoption[1]).toBe('menu.prompted');
        expect(afterAdoption).not.toContain('greeting.played');
        expect(types.filter((t) => t === 'greeting.played')).toHaveLength(1);
        expect(observer.mediaPlayedTo(row.id).filter((m) => m.endsWith('/greeting.body'))).toHaveLength(1);
      }
    } finally {
      db.close();
      await next?.stop();
      next = undefined;
    }
  }, 180_000);

  it('N14 N6: killed during a conversation with an agent, the conversation goes on (and its recording); the next controller takes the agent back and runs the survey when the agent hangs up first', async () => {
    const flow = 'test/fixtures/flows/survey-recorded.yaml';
    const dbFile = freshDbFile();
    first = await startWithAgent(flow, dbFile, 's1');
    const number = freshCaller();
    const caller = await callers.dial(number);
    await caller.answered(30_000);
    const db = readDb(dbFile);
    try {
      const id = await until('the caller bridged to agent s1', 60_000, () => {
        const row = db.row<{ id: string }>(`SELECT id FROM calls WHERE caller = ?`, number);
        return row && db.events(row.id).some((e) => e.type === 'transfer.bridged') ? row.id : undefined;
      });
      // The resume point names the conversation (written with the recorder's next batch).
      const leg = await talkingLeg(db, id);
      await first.kill();
      first = undefined;
      const killedAt = Date.now();
      // Asterisk keeps the two talking in the bridge with no controller at all.
      expect((await observer.bridgeChannels(`call-${id}`))?.sort()).toEqual([id, leg].sort());

      next = await startTestController(flow, { HOTLINE_DB: dbFile, FLOW_TIME_SCALE: '1' });
      const resumed = await until('the conversation resumed', 20_000, () => db.events(id).find((e) => e.type === 'transfer.resumed'));
      expect(resumed.data).toEqual({ agent: 's1', step: 'to-desk', outcome: 'talking' });
      // Still the same bridge, still both of them: the next controller did not tear it down.
      expect((await observer.bridgeChannels(`call-${id}`))?.sort()).toEqual([id, leg].sort());
      expect(observer.destroyedAt(leg)).toBeUndefined();

      // The agent (Local/hangs-up: 22 s after answering) hangs up first: the survey follows.
      const ended = await until('the conversation ended', 40_000, () => db.events(id).find((e) => e.type === 'transfer.ended'));
      expect(ended.data).toEqual({ agent: 's1', by: 'agent' });
      const legGoneAt = observer.destroyedAt(leg);
      expect(legGoneAt).toBeDefined();
      console.log(`N14: the conversation went on ${legGoneAt! - killedAt} ms past the kill, until the agent hung up`);
      expect(legGoneAt! - killedAt).toBeGreaterThan(2000);
      await new Promise((r) => setTimeout(r, 2000));
      await caller.press('4');
      await until('the rating', 20_000, () => db.events(id).some((e) => e.type === 'survey.rated'));
      await caller.ended(30_000);
      await until('call.hangup', 10_000, () => db.events(id).some((e) => e.type === 'call.hangup'));

      const types = db.events(id).map((e) => e.type);
      const afterAdoption = types.slice(types.indexOf('call.adopted'));
      // Nobody was rung again and nothing was said again: the conversation simply went on.
      expect(afterAdoption.slice(0, 3)).toEqual(['call.adopted', 'transfer.resumed', 'transfer.ended']);
      expect(afterAdoption).not.toContain('transfer.started');
      expect(afterAdoption).not.toContain('transfer.leg');
      expect(types.filter((t) => t === 'transfer.bridged')).toHaveLength(1);
      expect(observer.channelsCreated('Local/hangs-up@hotline-test-agents').filter((c) => c.name.endsWith(';1'))).toHaveLength(1);
      expect(db.events(id).find((e) => e.type === 'survey.rated')?.data).toMatchObject({ rating: 4, agent: 's1', group: 'desk' });
      // N14: the conversation's recording, started by the first controller on the bridge, went on
      // in Asterisk past the kill until the bridge went; the next controller closed its row from
      // the file, with recording.stopped.
      const started = db.events(id).find((e) => e.type === 'recording.started');
      expect(started?.data).toMatchObject({ mode: 'agent', agent: 's1' });
      const stopped = await until('the recording closed', 10_000, () =>
        db.events(id).find((e) => e.type === 'recording.stopped' && e.data.id === started?.data.id),
      );
      expect(stopped.data).toMatchObject({ status: 'done' });
      expect(types.indexOf('call.adopted')).toBeLessThan(db.events(id).findIndex((e) => e.type === 'recording.stopped'));
      console.log(`N14: the conversation's recording is ${String(stopped.data.durationMs)} ms long, ${legGoneAt! - killedAt} ms of it after the kill`);
      expect(stopped.data.durationMs as number).toBeGreaterThan(legGoneAt! - killedAt);
    } finally {
      db.close();
      await next?.stop();
      next = undefined;
      await clearLane(callers).catch(() => undefined);
    }
  }, 180_000);

  it('N8 N14: killed while a callback\'s callee talks to the agent, the callee is adopted as the outbound call it was and the conversation goes on', async () => {
    const flow = 'test/fixtures/flows/callback-crash.yaml';
    const dbFile = freshDbFile();
    first = await startWithAgent(flow, dbFile, 'k1');
    const number = freshCaller();
    const { callback } = await first.api<{ callback: { id: number } }>('POST', '/api/callbacks', { number, reason: 'unanswered-query', group: 'desk' });
    const callee = `Local/${number}@hotline-test-callees`;
    const db = readDb(dbFile);
    try {
      const calleeId = await until('the callee dialled', 60_000, () => observer.channelsCreated(callee).find((c) => c.name.endsWith(';1'))?.id);
      await until('the callee bridged to k1', 60_000, () => db.events(calleeId).some((e) => e.type === 'transfer.bridged'));
      const leg = await talkingLeg(db, calleeId);
      await first.kill();
      first = undefined;
      expect((await observer.bridgeChannels(`call-${calleeId}`))?.sort()).toEqual([calleeId, leg].sort());

      next = await startTestController(flow, { HOTLINE_DB: dbFile, FLOW_TIME_SCALE: '1' });
      const resumed = await until('the conversation resumed', 20_000, () => db.events(calleeId).find((e) => e.type === 'transfer.resumed'));
      expect(resumed.data).toEqual({ agent: 'k1', step: 'callback-desk', outcome: 'talking' });
      expect(db.events(calleeId).find((e) => e.type === 'call.adopted')?.data).toMatchObject({ resumedAt: 'callback-desk' });
      expect((await observer.bridgeChannels(`call-${calleeId}`))?.sort()).toEqual([calleeId, leg].sort());
      expect(observer.destroyedAt(calleeId)).toBeUndefined();

      // The callee puts the phone down (the Local channel's ;2 half is the person): the
      // conversation and the call end, logged by the next controller. (Not the agent: a prompt
      // played in the instant a bridge goes can be lost in Asterisk, seen once in ten runs here,
      // and that is not what this test is about.)
      const person = observer.channelsCreated(callee).find((c) => c.name.endsWith(';2'));
      expect(person).toBeDefined();
      await observer.hangup(person!.id);
      const ended = await until('the conversation ended', 20_000, () => db.events(calleeId).find((e) => e.type === 'transfer.ended'));
      expect(ended.data).toEqual({ agent: 'k1', by: 'caller' });
      const hangup = await until('call.hangup', 30_000, () => db.events(calleeId).find((e) => e.type === 'call.hangup'));
      expect(hangup.data).toMatchObject({ by: 'caller' });
      const types = db.events(calleeId).map((e) => e.type);
      const afterAdoption = types.slice(types.indexOf('call.adopted'));
      expect(afterAdoption.slice(0, 3)).toEqual(['call.adopted', 'transfer.resumed', 'transfer.ended']);
      for (const t of ['callback.started', 'transfer.started', 'transfer.leg']) expect(afterAdoption).not.toContain(t);
      // Still the callee's call, on its number; the callback done once, the callee dialled once.
      expect(db.row<{ caller: string }>(`SELECT caller FROM calls WHERE id = ?`, calleeId)?.caller).toBe(number);
      expect(db.callback(callback.id)).toMatchObject({ status: 'done', attempts: 1, outcome: 'answered' });
      expect(observer.channelsCreated(callee).filter((c) => c.name.endsWith(';1'))).toHaveLength(1);
    } finally {
      db.close();
      await next?.stop();
      next = undefined;
      await clearLane(callers).catch(() => undefined);
    }
  }, 180_000);

  it('N8: killed between the claim and the dial (the agent rung and being told why), the callback is retaken once its claim is claimTimeoutMs old and the callee is dialled once', async () => {
    const flow = 'test/fixtures/flows/callback-crash.yaml';
    const dbFile = freshDbFile();
    first = await startWithAgent(flow, dbFile, 'k1');
    const number = freshCaller();
    const { callback } = await first.api<{ callback: { id: number } }>('POST', '/api/callbacks', { number, reason: 'unanswered-query', group: 'desk' });
    const db = readDb(dbFile);
    const callId = `callback-${callback.id}`;
    const callee = `Local/${number}@hotline-test-callees`;
    try {
      // The agent answered and is hearing 回拨: why and the number (about 8 s): the claim is
      // held, the callee not dialled yet. That is when the controller dies.
      await until('the agent answered the callback', 30_000, () =>
        db.events(callId).some((e) => e.type === 'transfer.leg' && e.data.outcome === 'answered') 
      );
      await first.kill();
      first = undefined;
      const killedAt = Date.now();
      const claimed = db.callback(callback.id)!;
      expect(claimed).toMatchObject({ status: 'dialling', attempts: 0 });
      expect(observer.channelsCreated(callee)).toEqual([]);

      next = await startTestController(flow, { HOTLINE_DB: dbFile, FLOW_TIME_SCALE: '1' });
      const done = await until('the callback done', 90_000, () => {
        const row = db.callback(callback.id);
        return row?.status === 'done' ? row : undefined;
      });
      expect(done).toMatchObject({ status: 'done', attempts: 1, outcome: 'answered' });
      // Asterisk dialled the callee once (a Local channel is two halves: count the ;1 side).
      const dials = observer.channelsCreated(callee).filter((c) => c.name.endsWith(';1'));
      expect(dials).toHaveLength(1);
      // Not retaken before the claim was 15 s old (renewed last when the agent answered).
      expect(dials[0]!.at - claimed.claimedAt!).toBeGreaterThanOrEqual(15_000);
      // Events are written in batches: the row can be done before its attempt event is in.
      const attempts = await until('the attempt logged', 5000, () => {
        const logged = db.events(callId).filter((e) => e.type === 'callback.attempt');
        return logged.length > 0 ? logged : undefined;
      });
      expect(attempts.map((e) => [e.data.attempt, e.data.outcome])).toEqual([[1, 'answered']]);
      console.log(
        `N8 after SIGKILL: callee dialled ${dials[0]!.at - killedAt} ms after the kill, ${dials[0]!.at - claimed.claimedAt!} ms after the claim's last renewal (claimTimeoutMs 15000)`,
      );
      // The callee (its ;1 half is the outbound call, under the id the scheduler chose) pressed 1
      // and is bridged to the agent the next controller reserved.
      await until('the callee bridged to the agent', 30_000, () =>
        db.events(dials[0]!.id).some((e) => e.type === 'transfer.bridged' && e.data.agent === 'k1') 
      );
    } finally {
      db.close();
      await clearLane(callers).catch(() => undefined);
    }
  }, 180_000);
});
