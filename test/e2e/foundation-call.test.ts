// N1 N2 N4 N10 N14 end to end: a real Asterisk, a scripted Local-channel caller, the whole
// controller in-process, and the event log read back through the HTTP API.
import { describe, expect, it } from 'vitest';
import { freshCaller } from './support/test-controller.js';
import { useHotline } from './support/use-hotline.js';
import { dataOf, types, waitForEvent } from './support/call-helpers.js';

const FLOW = 'test/fixtures/flows/e2e.yaml'; // cadence 300/200 ms, answer after 1 ring

describe('a hotline call through the real Asterisk', () => {
  const h = useHotline(FLOW);

  it('N1 N2 N4 N10 N14: ring, answer within the rings, greeting, menu choice, goodbye, hang-up, in that order', async () => {
    const number = freshCaller();
    const caller = await h.callers.dial(number);
    await caller.answered();
    await waitForEvent(h.hotline, number, 'menu.prompted');
    await caller.press('1');
    await caller.ended();

    const call = await h.hotline.endedCall(number);
    const events = await h.hotline.events(call.id);
    expect(types(events)).toEqual([
      'call.ringing',
      'call.answered',
      'greeting.played',
      'menu.prompted',
      'menu.choice',
      'prompt.played',
      'goodbye.played',
      'call.hangup',
      'call.silence',
    ]);
    expect(events.map((e) => e.rule)).toEqual(['N1', 'N1', 'N2', 'N4', 'N4', null, 'N10', 'N10', 'N5']);
    // Timestamps never go backwards: the log is in the order things happened.
    const ts = events.map((e) => e.ts);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);

    // N1: answered after one full ring cycle (500 ms), on the 2nd ring, never past the 3rd burst (1300 ms).
    const answered = dataOf<{ delayMs: number; targetMs: number; rings: number; withinBudget: boolean }>(events, 'call.answered');
    expect(answered.targetMs).toBe(500);
    expect(answered.delayMs).toBeGreaterThanOrEqual(500);
    expect(answered.delayMs).toBeLessThanOrEqual(1300);
    expect(answered.rings).toBe(2);
    expect(answered.withinBudget).toBe(true);
    expect(call.answerDelayMs).toBe(answered.delayMs);

    expect(dataOf<{ prompts: string[] }>(events, 'greeting.played').prompts.at(-1)).toBe('greeting.body');
    expect(dataOf(events, 'menu.choice')).toMatchObject({ step: 'main-menu', digit: '1', target: 'business' });
    expect(dataOf(events, 'prompt.played')).toMatchObject({ prompts: ['info.business'] });
    expect(dataOf<{ prompts: string[] }>(events, 'goodbye.played').prompts[0]).toMatch(/^closing\.thanks/);
    expect(dataOf(events, 'call.hangup')).toMatchObject({ by: 'system' });

    // N14: the calls row is complete.
    expect(call).toMatchObject({ caller: number, called: '4008008000', hangupBy: 'system', outcome: 'completed' });
    expect(call.answeredAt).not.toBeNull();
    expect(call.endedAt).toBeGreaterThanOrEqual(call.answeredAt!);
  });

  it('N2 type-ahead: a key during the greeting stops it and is the menu choice', async () => {
    const number = freshCaller();
    const caller = await h.callers.dial(number);
    await caller.answered();
    await waitForEvent(h.hotline, number, 'call.answered');
    await new Promise((r) => setTimeout(r, 1500)); // well inside the ~7 s greeting
    await caller.press('2');
    await caller.ended();

    const call = await h.hotline.endedCall(number);
    const events = await h.hotline.events(call.id);
    expect(dataOf(events, 'greeting.played')).toMatchObject({ interrupted: true });
    expect(types(events)).not.toContain('menu.prompted');
    expect(dataOf(events, 'menu.choice')).toMatchObject({ digit: '2', target: 'repair', typeAhead: true });
    expect(call.outcome).toBe('completed');
  });

  it('N14: a caller who hangs up mid-greeting leaves a complete call row and no error', async () => {
    const number = freshCaller();
    const caller = await h.callers.dial(number);
    await caller.answered();
    await waitForEvent(h.hotline, number, 'call.answered');
    await new Promise((r) => setTimeout(r, 1000));
    await caller.hangup();

    const call = await h.hotline.endedCall(number);
    const events = await h.hotline.events(call.id);
    expect(call).toMatchObject({ hangupBy: 'caller', outcome: 'abandoned' });
    expect(call.hangupCause).toBe(16); // normal clearing, as Asterisk reported it
    expect(types(events)).not.toContain('flow.error');
    expect(types(events)).not.toContain('greeting.played'); // the greeting never finished
    expect(dataOf(events, 'call.hangup')).toMatchObject({ by: 'caller', cause: 16 });
    expect(h.hotline.controller.registry.size).toBe(0);
  });
});
