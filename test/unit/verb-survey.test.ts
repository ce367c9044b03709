// N16 on the virtual clock: the rating after an agent call, stored with the call, agent, group
// and ticket; one re-prompt, then abandoned. The transfer sends the caller here only when the
// agent hung up first.
import { beforeEach, describe, expect, it } from 'vitest';
import { survey } from '../../src/flow/verbs/survey.js';
import { openDatabase } from '../../src/store/database.js';
import { createSurveyStore, type SurveyStore } from '../../src/surveys/survey-store.js';
import { advance, FakeCall, flowFromYaml, makeContext, newTestClock, stepOf, track } from './support/fake-call.js';

const T0 = new Date('2026-03-10T10:00:00+08:00').getTime();
const FLOW = flowFromYaml(`
hotline: { name: Test line, number: "100" }
steps:
  rate: { verb: survey, next: done }
  done: { verb: hangup }
`);

let store: SurveyStore;

beforeEach(() => {
  newTestClock(T0);
  store = createSurveyStore(openDatabase(':memory:'));
});

function start() {
  const call = new FakeCall({ id: 'call-9', answered: true, caller: '13800138000' });
  const ctx = makeContext(FLOW, call, { services: { surveys: store }, ticket: '2603100001' });
  ctx.facts.agent = 'a2';
  ctx.facts.group = 'repair';
  const done = survey.run(ctx, stepOf(FLOW, 'rate', 'survey'), 'rate');
  done.catch(() => undefined);
  return { call, ctx, box: track(done) };
}

describe('survey (N16)', () => {
  it('N16: a rating key is stored with the call, agent, group and ticket, and thanked', async () => {
    const { call, ctx, box } = start();
    await advance(1000);
    call.press('4'); // during the question: barge-in
    await advance(2000);
    expect(box).toEqual({ settled: true, value: 'done' });
    expect(store.forCall('call-9')).toEqual([
      { id: 1, callId: 'call-9', agent: 'a2', group: 'repair', ticket: '2603100001', rating: 4, at: T0 + 1000 },
    ]);
    expect(ctx.dataOf('survey.rated')).toEqual([
      { step: 'rate', rating: 4, agent: 'a2', group: 'repair', ticket: '2603100001', attempt: 1 },
    ]);
    expect(call.plays().map((p) => p.prompts)).toEqual([['survey.ask'], ['survey.thanks']]);
  });

  it('N16: a wrong key or silence gets one re-prompt, then the survey is abandoned and nothing stored', async () => {
    const { call, ctx, box } = start();
    await advance(2000);
    call.press('9');
    await advance(2000 + 5000);
    expect(box).toEqual({ settled: true, value: 'done' });
    expect(ctx.dataOf('survey.abandoned')).toEqual([{ step: 'rate', tries: 2, keys: ['9'] }]);
    expect(call.plays().map((p) => p.prompts)).toEqual([['survey.ask'], ['survey.ask']]);
    expect(store.forCall('call-9')).toEqual([]);
  });

  it('N16: keys pressed during the conversation are not a rating', async () => {
    const call = new FakeCall({ id: 'call-9', answered: true, caller: '13800138000' });
    call.press('5');
    const ctx = makeContext(FLOW, call, { services: { surveys: store } });
    const box = track(survey.run(ctx, stepOf(FLOW, 'rate', 'survey'), 'rate'));
    await advance(2000);
    expect(box.settled).toBe(false);
    expect(call.plays().map((p) => p.prompts)).toEqual([['survey.ask']]);
  });

  describe('resumed by a controller that adopted the call after a crash', () => {
    function resume() {
      const call = new FakeCall({ id: 'call-9', answered: true, caller: '13800138000' });
      const ctx = makeContext(FLOW, call, { services: { surveys: store }, ticket: '2603100001' });
      ctx.facts.agent = 'a2';
      ctx.facts.group = 'repair';
      const done = survey.resume(ctx, stepOf(FLOW, 'rate', 'survey'), 'rate');
      done.catch(() => undefined);
      return { call, ctx, box: track(done) };
    }

    it('N16/N17: a conversation already rated is not rated twice: thanks, then next', async () => {
      store.add({ callId: 'call-9', agent: 'a2', group: 'repair', ticket: '2603100001', rating: 5, at: T0 - 1000 });
      const { call, ctx, box } = resume();
      await advance(2000);
      expect(box).toEqual({ settled: true, value: 'done' });
      expect(call.plays().map((p) => p.prompts)).toEqual([['survey.thanks']]);
      expect(store.forCall('call-9')).toHaveLength(1);
      expect(ctx.events).toEqual([]);
    });

    it('N16: not rated yet (or another conversation of the call was): the question is asked', async () => {
      store.add({ callId: 'call-9', agent: 'a1', group: 'billing', ticket: null, rating: 3, at: T0 - 60_000 });
      const { call, box } = resume();
      await advance(1000);
      call.press('4');
      await advance(2000);
      expect(box).toEqual({ settled: true, value: 'done' });
      expect(store.forCall('call-9').map((r) => [r.agent, r.rating])).toEqual([['a1', 3], ['a2', 4]]);
    });
  });
});
