// Small waits over the controller's HTTP API, shared by the end-to-end tests.
import type { EventRow } from '../../../src/store/call-queries.js';
import type { TestController } from './test-controller.js';

/** Waits until the caller's live call has logged an event of this type; returns the call id. */
export async function waitForEvent(hotline: TestController, caller: string, type: string, timeoutMs = 30_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const call = (await hotline.calls()).find((c) => c.caller === caller);
    if (call && (await hotline.events(call.id)).some((e) => e.type === type)) return call.id;
    if (Date.now() > until) {
      // Say what the call did log (or that there is no call at all): a flaky failure is then read
      // from the CI output, not guessed at.
      const seen = call ? `its events: ${types(await hotline.events(call.id)).join(', ') || 'none'}` : 'no call row for that caller';
      throw new Error(`no ${type} event for ${caller} within ${timeoutMs} ms (${seen})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function types(events: EventRow[]): string[] {
  return events.map((e) => e.type);
}

export function dataOf<T>(events: EventRow[], type: string): T {
  const hit = events.find((e) => e.type === type);
  if (!hit) throw new Error(`no ${type} event in ${types(events).join(', ')}`);
  return hit.data as T;
}
