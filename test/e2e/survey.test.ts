// N16 end to end: a caller's agent hangs up first; the caller is asked to rate the call,
// presses 4, and the rating is logged with the agent and the group.
import { describe, expect, it } from 'vitest';
import { dataOf, types, waitForEvent } from './support/call-helpers.js';
import { freshCaller } from './support/test-controller.js';
import { useHotline } from './support/use-hotline.js';


describe('N16 satisfaction survey', () => {
  const h = useHotline('test/fixtures/flows/survey.yaml', { FLOW_TIME_SCALE: '1' });

  it('N16: the agent hangs up first; the caller rates the call 4 and the rating is stored with agent and group', async () => {
    const login = await fetch(`${h.hotline.controller.httpUrl}/api/agents/s1/login`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${h.hotline.token}` },
    });
    expect(login.status).toBe(200);
    const number = freshCaller();
    const caller = await h.callers.dial(number);
    await caller.answered();
    await waitForEvent(h.hotline, number, 'transfer.bridged', 40_000);
    // The agent ends the conversation; the survey question starts.
    await waitForEvent(h.hotline, number, 'transfer.ended', 40_000);
    await new Promise((r) => setTimeout(r, 2000));
    await caller.press('4');
    await waitForEvent(h.hotline, number, 'survey.rated', 20_000);
    const call = await h.hotline.endedCall(number, 30_000);
    const events = await h.hotline.events(call.id);
    expect(dataOf(events, 'transfer.ended')).toMatchObject({ agent: 's1', by: 'agent' });
    expect(dataOf(events, 'survey.rated')).toMatchObject({ rating: 4, agent: 's1', group: 'desk', attempt: 1 });
    expect(types(events)).not.toContain('survey.abandoned');
    // The survey ends the call politely from the system side after the thanks.
    expect(call.hangupBy).toBe('system');
  }, 120_000);
});
