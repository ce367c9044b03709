// N5 end to end, unscaled: a caller queued behind a busy agent hears the hold phrase, music,
// a reassurance every 15 s (counted from the end of the previous prompt) and the callback offer
// at 60 s; presses 2 to keep waiting; when the agent's conversation ends the agent is given to
// the waiting caller, who hears 「感谢您的耐心等待。」 and the work number and is bridged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRow } from '../../src/store/call-queries.js';
import type { EventData } from '../../src/store/events.js';
import { waitForEvent } from './support/call-helpers.js';
import { clearLane } from './support/lane.js';
import { TestCallers } from './support/test-caller.js';
import { freshCaller, startTestController, type TestController } from './support/test-controller.js';

const dataOfAll = <T extends keyof EventData>(events: EventRow[], type: T) =>
  events.filter((e) => e.type === type).map((e) => ({ ...(e.data as EventData[T]), ts: e.ts }));

/**
 * A controller on a queue flow whose one agent (q1) is logged in and free, and scripted
 * callers; `hotline` is set by beforeAll, so tests read it from the returned object at run time.
 */
function useQueueHotline(flowFile: string) {
  const ctx = { callers: new TestCallers() } as { hotline: TestController; callers: TestCallers };
  beforeAll(async () => {
    // The only agent must be free: no call an earlier file left in this lane may be adopted.
    await clearLane(ctx.callers);
    ctx.hotline = await startTestController(flowFile, { FLOW_TIME_SCALE: '1' });
    const res = await fetch(`${ctx.hotline.controller.httpUrl}/api/agents/q1/login`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ctx.hotline.token}` },
    });
    expect(res.status).toBe(200);
    await ctx.callers.connect();
  });
  afterAll(async () => {
    ctx.callers.close();
    await ctx.hotline?.stop();
  });
  return ctx;
}

/** The first caller takes the only agent; the second finds nobody free and waits on hold. */
async function agentBusyCallerQueued(q: { hotline: TestController; callers: TestCallers }) {
  const first = freshCaller();
  const a = await q.callers.dial(first);
  await a.answered();
  await waitForEvent(q.hotline, first, 'transfer.bridged', 30_000);
  const second = freshCaller();
  const b = await q.callers.dial(second);
  await b.answered();
  const queuedId = await waitForEvent(q.hotline, second, 'queue.joined', 30_000);
  const joinedAt = (await q.hotline.events(queuedId)).find((e) => e.type === 'queue.joined')!.ts;
  return { a, b, first, second, queuedId, joinedAt };
}

describe('N5 hold queue', () => {
  const q = useQueueHotline('test/fixtures/flows/queue.yaml');

  it('N5: reassurance every 15 s and the offer at 60 s (unscaled); 2 keeps waiting; the freed agent takes the waiting caller', async () => {
    const { a, b, second, queuedId: callId, joinedAt } = await agentBusyCallerQueued(q);
    // Two seconds into the offer (due 60 s after joining) the caller presses 2: keep waiting.
    await new Promise((r) => setTimeout(r, joinedAt + 62_000 - Date.now()));
    await b.press('2');
    await waitForEvent(q.hotline, second, 'queue.offered', 15_000);
    // The first caller hangs up: the agent is free and goes to the waiting caller.
    await a.hangup();
    await waitForEvent(q.hotline, second, 'transfer.bridged', 30_000);
    await b.hangup();

    await q.hotline.endedCall(second);
    const events = await q.hotline.events(callId);
    const joined = dataOfAll(events, 'queue.joined')[0]!;
    const reassured = dataOfAll(events, 'queue.reassured');
    const offered = dataOfAll(events, 'queue.offered');
    const gaps = reassured.slice(1).map((r, i) => r.startedAt - reassured[i]!.endedAt);
    console.log(
      `N5 queue: joined at +0; reassurances at ${reassured.map((r) => `+${r.startedAt - joined.ts} ms`).join(', ')}; ` +
        `gaps after the previous prompt ${gaps.join(', ')} ms; offer at +${offered[0]!.startedAt - joined.ts} ms`,
    );
    expect(joined).toMatchObject({ group: 'desk', position: 1 });
    // Reassurances before the offer, each 15 s after the previous prompt ended (±0.5 s): at about
    // 19 s and 39 s (the generated prompts last about 4.6 s); the slot at about 58 s is the offer's.
    expect(reassured.length).toBeGreaterThanOrEqual(2);
    for (const gap of gaps.slice(0, 1)) expect(Math.abs(gap - 15_000)).toBeLessThanOrEqual(500);
    // The offer by 60 s of waiting (+0.5 s): it takes the reassurance slot whose prompt would
    // still be playing at 60 s, 15 s (±0.5 s) after the previous prompt; answered with 2.
    const lastReassured = reassured.filter((r) => r.startedAt < offered[0]!.startedAt).at(-1)!;
    expect(offered[0]!.startedAt - joined.ts).toBeLessThanOrEqual(60_500);
    expect(Math.abs(offered[0]!.startedAt - lastReassured.endedAt - 15_000)).toBeLessThanOrEqual(500);
    expect(offered[0]!.key).toBe('2');
    // Served by the agent that came free, thanked for waiting, then the work number.
    expect(dataOfAll(events, 'queue.served')[0]).toMatchObject({ agent: 'q1' });
    expect(dataOfAll(events, 'queue.left')[0]).toMatchObject({ reason: 'served' });
    const legs = dataOfAll(events, 'transfer.leg');
    expect(legs.map((l) => [l.agent, l.outcome])).toEqual([['q1', 'answered']]);
    expect(dataOfAll(events, 'transfer.bridged')[0]).toMatchObject({ agent: 'q1', workNumber: '1066' });
    // N5: music and prompts the whole wait; no dead air over the budget.
    const silence = dataOfAll(events, 'call.silence')[0]!;
    console.log(`N5 queued call: ${JSON.stringify(silence)}`);
    expect(silence.withinBudget).toBe(true);
    expect(silence.maxDeadAirMs).toBeLessThan(1000);
  }, 180_000);
});

describe('N5 N8 callback from the hold queue', () => {
  // The offer after 15 s (the 60 s schedule is tested above); agent rings keep their length.
  const q = useQueueHotline('test/fixtures/flows/queue-callback.yaml');

  it('N5 N8: 1 at the offer leaves a number; when the agent comes free the scheduler calls back, agent first (rung and told why before the dial); the callee presses 1 and is bridged', async () => {
    const { a, b, second, queuedId, joinedAt } = await agentBusyCallerQueued(q);
    await new Promise((r) => setTimeout(r, joinedAt + 15_000 + 1500 - Date.now()));
    await b.press('1');
    // The caller ID is read back; 1 confirms it.
    await waitForEvent(q.hotline, second, 'callback.readback', 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    await b.press('1');
    await waitForEvent(q.hotline, second, 'callback.requested', 30_000);
    await b.ended(60_000);

    // The agent is still busy: nothing is dialled. Then the first caller hangs up.
    await new Promise((r) => setTimeout(r, 3000));
    let rows = (await (await fetch(`${q.hotline.controller.httpUrl}/api/callbacks`, { headers: { Authorization: `Bearer ${q.hotline.token}` } })).json()) as {
      callbacks: Array<{ number: string; status: string; attempts: number }>;
    };
    expect(rows.callbacks.find((c) => c.number === second)).toMatchObject({ status: 'pending', attempts: 0 });
    const freedAt = Date.now();
    await a.hangup();

    // The callback: an outbound call to the second caller's number, bridged to the agent.
    let outbound: { id: string } | undefined;
    for (let i = 0; i < 300 && !outbound; i++) {
      outbound = (await q.hotline.calls()).find((c) => c.caller === second && c.id !== queuedId);
      if (!outbound) await new Promise((r) => setTimeout(r, 100));
    }
    expect(outbound, 'the scheduler dialled the callee').toBeDefined();
    for (let i = 0; i < 300; i++) {
      if ((await q.hotline.events(outbound!.id)).some((e) => e.type === 'transfer.bridged')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await q.callers.rest('DELETE', `/channels/${outbound!.id}`);
    await q.hotline.endedCall(second);

    const queued = await q.hotline.events(queuedId);
    expect(dataOfAll(queued, 'queue.offered')[0]).toMatchObject({ key: '1' });
    expect(dataOfAll(queued, 'queue.left')[0]).toMatchObject({ reason: 'callback' });
    expect(dataOfAll(queued, 'callback.requested')[0]).toMatchObject({ number: second, reason: 'unanswered-query' });
    const attempt = dataOfAll(queued, 'callback.attempt')[0]!;
    expect(attempt).toMatchObject({ attempt: 1, agent: 'q1', outcome: 'answered' });
    // Agent first: q1 was rung and heard 「回拨:」 why and the number before the callee was dialled.
    expect(dataOfAll(queued, 'transfer.leg').map((l) => [l.agent, l.outcome])).toEqual([['q1', 'answered']]);
    const whisper = dataOfAll(queued, 'callback.whisper')[0]!;
    expect(whisper).toMatchObject({ agent: 'q1', heard: true });
    expect(whisper.prompts.slice(0, 2)).toEqual(['whisper.callback', 'callback.reason.unanswered-query']);
    expect(whisper.ts).toBeLessThanOrEqual(attempt.ts - attempt.ringMs);
    console.log(
      `N8 callback: dialled ${attempt.ts - attempt.ringMs - freedAt} ms after the agent came free (its ring and whisper included) ` +
        `(due ${attempt.lateMs} ms earlier, while the only agent was busy); callee answered after ${attempt.ringMs} ms`,
    );
    const call = await q.hotline.events(outbound!.id);
    expect(dataOfAll(call, 'callback.started')[0]).toMatchObject({ agent: 'q1', group: 'desk', attempt: 1 });
    expect(dataOfAll(call, 'menu.choice')[0]).toMatchObject({ digit: '1', target: 'callback-desk' });
    // The callee's transfer rings nobody: the reserved agent is waiting on hold music.
    expect(dataOfAll(call, 'transfer.leg')).toEqual([]);
    expect(dataOfAll(call, 'transfer.bridged')[0]).toMatchObject({ agent: 'q1', workNumber: '1066' });
    rows = (await (await fetch(`${q.hotline.controller.httpUrl}/api/callbacks`, { headers: { Authorization: `Bearer ${q.hotline.token}` } })).json()) as typeof rows;
    expect(rows.callbacks.find((c) => c.number === second)).toMatchObject({ status: 'done', attempts: 1 });
  }, 180_000);
});

