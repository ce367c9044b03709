// N15: the flow file's `hours` section. Ranges are "HH:MM-HH:MM" (24:00 ends at midnight, "00:00-
// 24:00" is the whole day), in order and not overlapping; an overnight range is refused with the
// two ranges to write instead; flows without the section load as before (open around the clock).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowError, parseFlow } from '../../src/flow/load-flow.js';
import { rangeMinutes, ServiceHoursConfig } from '../../src/calendar/service-hours-config.js';
import { catalogueIds, flowFromYaml } from './support/fake-call.js';

const HEAD = 'hotline:\n  name: Test line\n  number: "100"\n';
const STEPS = 'steps:\n  bye: { verb: hangup }\n';

function issues(hoursYaml: string): string[] {
  try {
    parseFlow(`${HEAD}${hoursYaml}${STEPS}`, 'f.yaml', catalogueIds());
  } catch (e) {
    if (e instanceof FlowError) return e.issues.map((i) => `${i.line} ${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('N15 hours section', () => {
  it('N15: a flow without `hours` loads, with no hours (open around the clock)', () => {
    expect(flowFromYaml(`${HEAD}${STEPS}`).hours).toBeUndefined();
  });

  it('N15: defaults: unlisted weekdays closed, holidays closed, make-up workdays take Monday, no exceptions, callbacks follow', () => {
    const flow = flowFromYaml(`${HEAD}hours:\n  weekly:\n    mon: ["08:00-12:00", "13:00-18:00"]\n${STEPS}`);
    expect(flow.hours).toEqual({
      weekly: { sun: [], mon: ['08:00-12:00', '13:00-18:00'], tue: [], wed: [], thu: [], fri: [], sat: [] },
      holidays: [],
      workdays: 'mon',
      dates: {},
    });
  });

  it('N15: whole days, 24:00, reduced holiday hours, per-date exceptions and own callback hours load', () => {
    const flow = flowFromYaml(`${HEAD}hours:
  weekly: { mon: ["00:00-24:00"], sat: ["20:00-24:00"], sun: ["00:00-06:00"] }
  holidays: ["10:00-16:00"]
  workdays: fri
  dates: { 2026-12-31: ["08:00-17:00"], "2027-01-01": [] }
  callbacks:
    weekly: { mon: ["09:00-18:00"] }
${STEPS}`);
    expect(flow.hours).toMatchObject({
      holidays: ['10:00-16:00'],
      workdays: 'fri',
      dates: { '2026-12-31': ['08:00-17:00'], '2027-01-01': [] },
      callbacks: { weekly: { mon: ['09:00-18:00'], tue: [] }, holidays: [], workdays: 'mon' },
    });
  });

  it.each([
    ['mon: ["22:00-06:00"]', 'an overnight range is two ranges: "22:00-24:00" on the one day and "00:00-06:00" on the next'],
    ['mon: ["08:00-08:00"]', 'a range ends after it starts ("00:00-24:00" is the whole day)'],
    ['mon: ["8:00-20:00"]', 'an opening range is "HH:MM-HH:MM", e.g. "08:00-20:00" ("24:00" ends at midnight)'],
    ['mon: ["08:00-24:30"]', 'an opening range is "HH:MM-HH:MM", e.g. "08:00-20:00" ("24:00" ends at midnight)'],
    ['mon: ["24:00-24:00"]', 'an opening range is "HH:MM-HH:MM", e.g. "08:00-20:00" ("24:00" ends at midnight)'],
    ['mon: ["08:60-09:00"]', 'an opening range is "HH:MM-HH:MM", e.g. "08:00-20:00" ("24:00" ends at midnight)'],
  ])('N15: %s is refused at its line: %s', (day, message) => {
    expect(issues(`hours:\n  weekly:\n    ${day}\n`)).toEqual([`6 hours.weekly.mon.0: ${message}`]);
  });

  it('N15: overlapping or unordered ranges are refused at the range that overlaps', () => {
    expect(issues('hours:\n  weekly:\n    tue: ["08:00-12:00", "11:00-14:00"]\n')).toEqual([
      '6 hours.weekly.tue.1: "11:00-14:00" must start at or after the end of "08:00-12:00" (ranges in order, not overlapping)',
    ]);
    expect(issues('hours:\n  weekly:\n    tue: ["13:00-14:00", "08:00-12:00"]\n')).toHaveLength(1);
    // Touching ranges are fine (they are one opening).
    expect(issues('hours:\n  weekly:\n    tue: ["08:00-12:00", "12:00-14:00"]\n')).toEqual([]);
  });

  it('N15: unknown weekdays, bad dates, an unknown workday weekday and typos are refused', () => {
    expect(issues('hours:\n  weekly:\n    monday: ["08:00-12:00"]\n')).toEqual(["6 hours.weekly.monday: unknown key 'monday'"]);
    expect(issues('hours:\n  weekly: {}\n  dates: { "2026-02-30": [] }\n')).toEqual([
      expect.stringMatching(/^6 hours\.dates\.2026-02-30: .*a date is YYYY-MM-DD \(a real date\)/),
    ]);
    expect(issues('hours:\n  weekly: {}\n  workdays: monday\n')).toEqual([expect.stringMatching(/^6 hours\.workdays: /)]);
    expect(issues('hours:\n  weekly: {}\n  holiday: []\n')).toEqual(["6 hours.holiday: unknown key 'holiday'"]);
    expect(issues('hours:\n  holidays: []\n')).toEqual(["5 hours.weekly: missing required key 'weekly'"]);
  });

  it('N15 property: every well-formed range reads back as the minutes it was written from; a reversed one is refused', () => {
    const pad = (n: number) => String(n).padStart(2, '0');
    const text = (m: number) => (m === 1440 ? '24:00' : `${pad(Math.floor(m / 60))}:${pad(m % 60)}`);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 1, max: 1440 }), (start, end) => {
        const range = `${text(start)}-${text(end)}`;
        expect(rangeMinutes(range)).toEqual([start, end]);
        const parsed = ServiceHoursConfig.safeParse({ weekly: { mon: [range] } });
        expect(parsed.success).toBe(end > start);
      }),
    );
  });
});
