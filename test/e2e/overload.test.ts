// Issue 12, item 4: overload is a decision. With HOTLINE_MAX_CALLS=1 the second caller is shed:
// the controller hands it back to the lane's entry dialplan, which rings on to the answer time,
// answers and plays the `busy` apology; the call is logged as call.shed and counted, /health
// says degraded (capacity) while it lasts, and the first caller keeps its service.
import { describe, expect, it } from 'vitest';
import { dataOf, types, waitForEvent } from './support/call-helpers.js';
import { clearLane } from './support/lane.js';
import { TestCallers } from './support/test-caller.js';
import { freshCaller, startTestController } from './support/test-controller.js';

describe('overload: shedding past HOTLINE_MAX_CALLS (issue 12)', () => {
  it('N1: the caller past the capacity is answered inside the ring budget by the entry and hears the busy apology; the call in progress goes on', async () => {
    const callers = new TestCallers();
    await callers.connect();
    await clearLane(callers);
    const hotline = await startTestController('test/fixtures/flows/e2e.yaml', { HOTLINE_MAX_CALLS: '1' });
    try {
      const firstNumber = freshCaller();
      const first = await callers.dial(firstNumber);
      await first.answered();
      await waitForEvent(hotline, firstNumber, 'menu.prompted');

      const shedNumber = freshCaller();
      const dialledAt = Date.now();
      const shed = await callers.dial(shedNumber);
      // The caller side listens from its answer on: the apology must reach it (no dead air).
      const shedHeard = (async () => {
        const at = await shed.answered(15_000);
        await callers.rest('POST', `/channels/${shed.id}/variable`, { variable: 'TALK_DETECT(set)', value: '' });
        await callers.waitForEvent((e) => e.type === 'ChannelTalkingStarted' && e.channel?.id === shed.id);
        return at;
      })();

      // Shed at once, logged and counted; /health says why.
      const shedId = await waitForEvent(hotline, shedNumber, 'call.shed', 5000);
      const events = await hotline.events(shedId);
      expect(types(events)).toEqual(['call.shed']);
      expect(dataOf(events, 'call.shed')).toMatchObject({ reason: 'capacity', liveCalls: 1, maxCalls: 1, route: 'dialplan' });
      const health = (await (await fetch(`${hotline.controller.httpUrl}/health`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ status: 'degraded', shedding: 'capacity', load: { liveCalls: 1, shed: { capacity: 1 } } });

      // The first caller keeps its service: its menu still takes its key, and its flow ends it.
      await first.press('1');
      await first.ended();
      expect(await hotline.endedCall(firstNumber)).toMatchObject({ outcome: 'completed', hangupBy: 'system' });

      // The lane entries follow the sandbox's flow: answered at 5.0 s (2nd ring), before 11 s.
      const answeredAt = await shedHeard;
      expect(answeredAt - dialledAt).toBeGreaterThanOrEqual(4500);
      expect(answeredAt - dialledAt).toBeLessThanOrEqual(11_000);
      // Asterisk ends the call after the apology.
      await shed.ended(30_000);
      expect((await hotline.calls()).find((c) => c.id === shedId)).toMatchObject({ outcome: 'shed' });
    } finally {
      callers.close();
      await hotline.stop();
    }
  });
});
