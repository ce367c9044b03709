// N5 end to end, unscaled: position announcements that never go up (asterisk#1386). One agent:
// the first caller takes it, two more wait. The third caller's first reassurance says
// 「您前面还有1位」; when the first caller hangs up the agent goes to the second, and the third's
// next reassurance says 「您是下一位」; its place is never said higher, and it is served next.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRow } from '../../src/store/call-queries.js';
import type { EventData } from '../../src/store/events.js';
import { waitForEvent } from './support/call-helpers.js';
import { clearLane } from './support/lane.js';
import { TestCallers } from './support/test-caller.js';
import { freshCaller, startTestController, type TestController } from './support/test-controller.js';

const dataOfAll = <T extends keyof EventData>(events: EventRow[], type: T) =>
  events.filter((e) => e.type === type).map((e) => ({ ...(e.data as EventData[T]), ts: e.ts }));

describe('N5 position announcements', () => {
  const callers = new TestCallers();
  let hotline: TestController;

  beforeAll(async () => {
    // The only agent must be free: no call an earlier file left in this lane may be adopted.
    await clearLane(callers);
    hotline = await startTestController('test/fixtures/flows/queue-position.yaml', { FLOW_TIME_SCALE: '1' });
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

  it('N5: 您前面还有1位, then 您是下一位 once the caller ahead is served; the place said never goes up', async () => {
    const first = freshCaller();
    const a = await callers.dial(first);
    await a.answered();
    await waitForEvent(hotline, first, 'transfer.bridged', 30_000);
    const second = freshCaller();
    const b = await callers.dial(second);
    await b.answered();
    await waitForEvent(hotline, second, 'queue.joined', 30_000);
    const third = freshCaller();
    const c = await callers.dial(third);
    await c.answered();
    const thirdId = await waitForEvent(hotline, third, 'queue.position', 60_000);
    // The agent comes free: it goes to the second caller; the third is first in line now.
    await a.hangup();
    await waitForEvent(hotline, second, 'transfer.bridged', 30_000);
    for (let i = 0; i < 600; i++) {
      if (dataOfAll(await hotline.events(thirdId), 'queue.position').length >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await b.hangup();
    await waitForEvent(hotline, third, 'transfer.bridged', 30_000);
    await c.hangup();
    await hotline.endedCall(third);

    const events = await hotline.events(thirdId);
    const joined = dataOfAll(events, 'queue.joined')[0]!;
    const said = dataOfAll(events, 'queue.position');
    console.log(`N5 positions said: ${said.map((p) => `${p.position} at +${p.startedAt - joined.ts} ms`).join(', ')}`);
    expect(joined).toMatchObject({ position: 2 });
    expect(said.map((p) => [p.position, p.ahead])).toEqual([[2, 1], [1, 0]]);
    // Each at a reassurance slot: the reassurance that carried it started at the same instant.
    const reassured = dataOfAll(events, 'queue.reassured');
    for (const p of said) expect(reassured.map((r) => r.startedAt)).toContain(p.startedAt);
    expect(dataOfAll(events, 'queue.served')[0]).toMatchObject({ agent: 'q1' });
    // N5: music and prompts the whole wait.
    expect(dataOfAll(events, 'call.silence')[0]!.withinBudget).toBe(true);
  }, 240_000);
});
