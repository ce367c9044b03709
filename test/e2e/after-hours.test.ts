// N15 end to end: a call outside the service hours is told the hours and leaves a callback
// number (N7), never a dead end. The flow (after-hours.yaml) is closed whatever the time.
import { describe, expect, it } from 'vitest';
import { dataOf, types, waitForEvent } from './support/call-helpers.js';
import { freshCaller } from './support/test-controller.js';
import { useHotline } from './support/use-hotline.js';

describe('N15 after-hours call', () => {
  const h = useHotline('test/fixtures/flows/after-hours.yaml');

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${h.hotline.controller.httpUrl}/api${path}`, { headers: { Authorization: `Bearer ${h.hotline.token}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  it('N15: an after-hours caller hears the hours, confirms the caller ID as callback number, and is called back later', async () => {
    expect(await api<{ state: string; configured: boolean }>('/hours')).toMatchObject({ state: 'closed', configured: true });
    const number = freshCaller();
    const caller = await h.callers.dial(number);
    await caller.answered();
    // Greeting, the hours, then the callback question and the caller ID read back (N7).
    await waitForEvent(h.hotline, number, 'callback.readback', 90_000);
    await caller.press('1');
    await waitForEvent(h.hotline, number, 'callback.requested', 30_000);
    const call = await h.hotline.endedCall(number, 60_000);
    const events = await h.hotline.events(call.id);

    const flowTypes = types(events).filter((t) =>
      ['greeting.played', 'hours.checked', 'prompt.played', 'callback.readback', 'callback.requested', 'goodbye.played'].includes(t),
    );
    expect(flowTypes).toEqual(['greeting.played', 'hours.checked', 'prompt.played', 'callback.readback', 'callback.requested', 'goodbye.played']);
    expect(types(events)).not.toContain('flow.error');
    expect(dataOf(events, 'hours.checked')).toEqual({ step: 'office-hours', state: 'closed', reason: 'weekly', override: null, opensAt: null });
    expect(dataOf(events, 'prompt.played')).toEqual({ prompts: ['hours.closed'], interrupted: false });
    expect(dataOf(events, 'callback.readback')).toEqual({ number, source: 'caller-id', attempt: 1 });
    // N7/N8: the callback is stored with its promise, for the next callback hours.
    const requested = dataOf<{ id: number; number: string; reason: string }>(events, 'callback.requested');
    expect(requested).toMatchObject({ number, reason: 'unanswered-query' });
    const { callbacks } = await api<{ callbacks: Array<{ id: number; number: string; status: string; callId: string }> }>('/callbacks');
    expect(callbacks.filter((c) => c.number === number)).toMatchObject([{ id: requested.id, status: 'pending', callId: call.id }]);
  }, 120_000);
});
