// N11 end to end: a number listed through the API hears the refusal and is hung up, with nothing
// logged but the screening's events; a withheld caller ID is refused when the flow says
// `anonymous: refuse`; a number calling more than 3 times in 10 minutes is blocked by the flood
// rule; a caller who gets through hears the wrong-number phrase.
import { describe, expect, it } from 'vitest';
import { isWithheld } from '../../src/blacklist/blacklist-match.js';
import type { CallRow } from '../../src/store/call-queries.js';
import { dataOf, types } from './support/call-helpers.js';
import { freshCaller, type TestController } from './support/test-controller.js';
import { useHotline } from './support/use-hotline.js';

// What the screening logs for a refused caller, and nothing else: no ringing, no greeting.
const REFUSED = ['blacklist.matched', 'call.answered', 'call.hangup', 'call.silence'];

/** The ended calls matching `pick`, once there are at least `count` of them (oldest first). */
async function endedCalls(hotline: TestController, pick: (c: CallRow) => boolean, count: number, timeoutMs = 40_000): Promise<CallRow[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const rows = (await hotline.calls()).filter((c) => pick(c) && c.endedAt !== null).sort((a, b) => a.startedAt - b.startedAt);
    if (rows.length >= count) return rows;
    if (Date.now() > until) throw new Error(`only ${rows.length} of ${count} ended calls within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('N11 blacklist and harassment', () => {
  const h = useHotline('test/fixtures/flows/blacklist.yaml', { FLOW_TIME_SCALE: '1' });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${h.hotline.controller.httpUrl}/api${path}`, {
      method,
      headers: { Authorization: `Bearer ${h.hotline.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('N11: a number listed through the API hears the refusal and is hung up; only the screening is logged', async () => {
    const number = freshCaller();
    const added = await api('POST', '/blacklist', { number, reason: 'abusive calls', by: 'e2e', ttlMinutes: 30 });
    expect(added.status).toBe(201);
    const entry = added.body.entry as { id: number };
    const caller = await h.callers.dial(number);
    await caller.answered();
    await caller.ended(30_000);
    const [call] = await endedCalls(h.hotline, (c) => c.caller === number, 1);
    const events = await h.hotline.events(call!.id);
    expect(types(events)).toEqual(REFUSED);
    expect(dataOf(events, 'blacklist.matched')).toEqual({
      entry: entry.id, kind: 'exact', value: number, reason: 'abusive calls', source: 'list', prompt: 'blacklisted',
    });
    expect(call).toMatchObject({ outcome: 'blacklisted', hangupBy: 'system' });

    // Removed (kept and audited), the number gets through again.
    expect((await api('DELETE', `/blacklist/${entry.id}`, { by: 'e2e', reason: 'done' })).status).toBe(200);
    const again = await h.callers.dial(number);
    await again.answered();
    await again.hangup();
    const [, second] = await endedCalls(h.hotline, (c) => c.caller === number, 2);
    expect(types(await h.hotline.events(second!.id))).not.toContain('blacklist.matched');
  }, 120_000);

  it('N11: a withheld caller ID is refused when the flow says anonymous: refuse', async () => {
    const since = Date.now() - 1000;
    const caller = await h.callers.dial('anonymous');
    await caller.answered();
    await caller.ended(30_000);
    const [call] = await endedCalls(h.hotline, (c) => isWithheld(c.caller) && c.startedAt >= since, 1);
    const events = await h.hotline.events(call!.id);
    expect(types(events)).toEqual(REFUSED);
    expect(dataOf(events, 'blacklist.matched')).toMatchObject({ entry: null, kind: 'anonymous', source: 'flow' });
    expect(call).toMatchObject({ outcome: 'blacklisted', hangupBy: 'system' });
  }, 120_000);

  it('N11: a caller who gets through hears the wrong-number phrase; the 4th call within 10 minutes is blocked by the flood rule', async () => {
    const number = freshCaller();
    // 1st call: the whole flow (greeting, wrong-number phrase, the system hangs up).
    const first = await h.callers.dial(number);
    await first.answered();
    await first.ended(40_000);
    const [one] = await endedCalls(h.hotline, (c) => c.caller === number, 1);
    const firstEvents = await h.hotline.events(one!.id);
    expect(types(firstEvents)).toEqual(expect.arrayContaining(['greeting.played', 'wrong-number.played']));
    expect(dataOf(firstEvents, 'wrong-number.played')).toEqual({ step: 'wrong', prompts: ['wrong-number'] });
    expect(one).toMatchObject({ outcome: 'completed', hangupBy: 'system' });
    // 2nd and 3rd: the caller hangs up once answered.
    for (let n = 2; n <= 3; n++) {
      const c = await h.callers.dial(number);
      await c.answered();
      await c.hangup();
      await endedCalls(h.hotline, (row) => row.caller === number, n);
    }
    // 4th: over the limit.
    const fourth = await h.callers.dial(number);
    await fourth.answered();
    await fourth.ended(30_000);
    const rows = await endedCalls(h.hotline, (c) => c.caller === number, 4);
    const events = await h.hotline.events(rows[3]!.id);
    expect(types(events)).toEqual(['blacklist.auto-added', ...REFUSED]);
    expect(dataOf(events, 'blacklist.auto-added')).toMatchObject({ calls: 4, limit: 3, withinMinutes: 10, blockMinutes: 60 });
    const listed = await api('GET', '/blacklist');
    expect(listed.body.entries).toEqual(expect.arrayContaining([expect.objectContaining({ value: number, addedBy: 'flood-rule', active: true })]));
  }, 180_000);
});
