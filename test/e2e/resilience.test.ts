// What callers meet when the controller is down or restarts: never a phone that rings forever,
// never a call dropped or left in dead air by a restart.
import { describe, expect, it } from 'vitest';
import { dataOf, types, waitForEvent } from './support/call-helpers.js';
import { TestCallers } from './support/test-caller.js';
import { freshCaller, startTestController } from './support/test-controller.js';
import type { Caller } from './support/test-caller.js';

describe('controller down or restarting', () => {
  it('N1: with no controller connected, Asterisk still rings, answers inside the ring budget, apologises and hangs up', async () => {
    const callers = new TestCallers();
    await callers.connect();
    try {
      const dialledAt = Date.now();
      const caller = await callers.dial(freshCaller());
      // The caller side listens for audio: the apology must reach it (no dead air).
      const answeredAt = await caller.answered();
      await callers.rest('POST', `/channels/${caller.id}/variable`, { variable: 'TALK_DETECT(set)', value: '' });
      const heard = await callers.waitForEvent((e) => e.type === 'ChannelTalkingStarted' && e.channel?.id === caller.id);
      const endedAt = await caller.ended(30_000);

      // Sandbox flow (dialplans/hotline.yaml): 1 ring of 1 s on + 4 s off, limit = end of the 3rd burst (11 s).
      expect(answeredAt - dialledAt).toBeGreaterThanOrEqual(4500);
      expect(answeredAt - dialledAt).toBeLessThanOrEqual(11_000);
      expect(heard).toBeDefined();
      // The apology (about 9.5 s) ends the call: Asterisk hung up, not the caller.
      expect(endedAt - answeredAt).toBeGreaterThan(5000);
      expect(endedAt - answeredAt).toBeLessThan(20_000);
    } finally {
      callers.close();
    }
  });

  it('N14: a call in progress survives a controller restart: the new controller adopts it and finishes it', async () => {
    const callers = new TestCallers();
    await callers.connect();
    let first: Awaited<ReturnType<typeof startTestController>> | undefined = await startTestController('test/fixtures/flows/e2e.yaml');
    let second: Awaited<ReturnType<typeof startTestController>> | undefined;
    try {
      const number = freshCaller();
      const caller = await callers.dial(number);
      await caller.answered();
      await waitForEvent(first, number, 'menu.prompted');
      await first.stop();
      first = undefined;

      second = await startTestController('test/fixtures/flows/e2e.yaml');
      await waitForEvent(second, number, 'menu.prompted');
      await caller.press('1');
      await caller.ended();

      const call = await second.endedCall(number);
      const events = await second.events(call.id);
      expect(types(events)[0]).toBe('call.adopted');
      expect(dataOf(events, 'call.adopted')).toMatchObject({ state: 'Up' });
      expect(types(events)).not.toContain('call.answered'); // already answered: not answered twice
      expect(dataOf(events, 'menu.choice')).toMatchObject({ digit: '1', target: 'business' });
      expect(call).toMatchObject({ hangupBy: 'system', outcome: 'completed' });
    } finally {
      callers.close();
      // Stopped here too when the test failed before: a controller left on the lane's
      // application would take the next test's calls.
      await first?.stop();
      await second?.stop();
    }
  });

  it('N14: callers who arrive while the controller connects are all answered, none left ringing', async () => {
    // On connect the controller lists Asterisk's channels while events already flow. A caller who
    // enters in between is in no listing but is a live call: it must be answered, not dropped.
    // The window is a few ms wide, so many callers are dialled just after the socket opens. Run
    // against the adapter without the fix, this test failed in 3 runs of 3 (up to 4 callers lost
    // in one round, each left ringing with nobody handling the call).
    const rounds = 20;
    const offsetsMs = [0, 0, 0, 1, 1, 2, 2, 3, 4, 6, 8, 12];
    const callers = new TestCallers();
    await callers.connect();
    try {
      for (let round = 0; round < rounds; round++) {
        let dial!: () => void;
        const dialled = new Promise<Array<{ number: string; caller: Caller }>>((resolve) => {
          dial = () =>
            resolve(
              Promise.all(
                offsetsMs.map(async (ms) => {
                  await new Promise((r) => setTimeout(r, ms));
                  const number = freshCaller();
                  return { number, caller: await callers.dial(number) };
                }),
              ),
            );
        });
        const hotline = await startTestController('test/fixtures/flows/e2e.yaml', {}, { onConnect: () => dial() });
        try {
          const dials = await dialled;
          // e2e.yaml answers after one 500 ms ring; the hotline's limit is the end of the 3rd.
          const answered = await Promise.all(dials.map(({ caller }) => caller.answered(5000).then(() => true, () => false)));
          await Promise.all(dials.map(({ caller }) => caller.hangup()));
          expect(answered, `round ${round}: answered, per caller`).toEqual(dials.map(() => true));
          for (const { number } of dials) {
            const call = await hotline.endedCall(number, 10_000);
            expect(types(await hotline.events(call.id))).toContain('call.answered');
            expect(call.hangupBy).toBe('caller');
          }
        } finally {
          await hotline.stop();
        }
      }
    } finally {
      callers.close();
    }
  });
});
