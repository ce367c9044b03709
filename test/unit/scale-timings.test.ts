// FLOW_TIME_SCALE: every duration a flow declares (keys ending in "Ms") times one factor, so
// end-to-end tests run the real N1/N3/N4/N5/N10 protocols faster. Talk-detection thresholds
// (`voice`) describe speech, not the protocol, and stay as they are.
import { describe, expect, it } from 'vitest';
import { scaleTimings } from '../../src/flow/scale-timings.js';
import type { Flow } from '../../src/flow/schema.js';
import { flowFromYaml } from './support/fake-call.js';

const FLOW = `
hotline: { name: Test line, number: "100", holidays: [2026-10-01] }
ring: { cadence: { onMs: 1000, offMs: 4000 }, answerAfterRings: 1 }
unavailable: { prompt: unavailable, then: { dial: PJSIP/backup, timeoutS: 30 } }
voice: { silenceMs: 1200, talkMs: 160 }
deadAirBudgetMs: 5000
steps:
  answer: { verb: answer, next: listen }
  listen:
    verb: silent-line
    firstListenMs: 5000
    listenMs: 4000
    pauseMs: 2000
    next: main
  main:
    verb: menu
    prompt: menu.main
    options: { 1: closing }
    timeoutMs: 5000
    invalid: { tries: 3, then: closing }
    noInput: { tries: 2, then: closing }
  closing:
    verb: goodbye
    linger: { waitMs: 3000, prompts: [linger.1, linger.2], resume: main }
    next: bye
  bye: { verb: hangup }
`;

function step<V extends Flow['steps'][string]['verb']>(flow: Flow, id: string, verb: V) {
  const found = flow.steps[id];
  if (found?.verb !== verb) throw new Error(`no ${verb} step '${id}'`);
  return found as Extract<Flow['steps'][string], { verb: V }>;
}

describe('scaleTimings (FLOW_TIME_SCALE)', () => {
  it('N1/N3/N4/N5/N10: scales every *Ms field by the factor', () => {
    const flow = flowFromYaml(FLOW);
    const fast = scaleTimings(flow, 0.1);
    expect(fast.ring).toEqual({ cadence: { onMs: 100, offMs: 400 }, answerAfterRings: 1 });
    expect(fast.deadAirBudgetMs).toBe(500);
    expect(step(fast, 'listen', 'silent-line')).toMatchObject({ firstListenMs: 500, listenMs: 400, pauseMs: 200 });
    expect(step(fast, 'main', 'menu').timeoutMs).toBe(500);
    expect(step(fast, 'closing', 'goodbye').linger).toEqual({ waitMs: 300, prompts: ['linger.1', 'linger.2'], resume: 'main' });
  });

  it('N3: the voice thresholds are left unchanged', () => {
    const fast = scaleTimings(flowFromYaml(FLOW), 0.1);
    expect(fast.voice).toEqual({ silenceMs: 1200, talkMs: 160 });
  });

  it('N1/N4: leaves everything that is not a *Ms duration as it is', () => {
    const flow = flowFromYaml(FLOW);
    const fast = scaleTimings(flow, 0.25);
    expect(fast.hotline).toEqual(flow.hotline);
    expect(fast.unavailable).toEqual(flow.unavailable);
    expect(fast.start).toBe(flow.start);
    expect(fast.source).toBe(flow.source);
    expect(step(fast, 'main', 'menu')).toMatchObject({
      prompt: 'menu.main',
      options: { '1': 'closing' },
      invalid: { prompt: 'unclear.retry', tries: 3, then: 'closing' },
      noInput: { tries: 2 },
    });
    expect(step(fast, 'listen', 'silent-line').attempts).toEqual(['silent.attempt1', 'silent.attempt2', 'silent.attempt2']);
    expect(fast.ring.answerAfterRings).toBe(1);
  });

  it('N1/N5: rounds scaled durations to whole milliseconds', () => {
    const fast = scaleTimings(flowFromYaml(FLOW), 1 / 3);
    expect(fast.ring.cadence).toEqual({ onMs: 333, offMs: 1333 });
    expect(fast.deadAirBudgetMs).toBe(1667);
  });

  it('N1/N4: does not change the flow it was given', () => {
    const flow = flowFromYaml(FLOW);
    scaleTimings(flow, 0.1);
    expect(flow.ring.cadence).toEqual({ onMs: 1000, offMs: 4000 });
    expect(step(flow, 'main', 'menu').timeoutMs).toBe(5000);
  });

  it('N1/N3/N4/N5/N10: factor 1 returns the same object', () => {
    const flow = flowFromYaml(FLOW);
    expect(scaleTimings(flow, 1)).toBe(flow);
  });

  it('N1/N3/N4/N5/N10: the result is deeply frozen', () => {
    const fast = scaleTimings(flowFromYaml(FLOW), 0.5);
    expect(Object.isFrozen(fast)).toBe(true);
    expect(Object.isFrozen(fast.ring.cadence)).toBe(true);
    expect(Object.isFrozen(fast.steps)).toBe(true);
    expect(Object.isFrozen(step(fast, 'main', 'menu').invalid)).toBe(true);
    expect(Object.isFrozen(step(fast, 'listen', 'silent-line').attempts)).toBe(true);
    expect(Object.isFrozen(fast.voice)).toBe(true);
  });

  it('N5: a step whose id is "voice" is scaled like any other (only the flow-level voice is exempt)', () => {
    const flow = flowFromYaml(`
hotline: { name: Test line, number: "100" }
steps:
  voice:
    verb: menu
    prompt: menu.main
    options: { 1: bye }
    timeoutMs: 4000
    invalid: { then: bye }
    noInput: { then: bye }
  bye: { verb: hangup }
`);
    const fast = scaleTimings(flow, 0.5);
    expect(step(fast, 'voice', 'menu').timeoutMs).toBe(2000);
    expect(fast.voice).toEqual({ silenceMs: 1200, talkMs: 160 });
  });
});
