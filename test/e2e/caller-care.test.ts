// N3 N5 N10 end to end: the silent-line protocol on real talk detection, and the linger
// protocol after the goodbye, with real Local-channel callers. The first test runs the product
// defaults unscaled; the others run the same protocol at FLOW_TIME_SCALE=0.6.
import { describe, expect, it } from 'vitest';
import type { EventRow } from '../../src/store/call-queries.js';
import { dataOf, types, waitForEvent } from './support/call-helpers.js';
import { freshCaller } from './support/test-controller.js';
import { useHotline } from './support/use-hotline.js';

const FLOW = 'test/fixtures/flows/caller-care.yaml';
const TOLERANCE_MS = 500;

interface Attempt { attempt: number; prompt: string; startedAt: number; endedAt: number }
const attemptsOf = (events: EventRow[]) => events.filter((e) => e.type === 'silent.attempt').map((e) => e.data as Attempt);

describe('N3 silent line with the real defaults', () => {
  const h = useHotline(FLOW);

  it('N3 N5: a silent caller is asked three times 5 s apart, hears the goodbye and is hung up 2 s later', async () => {
    const number = freshCaller();
    const caller = await h.callers.dial(number);
    await caller.answered();
    await caller.ended(120_000);

    const call = await h.hotline.endedCall(number);
    const events = await h.hotline.events(call.id);
    const attempts = attemptsOf(events);
    expect(attempts.map((a) => a.prompt)).toEqual(['silent.attempt1', 'silent.attempt2', 'silent.attempt2']);
    const goodbye = dataOf<{ startedAt: number; endedAt: number }>(events, 'silent.goodbye');
    // Each gap: from the end of one prompt to the start of the next = the 5 s listening window.
    const gaps = [
      attempts[1]!.startedAt - attempts[0]!.endedAt,
      attempts[2]!.startedAt - attempts[1]!.endedAt,
      goodbye.startedAt - attempts[2]!.endedAt,
    ];
    console.log(`N3 listening gaps (configured 5000 ms): ${gaps.join(', ')} ms`);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(5000 - TOLERANCE_MS);
      expect(gap).toBeLessThanOrEqual(5000 + TOLERANCE_MS);
    }
    const hangup = events.find((e) => e.type === 'call.hangup')!;
    const pause = hangup.ts - goodbye.endedAt;
    console.log(`N3 pause before hang-up (configured 2000 ms): ${pause} ms`);
    expect(pause).toBeGreaterThanOrEqual(2000 - TOLERANCE_MS);
    expect(pause).toBeLessThanOrEqual(2000 + TOLERANCE_MS);
    expect(types(events)).not.toContain('silent.ended');
    expect(types(events)).not.toContain('menu.prompted');
    expect(call).toMatchObject({ hangupBy: 'system', outcome: 'completed' });
    // N5: never more than the budget without audio, and no silence outside declared windows.
    expect(call.maxGapMs).toBeLessThanOrEqual(5000 + TOLERANCE_MS);
    expect(call.maxDeadAirMs).toBeLessThan(1000);
    expect(dataOf(events, 'call.silence')).toMatchObject({ budgetMs: 5000, withinBudget: true });
  });
});

describe('N3 N10 caller care at FLOW_TIME_SCALE=0.6', () => {
  const h = useHotline(FLOW, { FLOW_TIME_SCALE: '0.6' });

  it('N3: a caller who speaks after the first prompt ends the protocol and reaches the menu', async () => {
    const number = freshCaller();
    const caller = await h.callers.dial(number);
    await caller.answered();
    await waitForEvent(h.hotline, number, 'silent.attempt', 60_000);
    await caller.play('sound:hello-world'); // the caller says something
    await waitForEvent(h.hotline, number, 'menu.prompted');
    await caller.hangup();

    const call = await h.hotline.endedCall(number);
    const events = await h.hotline.events(call.id);
    expect(attemptsOf(events)).toHaveLength(1);
    expect(dataOf(events, 'silent.ended')).toMatchObject({ by: 'voice', attempt: 1 });
    expect(types(events).indexOf('menu.prompted')).toBeGreaterThan(types(events).indexOf('silent.ended'));
    expect(types(events)).not.toContain('silent.goodbye');
  });

  it('N3: a caller who presses a key during the second attempt reaches the menu with that key', async () => {
    const number = freshCaller();
    const caller = await h.callers.dial(number);
    await caller.answered();
    await waitForEvent(h.hotline, number, 'silent.attempt', 60_000);
    // Attempt 1 ended; 3 s of listening (5 s × 0.6), then attempt 2 (about 3.5 s) plays.
    await new Promise((r) => setTimeout(r, 3000 + 1500));
    await caller.press('1');
    await waitForEvent(h.hotline, number, 'menu.choice');
    await caller.hangup();

    const call = await h.hotline.endedCall(number);
    const events = await h.hotline.events(call.id);
    expect(dataOf(events, 'silent.ended')).toMatchObject({ by: 'dtmf', attempt: 2 });
    expect(attemptsOf(events)[1]).toMatchObject({ attempt: 2, prompt: 'silent.attempt2' });
    expect(dataOf(events, 'menu.choice')).toMatchObject({ digit: '1', target: 'business', typeAhead: true });
  });

  it('N10: a lingering caller hears both linger prompts and is hung up; one who hangs up after the goodbye is not', async () => {
    const lingering = freshCaller();
    const leaving = freshCaller();
    const [a, b] = await Promise.all([h.callers.dial(lingering), h.callers.dial(leaving)]);
    await Promise.all([a.answered(), b.answered()]);
    // Both say something over the greeting (so no silent-line protocol), then choose 1.
    await Promise.all([a.press('1'), b.press('1')]);
    await waitForEvent(h.hotline, leaving, 'goodbye.played', 60_000);
    await b.hangup();
    await a.ended(90_000);

    const lingerCall = await h.hotline.endedCall(lingering);
    const events = await h.hotline.events(lingerCall.id);
    const prompted = events.filter((e) => e.type === 'linger.prompted').map((e) => e.data as { n: number; prompt: string; startedAt: number; endedAt: number });
    expect(prompted.map((p) => p.prompt)).toEqual(['linger.1', 'linger.2']);
    const bye = dataOf<{ endedAt: number }>(events, 'goodbye.played');
    const hangupTs = events.find((e) => e.type === 'call.hangup')!.ts;
    const wait = 3000 * 0.6;
    const gaps = [prompted[0]!.startedAt - bye.endedAt, prompted[1]!.startedAt - prompted[0]!.endedAt, hangupTs - prompted[1]!.endedAt];
    console.log(`N10 linger gaps (configured ${wait} ms at scale 0.6): ${gaps.join(', ')} ms`);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(wait - TOLERANCE_MS);
      expect(gap).toBeLessThanOrEqual(wait + TOLERANCE_MS);
    }
    expect(types(events)).toContain('linger.expired');
    expect(lingerCall).toMatchObject({ hangupBy: 'system' });

    const leftCall = await h.hotline.endedCall(leaving);
    const leftEvents = await h.hotline.events(leftCall.id);
    expect(types(leftEvents)).not.toContain('linger.prompted');
    expect(leftCall).toMatchObject({ hangupBy: 'caller' });
    expect(dataOf(leftEvents, 'call.hangup')).toMatchObject({ by: 'caller' });
  });

  it('N10: a caller who speaks while lingering goes back to the menu', async () => {
    const number = freshCaller();
    const caller = await h.callers.dial(number);
    await caller.answered();
    await caller.press('2');
    await waitForEvent(h.hotline, number, 'goodbye.played', 60_000);
    await caller.play('sound:hello-world');
    await waitForEvent(h.hotline, number, 'linger.resumed');
    await waitForEvent(h.hotline, number, 'menu.prompted');
    await caller.hangup();

    const call = await h.hotline.endedCall(number);
    const events = await h.hotline.events(call.id);
    expect(dataOf(events, 'linger.resumed')).toMatchObject({ by: 'voice', target: 'main-menu' });
    expect(call.hangupBy).toBe('caller');
  });
});
