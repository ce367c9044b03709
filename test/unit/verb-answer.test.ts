// N1: the answer verb on fake time: ringback first, answer at answerAfterRings × cycle from the
// channel's creation, a breach logged when the controller was too slow.
import { beforeEach, describe, expect, it } from 'vitest';
import { answer } from '../../src/flow/verbs/answer.js';
import type { StepOf } from '../../src/flow/schema.js';
import { advance, FakeCall, flowFromYaml, makeContext, newTestClock } from './support/fake-call.js';

const flowWith = (cadence: string, answerAfterRings: number) =>
  flowFromYaml(`
hotline: { name: Test line, number: "100" }
ring:
  cadence: ${cadence}
  answerAfterRings: ${answerAfterRings}
steps:
  answer: { verb: answer, next: bye }
  bye: { verb: hangup }
`);

const STEP: StepOf<'answer'> = { verb: 'answer', next: 'bye' };
const T0 = new Date('2026-03-10T09:00:00+08:00').getTime();

beforeEach(() => {
  newTestClock(T0);
});

describe('answer verb (N1)', () => {
  it('N1: rings at t=0 and answers at exactly 1 × 5000 ms, on the 2nd ring', async () => {
    const flow = flowWith('{ onMs: 1000, offMs: 4000 }', 1);
    const call = new FakeCall();
    const ctx = makeContext(flow, call);
    const done = answer.run(ctx, STEP, 'answer');

    await advance(0);
    expect(call.actions).toEqual([{ kind: 'ring', at: T0, t: 0 }]);
    expect(call.answered).toBe(false);
    await advance(4999);
    expect(call.kinds()).toEqual(['ring']);
    await advance(1);
    await expect(done).resolves.toBe('bye');

    expect(call.actions).toEqual([
      { kind: 'ring', at: T0, t: 0 },
      { kind: 'answer', at: T0 + 5000, t: 5000 },
      { kind: 'detect-talk', at: T0 + 5000, t: 5000 },
    ]);
    expect(call.answered).toBe(true);
    expect(call.state).toBe('in-flow'); // DESIGN §6: answered, then in the flow
    expect(ctx.events).toEqual([
      { type: 'call.ringing', data: { cadenceOnMs: 1000, cadenceOffMs: 4000, answerAfterRings: 1 }, ts: T0 },
      { type: 'call.answered', data: { delayMs: 5000, targetMs: 5000, rings: 2, withinBudget: true }, ts: T0 + 5000 },
    ]);
  });

  it.each([
    ['{ onMs: 1000, offMs: 4000 }', 0, 0, 1],
    ['{ onMs: 1000, offMs: 4000 }', 2, 10_000, 3],
    ['{ onMs: 2000, offMs: 4000 }', 1, 6000, 2],
    ['{ onMs: 2000, offMs: 4000 }', 2, 12_000, 3],
  ])('N1: cadence %s, answerAfterRings %i: answered at %i ms on ring %i', async (cadence, after, atMs, ring) => {
    const call = new FakeCall();
    const ctx = makeContext(flowWith(cadence, after), call);
    const done = answer.run(ctx, STEP, 'answer');
    await advance(atMs);
    await expect(done).resolves.toBe('bye');
    // Ringback only when there is a ring to hear (issue 12: no ARI round trip for nothing).
    if (after > 0) expect(call.first('ring').t).toBe(0);
    else expect(call.kinds()).not.toContain('ring');
    expect(call.first('answer').t).toBe(atMs);
    expect(ctx.dataOf('call.answered')).toEqual([{ delayMs: atMs, targetMs: atMs, rings: ring, withinBudget: true }]);
    expect(ctx.types()).not.toContain('call.answer-breach');
  });

  it('N1: the wait counts from channel creation: created 300 ms ago, answered 4700 ms later', async () => {
    const call = new FakeCall({ createdAt: T0 - 300 });
    const ctx = makeContext(flowWith('{ onMs: 1000, offMs: 4000 }', 1), call);
    const done = answer.run(ctx, STEP, 'answer');
    await advance(4699);
    expect(call.kinds()).toEqual(['ring']);
    await advance(1);
    await expect(done).resolves.toBe('bye');
    expect(call.first('answer').at).toBe(T0 - 300 + 5000);
    expect(ctx.dataOf('call.answered')).toEqual([{ delayMs: 5000, targetMs: 5000, rings: 2, withinBudget: true }]);
  });

  it('issue 12: a caller who rang in the dialplan while the controller restarted (created 2.5 s before its StasisStart) is answered 5 s after it dialled, on the 2nd ring', async () => {
    const call = new FakeCall({ createdAt: T0 - 2500 });
    const ctx = makeContext(flowWith('{ onMs: 1000, offMs: 4000 }', 1), call);
    const done = answer.run(ctx, STEP, 'answer');
    await advance(2499);
    expect(call.kinds()).toEqual(['ring']);
    await advance(1);
    await expect(done).resolves.toBe('bye');
    expect(call.first('answer').at).toBe(T0 + 2500);
    expect(ctx.dataOf('call.answered')).toEqual([{ delayMs: 5000, targetMs: 5000, rings: 2, withinBudget: true }]);
  });

  it('N1: a call created 12 s ago (slow controller) is answered at once and logged as a breach', async () => {
    const call = new FakeCall({ createdAt: T0 - 12_000 });
    const ctx = makeContext(flowWith('{ onMs: 1000, offMs: 4000 }', 1), call);
    const done = answer.run(ctx, STEP, 'answer');
    await advance(0);
    await expect(done).resolves.toBe('bye');
    // Not rung first: the answer is due, a ringback would only delay it by a round trip.
    expect(call.actions).toEqual([
      { kind: 'answer', at: T0, t: 0 },
      { kind: 'detect-talk', at: T0, t: 0 },
    ]);
    expect(ctx.events).toEqual([
      { type: 'call.ringing', data: { cadenceOnMs: 1000, cadenceOffMs: 4000, answerAfterRings: 1 }, ts: T0 },
      { type: 'call.answered', data: { delayMs: 12_000, targetMs: 5000, rings: 3, withinBudget: false }, ts: T0 },
      { type: 'call.answer-breach', data: { delayMs: 12_000, limitMs: 11_000 }, ts: T0 },
    ]);
  });

  it('N1: a call created 11 s ago is answered at once, still inside the 3rd ring (no breach)', async () => {
    const call = new FakeCall({ createdAt: T0 - 11_000 });
    const ctx = makeContext(flowWith('{ onMs: 1000, offMs: 4000 }', 1), call);
    const done = answer.run(ctx, STEP, 'answer');
    await advance(0);
    await expect(done).resolves.toBe('bye');
    expect(ctx.dataOf('call.answered')).toEqual([{ delayMs: 11_000, targetMs: 5000, rings: 3, withinBudget: true }]);
    expect(ctx.types()).toEqual(['call.ringing', 'call.answered']);
  });

  it('N1: an adopted call that is already answered is not rung or answered again (talk detection goes on)', async () => {
    const call = new FakeCall({ answered: true, createdAt: T0 - 60_000 });
    const ctx = makeContext(flowWith('{ onMs: 1000, offMs: 4000 }', 1), call);
    await expect(answer.run(ctx, STEP, 'answer')).resolves.toBe('bye');
    await advance(20_000);
    expect(call.actions.map((a) => a.kind)).toEqual(['detect-talk']);
    expect(ctx.events).toEqual([]);
  });

  it('N1: the caller hanging up while it rings rejects with the abort and never answers', async () => {
    const call = new FakeCall();
    const ctx = makeContext(flowWith('{ onMs: 1000, offMs: 4000 }', 1), call);
    const done = answer.run(ctx, STEP, 'answer');
    await advance(3000);
    call.callerHangsUp();
    // The clock's sleep rejects with the signal's reason itself (src/clock/clock.ts).
    await expect(done).rejects.toBe(call.signal.reason);
    await advance(10_000);
    expect(call.kinds()).toEqual(['ring']);
    expect(call.answered).toBe(false);
    expect(ctx.types()).toEqual(['call.ringing']);
  });
});
