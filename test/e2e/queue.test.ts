// N5 end to end, unscaled: a caller queued behind a busy agent hears the hold phrase, music,
// a reassurance every 15 s (counted from the end of the previous prompt) and the callback offer
// at 60 s; presses 2 to keep waiting; when the agent's conversation ends the agent is given to
// the waiting caller, who hears 「感谢您的耐心等待。」 and the work number and is bridged.
import { copyFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRow } from '../../src/store/call-queries.js';
import type { EventData } from '../../src/store/events.js';
import { waitForEvent } from './support/call-helpers.js';
import { TestCallers } from './support/test-caller.js';
import { freshCaller, startTestController, type TestController } from './support/test-controller.js';

const ROOT = process.env.HOTLINE_SANDBOX_CACHE ?? '/var/cache/hotline-sandbox';
const dataOfAll = <T extends keyof EventData>(events: EventRow[], type: T) =>
  events.filter((e) => e.type === type).map((e) => ({ ...(e.data as EventData[T]), ts: e.ts }));

describe('N5 hold queue', () => {
  let hotline: TestController;
  const callers = new TestCallers();

  beforeAll(async () => {
    copyFileSync('test/fixtures/asterisk/extensions_local.conf', `${ROOT}/root/etc/asterisk/extensions_local.conf`);
    execFileSync('chroot', [`${ROOT}/root`, 'asterisk', '-rx', 'dialplan reload']);
    hotline = await startTestController('test/fixtures/flows/queue.yaml', { FLOW_TIME_SCALE: '1' });
    const res = await fetch(`${hotline.controller.httpUrl}/api/agents/q1/login`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${hotline.token}` },
    });
    expect(res.status).toBe(200);
    await callers.connect();
  });
  afterAll(async () => {
    callers.close();
    await hotline?.stop();
  });

  it('N5: reassurance every 15 s and the offer at 60 s (unscaled); 2 keeps waiting; the freed agent takes the waiting caller', async () => {
    // The first caller takes the only agent.
    const first = freshCaller();
    const a = await callers.dial(first);
    await a.answered();
    await waitForEvent(hotline, first, 'transfer.bridged', 30_000);

    // The second caller finds nobody free and waits on hold.
    const second = freshCaller();
    const b = await callers.dial(second);
    await b.answered();
    const callId = await waitForEvent(hotline, second, 'queue.joined', 30_000);
    const joinedAt = (await hotline.events(callId)).find((e) => e.type === 'queue.joined')!.ts;
    // Two seconds into the offer (due 60 s after joining) the caller presses 2: keep waiting.
    await new Promise((r) => setTimeout(r, joinedAt + 62_000 - Date.now()));
    await b.press('2');
    await waitForEvent(hotline, second, 'queue.offered', 15_000);
    // The first caller hangs up: the agent is free and goes to the waiting caller.
    await a.hangup();
    await waitForEvent(hotline, second, 'transfer.bridged', 30_000);
    await b.hangup();

    await hotline.endedCall(second);
    const events = await hotline.events(callId);
    const joined = dataOfAll(events, 'queue.joined')[0]!;
    const reassured = dataOfAll(events, 'queue.reassured');
    const offered = dataOfAll(events, 'queue.offered');
    const gaps = reassured.slice(1).map((r, i) => r.startedAt - reassured[i]!.endedAt);
    console.log(
      `N5 queue: joined at +0; reassurances at ${reassured.map((r) => `+${r.startedAt - joined.ts} ms`).join(', ')}; ` +
        `gaps after the previous prompt ${gaps.join(', ')} ms; offer at +${offered[0]!.startedAt - joined.ts} ms`,
    );
    expect(joined).toMatchObject({ group: 'desk', position: 1 });
    // Three reassurances before the offer, each 15 s after the previous prompt ended (±0.5 s).
    expect(reassured.length).toBeGreaterThanOrEqual(3);
    for (const gap of gaps.slice(0, 2)) expect(Math.abs(gap - 15_000)).toBeLessThanOrEqual(500);
    // The offer after 60 s of waiting (±0.5 s), answered with 2: the caller stays.
    expect(Math.abs(offered[0]!.startedAt - joined.ts - 60_000)).toBeLessThanOrEqual(500);
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
