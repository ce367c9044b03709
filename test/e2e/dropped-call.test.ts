// N9 end to end: a caller whose line drops (cause 38, network out of order: not a normal
// clearing) while waiting in the hold queue gets an immediate "dropped" callback that keeps the
// caller's place; when the agent comes free the scheduler calls back, and the callee's first
// words are 「非常抱歉,刚才电话断线了。」 before the callback greeting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AriObserver } from './support/ari-observer.js';
import { waitForEvent } from './support/call-helpers.js';
import { until } from './support/db-reader.js';
import { clearLane } from './support/lane.js';
import { TestCallers } from './support/test-caller.js';
import { freshCaller, startTestController, type TestController } from './support/test-controller.js';

describe('N9 dropped-call recovery', () => {
  const callers = new TestCallers();
  const observer = new AriObserver();
  let hotline: TestController;

  beforeAll(async () => {
    await callers.connect();
    await observer.connect();
    await clearLane(callers);
    hotline = await startTestController('test/fixtures/flows/queue-callback.yaml', { FLOW_TIME_SCALE: '1' });
    const res = await fetch(`${hotline.controller.httpUrl}/api/agents/q1/login`, { method: 'POST', headers: { Authorization: `Bearer ${hotline.token}` } });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await hotline?.stop();
    await clearLane(callers).catch(() => undefined);
    callers.close();
    observer.close();
  });

  it('N9: dropped (cause 38) while queued: a dropped callback at once, dialled when the agent is free, opening with the apology', async () => {
    const first = freshCaller();
    const a = await callers.dial(first);
    await a.answered();
    await waitForEvent(hotline, first, 'transfer.bridged', 30_000);
    // 137XXXXXXXX: a callee who presses 1 during the callback greeting, after the apology.
    const second = `137${freshCaller().slice(3)}`;
    const b = await callers.dial(second);
    await b.answered();
    const queuedId = await waitForEvent(hotline, second, 'queue.joined', 30_000);
    await new Promise((r) => setTimeout(r, 2000));

    // The line drops: the caller's side ends with cause 38, which reaches the hotline's channel.
    const droppedAt = Date.now();
    await callers.rest('DELETE', `/channels/${b.id}`, { reason_code: '38' });
    const call = await hotline.endedCall(second);
    expect(call).toMatchObject({ hangupBy: 'caller', hangupCause: 38 });
    const queued = await until('the dropped callback logged', 10_000, async () => {
      const events = await hotline.events(queuedId);
      return events.some((e) => e.type === 'callback.requested') ? events : undefined;
    });
    const requested = queued.find((e) => e.type === 'callback.requested')!;
    expect(requested.data).toMatchObject({ number: second, reason: 'dropped' });
    expect(requested.ts - droppedAt).toBeLessThan(2000);
    // N8: a dropped call is promised within 3 min.
    expect((requested.data as { promisedBy: number }).promisedBy - requested.ts).toBeLessThanOrEqual(3 * 60_000);
    expect(queued.find((e) => e.type === 'queue.left')?.data).toMatchObject({ reason: 'hangup' });

    // The only agent is still busy: nothing is dialled until the first caller hangs up.
    await new Promise((r) => setTimeout(r, 3000));
    const callee = `Local/${second}@hotline-test-callees`;
    expect(observer.channelsCreated(callee)).toEqual([]);
    await a.hangup();

    const dial = await until('the callback dialled', 60_000, () => observer.channelsCreated(callee).find((c) => c.name.endsWith(';1')));
    const bridged = await until('the callee bridged to the agent', 60_000, async () => {
      const events = await hotline.events(dial.id).catch(() => []);
      return events.some((e) => e.type === 'transfer.bridged') ? events : undefined;
    });
    expect(bridged.find((e) => e.type === 'callback.started')?.data).toMatchObject({ agent: 'q1', group: 'desk', attempt: 1 });
    // What Asterisk played to the callee: the apology first, then the callback greeting.
    const media = observer.mediaPlayedTo(dial.id);
    expect(media[0]).toBe('sound:hotline/zh-CN/dropped.apology');
    expect(media, media.join(' ')).toContain('sound:hotline/zh-CN/callback.greeting');
    expect(media.indexOf('sound:hotline/zh-CN/callback.greeting')).toBeGreaterThan(0);
    await callers.rest('DELETE', `/channels/${dial.id}`).catch(() => undefined);
  }, 180_000);
});
