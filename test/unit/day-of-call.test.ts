// N2/N10 with N15's calendar: a holiday imported through the API gets the greeting's and the
// closing's holiday wishes, as one listed in the flow file does; an imported make-up workday on
// a Saturday gets no weekend wish.
import { beforeEach, describe, expect, it } from 'vitest';
import { createHoursService } from '../../src/calendar/hours-service.js';
import type { CalendarDay } from '../../src/calendar/hours-store.js';
import { greet } from '../../src/flow/verbs/greet.js';
import { advance, FakeCall, flowFromYaml, makeContext, newTestClock, stepOf, track } from './support/fake-call.js';

const FLOW = flowFromYaml(`
hotline: { name: Test line, number: "100", timezone: Asia/Shanghai }
steps:
  hello: { verb: greet, next: end }
  end: { verb: hangup }
`);

const imported = (date: string, kind: 'holiday' | 'workday'): CalendarDay => ({ date, kind, name: '', source: 'gov.cn', importedAt: 0 });

async function greetingOn(isoLocal: string, days: CalendarDay[] | undefined) {
  newTestClock(new Date(isoLocal).getTime());
  const call = new FakeCall({ answered: true });
  const services = days === undefined ? {} : { hours: createHoursService({ days: () => days, activeOverride: () => undefined }) };
  const ctx = makeContext(FLOW, call, { services });
  const box = track(greet.run(ctx, stepOf(FLOW, 'hello', 'greet'), 'hello'));
  await advance(20_000);
  expect(box.settled).toBe(true);
  return ctx.dataOf('greeting.played')[0];
}

beforeEach(() => {
  newTestClock(0);
});

describe('the day of a call with imported holidays (N2/N10/N15)', () => {
  it('N2: an imported holiday is a holiday for the greeting; without the hours service it is an ordinary day', async () => {
    // Tuesday 2027-02-09, 10:00 in Shanghai: no holiday in the flow file.
    expect(await greetingOn('2027-02-09T10:00:00+08:00', [imported('2027-02-09', 'holiday')])).toMatchObject({ holiday: true });
    expect(await greetingOn('2027-02-09T10:00:00+08:00', undefined)).toMatchObject({ holiday: false, weekend: false });
  });

  it('N2: an imported make-up workday on a Saturday is no weekend', async () => {
    expect(await greetingOn('2027-02-20T10:00:00+08:00', [imported('2027-02-20', 'workday')])).toMatchObject({ holiday: false, weekend: false });
    expect(await greetingOn('2027-02-20T10:00:00+08:00', [])).toMatchObject({ weekend: true });
  });
});
