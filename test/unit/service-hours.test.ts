// N15 service hours as pure functions of (instant, hours, calendar, override): open, closed or
// holiday at every boundary (midnight, the minute a range opens and closes, a holiday eve, a
// make-up Saturday and Sunday), the next opening and closing, daylight saving in zones that have
// it (New York, Berlin), the operator override, and properties over random weekly tables.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utcOffsetMs, wallClockInstant, addDays, isCalendarDate, weekdayOf } from '../../src/calendar/local-time.js';
import {
  callbackSchedule,
  dayPlan,
  HORIZON_DAYS,
  hoursCalendar,
  nextOpening,
  serviceState,
  type HoursCalendar,
} from '../../src/calendar/service-hours.js';
import { ServiceHoursConfig, type HoursSchedule } from '../../src/calendar/service-hours-config.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** A Shanghai wall-clock time (UTC+8, no DST) as epoch ms: "2026-03-10T08:00". */
const sh = (local: string) => new Date(`${local}:00+08:00`).getTime();
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const hours = (config: unknown): HoursSchedule => {
  const parsed = ServiceHoursConfig.parse(config);
  if (!parsed) throw new Error('expected hours');
  return parsed;
};

// The shipped hotline's hours (dialplans/hotline.yaml).
const OFFICE = hours({
  weekly: {
    mon: ['08:00-20:00'],
    tue: ['08:00-20:00'],
    wed: ['08:00-20:00'],
    thu: ['08:00-20:00'],
    fri: ['08:00-20:00'],
    sat: ['09:00-17:00'],
  },
});

// 2026: 10-01…10-07 National Day (10-01 a Thursday), 10-10 a make-up Saturday, 09-20 a make-up
// Sunday, 02-14 a make-up Saturday.
const CN: HoursCalendar = {
  timezone: 'Asia/Shanghai',
  holidays: new Set(['2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07']),
  workdays: new Set(['2026-02-14', '2026-09-20', '2026-10-10']),
};

describe('N15 service hours at the boundaries (Asia/Shanghai)', () => {
  it('N15: a range opens on its first minute and closes on its end minute (end excluded)', () => {
    expect(serviceState(sh('2026-03-10T07:59') + 59_999, OFFICE, CN)).toMatchObject({ state: 'closed', reason: 'weekly', opensAt: sh('2026-03-10T08:00') });
    expect(serviceState(sh('2026-03-10T08:00'), OFFICE, CN)).toEqual({
      state: 'open', reason: 'weekly', date: '2026-03-10', opensAt: null, closesAt: sh('2026-03-10T20:00'),
    });
    expect(serviceState(sh('2026-03-10T20:00') - 1, OFFICE, CN)).toMatchObject({ state: 'open', closesAt: sh('2026-03-10T20:00') });
    expect(serviceState(sh('2026-03-10T20:00'), OFFICE, CN)).toMatchObject({ state: 'closed', opensAt: sh('2026-03-11T08:00') });
  });

  it('N15: midnight: the last millisecond of a day and the first of the next are both closed, the next opening is 08:00', () => {
    expect(serviceState(sh('2026-03-11T00:00') - 1, OFFICE, CN)).toMatchObject({ state: 'closed', date: '2026-03-10', opensAt: sh('2026-03-11T08:00') });
    expect(serviceState(sh('2026-03-11T00:00'), OFFICE, CN)).toMatchObject({ state: 'closed', date: '2026-03-11', opensAt: sh('2026-03-11T08:00') });
  });

  it('N15: ranges that meet at midnight are one opening: closesAt is the end of the last one', () => {
    const night = hours({ weekly: { mon: ['20:00-24:00'], tue: ['00:00-06:00', '09:00-12:00'] } });
    // 2026-03-09 is a Monday.
    expect(serviceState(sh('2026-03-09T23:59'), night, CN)).toMatchObject({ state: 'open', closesAt: sh('2026-03-10T06:00') });
    expect(serviceState(sh('2026-03-10T00:00'), night, CN)).toMatchObject({ state: 'open', closesAt: sh('2026-03-10T06:00') });
    expect(serviceState(sh('2026-03-10T06:00'), night, CN)).toMatchObject({ state: 'closed', opensAt: sh('2026-03-10T09:00') });
  });

  it('N15: a lunch break is two ranges: closed between them', () => {
    const lunch = hours({ weekly: { tue: ['08:30-12:00', '13:30-17:30'] } });
    expect(serviceState(sh('2026-03-10T11:59'), lunch, CN)).toMatchObject({ state: 'open', closesAt: sh('2026-03-10T12:00') });
    expect(serviceState(sh('2026-03-10T12:30'), lunch, CN)).toMatchObject({ state: 'closed', reason: 'weekly', opensAt: sh('2026-03-10T13:30') });
  });

  it('N15: Saturday has its own hours and Sunday (not listed) is closed until Monday 08:00', () => {
    // 2026-03-14 is a Saturday.
    expect(serviceState(sh('2026-03-14T08:30'), OFFICE, CN)).toMatchObject({ state: 'closed', opensAt: sh('2026-03-14T09:00') });
    expect(serviceState(sh('2026-03-14T16:00'), OFFICE, CN)).toMatchObject({ state: 'open', closesAt: sh('2026-03-14T17:00') });
    expect(serviceState(sh('2026-03-14T17:00'), OFFICE, CN)).toMatchObject({ state: 'closed', opensAt: sh('2026-03-16T08:00') });
    expect(serviceState(sh('2026-03-15T12:00'), OFFICE, CN)).toMatchObject({ state: 'closed', reason: 'weekly', opensAt: sh('2026-03-16T08:00') });
  });

  it('N15: a holiday eve is an ordinary evening; the holiday is "holiday" all day; the next opening is after the holiday', () => {
    // 2026-09-30 (Wednesday) is the eve of National Day; 10-08 (Thursday) the first working day after it.
    expect(serviceState(sh('2026-09-30T19:59'), OFFICE, CN)).toMatchObject({ state: 'open', reason: 'weekly', closesAt: sh('2026-09-30T20:00') });
    expect(serviceState(sh('2026-09-30T20:00'), OFFICE, CN)).toMatchObject({ state: 'closed', reason: 'weekly', opensAt: sh('2026-10-08T08:00') });
    expect(serviceState(sh('2026-10-01T00:00'), OFFICE, CN)).toMatchObject({ state: 'holiday', reason: 'holiday', opensAt: sh('2026-10-08T08:00') });
    expect(serviceState(sh('2026-10-01T10:00'), OFFICE, CN)).toMatchObject({ state: 'holiday', reason: 'holiday' });
    expect(serviceState(sh('2026-10-07T23:59'), OFFICE, CN)).toMatchObject({ state: 'holiday', opensAt: sh('2026-10-08T08:00') });
    expect(serviceState(sh('2026-10-08T00:00'), OFFICE, CN)).toMatchObject({ state: 'closed', reason: 'weekly' });
  });

  it('N15: a make-up Saturday has Monday\'s hours (08:00-20:00), not Saturday\'s (09:00-17:00)', () => {
    expect(serviceState(sh('2026-10-10T08:00'), OFFICE, CN)).toMatchObject({ state: 'open', reason: 'workday', closesAt: sh('2026-10-10T20:00') });
    expect(serviceState(sh('2026-10-10T07:59'), OFFICE, CN)).toMatchObject({ state: 'closed', reason: 'workday', opensAt: sh('2026-10-10T08:00') });
    expect(serviceState(sh('2026-10-10T19:00'), OFFICE, CN)).toMatchObject({ state: 'open', reason: 'workday' });
    // An ordinary Saturday the week before: 09:00-17:00.
    expect(serviceState(sh('2026-10-03T19:00'), OFFICE, { ...CN, holidays: new Set() })).toMatchObject({ state: 'closed', reason: 'weekly' });
  });

  it('N15: a make-up Sunday works too, and the Saturday before it points to it as the next opening', () => {
    // 2026-09-19 Saturday, 09-20 Sunday make-up workday.
    expect(serviceState(sh('2026-09-19T18:00'), OFFICE, CN)).toMatchObject({ state: 'closed', opensAt: sh('2026-09-20T08:00') });
    expect(serviceState(sh('2026-09-20T12:00'), OFFICE, CN)).toMatchObject({ state: 'open', reason: 'workday' });
  });

  it('N15: a make-up workday takes the weekday the hours name', () => {
    const friday = hours({ ...OFFICE, weekly: { ...OFFICE.weekly, fri: ['08:00-16:00'] }, workdays: 'fri' });
    expect(serviceState(sh('2026-10-10T16:00'), friday, CN)).toMatchObject({ state: 'closed', reason: 'workday', opensAt: sh('2026-10-12T08:00') });
  });

  it('N15: reduced holiday hours: open inside them, "holiday" outside', () => {
    const reduced = hours({ ...OFFICE, holidays: ['10:00-16:00'] });
    expect(serviceState(sh('2026-10-01T09:00'), reduced, CN)).toMatchObject({ state: 'holiday', reason: 'holiday', opensAt: sh('2026-10-01T10:00') });
    expect(serviceState(sh('2026-10-01T12:00'), reduced, CN)).toMatchObject({ state: 'open', reason: 'holiday', closesAt: sh('2026-10-01T16:00') });
    expect(serviceState(sh('2026-10-01T16:00'), reduced, CN)).toMatchObject({ state: 'holiday', opensAt: sh('2026-10-02T10:00') });
  });

  it('N15: a per-date exception wins over the weekly table and over a holiday (still "holiday" when closed)', () => {
    const eve = hours({ ...OFFICE, dates: { '2026-12-31': ['08:00-17:00'], '2026-10-02': ['09:00-12:00'], '2026-03-11': [] } });
    expect(serviceState(sh('2026-12-31T17:30'), eve, CN)).toMatchObject({ state: 'closed', reason: 'date', opensAt: sh('2027-01-01T08:00') });
    expect(serviceState(sh('2026-10-02T10:00'), eve, CN)).toMatchObject({ state: 'open', reason: 'date', closesAt: sh('2026-10-02T12:00') });
    expect(serviceState(sh('2026-10-02T13:00'), eve, CN)).toMatchObject({ state: 'holiday', reason: 'date' });
    expect(serviceState(sh('2026-03-11T10:00'), eve, CN)).toMatchObject({ state: 'closed', reason: 'date', opensAt: sh('2026-03-12T08:00') });
  });

  it('N15: a date on both lists is a holiday', () => {
    const both = { ...CN, workdays: new Set([...CN.workdays, '2026-10-01']) };
    expect(dayPlan('2026-10-01', OFFICE, both)).toEqual({ ranges: [], reason: 'holiday', holiday: true });
  });

  it('N15: whole days: "00:00-24:00" every day is open with no closing in sight', () => {
    const allWeek = hours({ weekly: Object.fromEntries(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => [d, ['00:00-24:00']])), holidays: ['00:00-24:00'] });
    expect(serviceState(sh('2026-10-01T03:00'), allWeek, CN)).toMatchObject({ state: 'open', reason: 'holiday', closesAt: null });
  });

  it('N15: a schedule that never opens has no next opening (null), not an endless search', () => {
    const never = hours({ weekly: {} });
    expect(serviceState(sh('2026-03-10T10:00'), never, CN)).toMatchObject({ state: 'closed', opensAt: null });
    expect(nextOpening(sh('2026-03-10T10:00'), never, CN)).toBeNull();
    // An opening past the horizon is not seen.
    const far = addDays('2026-03-10', HORIZON_DAYS + 5);
    const late = hours({ weekly: {}, dates: { [far]: ['08:00-09:00'] } });
    expect(nextOpening(sh('2026-03-10T10:00'), late, CN)).toBeNull();
    const near = hours({ weekly: {}, dates: { '2026-12-24': ['08:00-09:00'] } });
    expect(nextOpening(sh('2026-03-10T10:00'), near, CN)).toBe(sh('2026-12-24T08:00'));
  });

  it('N15: without hours the hotline is open around the clock, holidays included', () => {
    expect(serviceState(sh('2026-10-01T03:00'), undefined, CN)).toEqual({ state: 'open', reason: 'always', date: '2026-10-01', opensAt: null, closesAt: null });
    expect(nextOpening(sh('2026-10-01T03:00'), undefined, CN)).toBe(sh('2026-10-01T03:00'));
  });
});

describe('N15 operator override', () => {
  it('N15: forced closed inside the hours: closed until it expires, then open again', () => {
    const override = { state: 'closed' as const, expiresAt: sh('2026-03-10T11:00') };
    expect(serviceState(sh('2026-03-10T10:00'), OFFICE, CN, override)).toEqual({
      state: 'closed', reason: 'override', date: '2026-03-10', opensAt: sh('2026-03-10T11:00'), closesAt: null,
    });
    // Expired: the schedule decides.
    expect(serviceState(sh('2026-03-10T11:00'), OFFICE, CN, override)).toMatchObject({ state: 'open', reason: 'weekly' });
  });

  it('N15: forced closed past the end of the day: the next opening is the next scheduled one', () => {
    const override = { state: 'closed' as const, expiresAt: sh('2026-03-10T22:00') };
    expect(serviceState(sh('2026-03-10T10:00'), OFFICE, CN, override)).toMatchObject({ state: 'closed', opensAt: sh('2026-03-11T08:00') });
  });

  it('N15: forced open after hours: open until it expires, or until the schedule closes when it expires inside the hours', () => {
    const evening = { state: 'open' as const, expiresAt: sh('2026-03-10T23:00') };
    expect(serviceState(sh('2026-03-10T21:00'), OFFICE, CN, evening)).toMatchObject({ state: 'open', reason: 'override', closesAt: sh('2026-03-10T23:00') });
    const early = { state: 'open' as const, expiresAt: sh('2026-03-11T09:00') };
    expect(serviceState(sh('2026-03-11T07:00'), OFFICE, CN, early)).toMatchObject({ state: 'open', closesAt: sh('2026-03-11T20:00') });
  });

  it('N15: forced open on a holiday is open; forced closed on a holiday is "closed" (the operator said so)', () => {
    expect(serviceState(sh('2026-10-01T10:00'), OFFICE, CN, { state: 'open', expiresAt: sh('2026-10-01T18:00') })).toMatchObject({ state: 'open', reason: 'override' });
    expect(serviceState(sh('2026-10-01T10:00'), OFFICE, CN, { state: 'closed', expiresAt: sh('2026-10-01T18:00') })).toMatchObject({ state: 'closed', reason: 'override', opensAt: sh('2026-10-08T08:00') });
  });

  it('N15: an override works without hours too (the around-the-clock hotline can be closed for a while)', () => {
    const override = { state: 'closed' as const, expiresAt: sh('2026-03-10T11:00') };
    expect(serviceState(sh('2026-03-10T10:00'), undefined, CN, override)).toMatchObject({ state: 'closed', reason: 'override', opensAt: sh('2026-03-10T11:00') });
    expect(serviceState(sh('2026-03-10T10:00'), undefined, CN, { state: 'open', expiresAt: sh('2026-03-10T11:00') })).toMatchObject({ state: 'open', reason: 'override', closesAt: null });
  });
});

describe('N15 daylight saving (zones that have it)', () => {
  const US: HoursCalendar = { timezone: 'America/New_York', holidays: new Set(), workdays: new Set() };
  const DE: HoursCalendar = { timezone: 'Europe/Berlin', holidays: new Set(), workdays: new Set() };
  const weekdays = hours({ weekly: { mon: ['09:00-17:00'], tue: ['09:00-17:00'], wed: ['09:00-17:00'], thu: ['09:00-17:00'], fri: ['09:00-17:00'] } });

  it('wall clock to instant: the gap opens when the clock jumps past it, the repeated hour at its first pass', () => {
    // New York 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    expect(iso(wallClockInstant('2026-03-08', 90, 'America/New_York'))).toBe('2026-03-08T06:30:00.000Z');
    expect(iso(wallClockInstant('2026-03-08', 150, 'America/New_York'))).toBe('2026-03-08T07:00:00.000Z');
    expect(iso(wallClockInstant('2026-03-08', 180, 'America/New_York'))).toBe('2026-03-08T07:00:00.000Z');
    // 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice, first at 05:30 UTC.
    expect(iso(wallClockInstant('2026-11-01', 90, 'America/New_York'))).toBe('2026-11-01T05:30:00.000Z');
    expect(iso(wallClockInstant('2026-11-01', 120, 'America/New_York'))).toBe('2026-11-01T07:00:00.000Z');
    // Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 2026-10-25 falls back.
    expect(iso(wallClockInstant('2026-03-29', 150, 'Europe/Berlin'))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(wallClockInstant('2026-10-25', 150, 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
    // 24:00 is the next day's midnight.
    expect(wallClockInstant('2026-03-08', 1440, 'America/New_York')).toBe(wallClockInstant('2026-03-09', 0, 'America/New_York'));
  });

  it('N15: Friday evening before the spring change, the next opening is Monday 09:00 EDT (13:00 UTC), not 14:00', () => {
    const friday = Date.parse('2026-03-06T18:00:00-05:00');
    expect(iso(serviceState(friday, weekdays, US).opensAt)).toBe('2026-03-09T13:00:00.000Z');
    // Berlin: Friday 2026-03-27 evening; Monday 09:00 CEST is 07:00 UTC.
    expect(iso(serviceState(Date.parse('2026-03-27T18:00:00+01:00'), weekdays, DE).opensAt)).toBe('2026-03-30T07:00:00.000Z');
    // And after the autumn change, Monday 09:00 CET is 08:00 UTC.
    expect(iso(serviceState(Date.parse('2026-10-23T18:00:00+02:00'), weekdays, DE).opensAt)).toBe('2026-10-26T08:00:00.000Z');
  });

  it('N15: on the spring-forward day a range inside the gap never opens, one across it is an hour shorter', () => {
    const sunday = (ranges: string[]) => hours({ weekly: { sun: ranges } });
    // 02:00-02:45 does not exist on 2026-03-08 in New York: the next opening is a week later.
    expect(iso(serviceState(Date.parse('2026-03-08T00:30:00-05:00'), sunday(['02:00-02:45']), US).opensAt)).toBe('2026-03-15T06:00:00.000Z');
    // 01:00-04:00 opens at 01:00 EST (06:00 UTC) and closes at 04:00 EDT (08:00 UTC): two hours.
    const across = serviceState(Date.parse('2026-03-08T01:30:00-05:00'), sunday(['01:00-04:00']), US);
    expect(across).toMatchObject({ state: 'open' });
    expect(iso(across.closesAt)).toBe('2026-03-08T08:00:00.000Z');
    // 02:30-05:00 opens when the clock jumps to 03:00 EDT.
    expect(iso(serviceState(Date.parse('2026-03-08T01:30:00-05:00'), sunday(['02:30-05:00']), US).opensAt)).toBe('2026-03-08T07:00:00.000Z');
  });

  it('N15: on the fall-back day the whole day is 25 hours, and the repeated hour is open once', () => {
    const sunday = (ranges: string[]) => hours({ weekly: { sun: ranges } });
    const allDay = serviceState(Date.parse('2026-11-01T00:30:00-04:00'), sunday(['00:00-24:00']), US);
    expect(iso(allDay.closesAt)).toBe('2026-11-02T05:00:00.000Z'); // 25 h after 04:00 UTC
    // 01:30-02:30: from the first 01:30 (EDT, 05:30 UTC) to 02:30 EST (07:30 UTC).
    const repeated = serviceState(Date.parse('2026-11-01T01:45:00-04:00'), sunday(['01:30-02:30']), US);
    expect(repeated).toMatchObject({ state: 'open' });
    expect(iso(repeated.closesAt)).toBe('2026-11-01T07:30:00.000Z');
    // Berlin's fall-back day: 00:00-24:00 lasts 25 h too (22:00 UTC the day before to 23:00 UTC).
    const berlin = serviceState(Date.parse('2026-10-25T12:00:00+01:00'), sunday(['00:00-24:00']), DE);
    expect(iso(berlin.closesAt)).toBe('2026-10-25T23:00:00.000Z');
  });

  it('utcOffsetMs reads the zone\'s offset', () => {
    expect(utcOffsetMs(Date.parse('2026-01-15T12:00:00Z'), 'America/New_York')).toBe(-5 * HOUR);
    expect(utcOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'America/New_York')).toBe(-4 * HOUR);
    expect(utcOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'Asia/Shanghai')).toBe(8 * HOUR);
  });
});

describe('calendar helpers', () => {
  it('the flow file wins a date both it and an import name; imported days fill the rest', () => {
    const calendar = hoursCalendar(
      { timezone: 'Asia/Shanghai', holidays: ['2026-10-01'], workdays: ['2026-10-10'] },
      [
        { date: '2026-10-01', kind: 'workday' },
        { date: '2026-10-10', kind: 'holiday' },
        { date: '2026-10-02', kind: 'holiday' },
        { date: '2026-10-11', kind: 'workday' },
      ],
    );
    expect([...calendar.holidays].sort()).toEqual(['2026-10-01', '2026-10-02']);
    expect([...calendar.workdays].sort()).toEqual(['2026-10-10', '2026-10-11']);
  });

  it('N8: callback hours are `hours.callbacks`, else the service hours', () => {
    const own = hours({ ...OFFICE, callbacks: { weekly: { mon: ['09:00-18:00'] } } });
    expect(callbackSchedule(own)?.weekly.mon).toEqual(['09:00-18:00']);
    expect(callbackSchedule(OFFICE)).toBe(OFFICE);
    expect(callbackSchedule(undefined)).toBeUndefined();
  });

  it('dates: addDays, weekdayOf, isCalendarDate', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(weekdayOf('2026-10-10')).toBe(6);
    expect(['2026-02-29', '2026-13-01', '2026-1-01', 'x'].map(isCalendarDate)).toEqual([false, false, false, false]);
    expect(isCalendarDate('2028-02-29')).toBe(true);
  });
});

// ---- properties over random weekly tables ----

const pad = (n: number) => String(n).padStart(2, '0');
const hhmm = (m: number) => (m === 1440 ? '24:00' : `${pad(Math.floor(m / 60))}:${pad(m % 60)}`);

/** One day's ranges: sorted distinct quarter-hour boundaries, paired. */
const dayRanges = fc
  .uniqueArray(fc.integer({ min: 0, max: 96 }), { maxLength: 6 })
  .map((qs) => {
    const sorted = [...qs].sort((a, b) => a - b);
    const ranges: string[] = [];
    for (let i = 0; i + 1 < sorted.length; i += 2) ranges.push(`${hhmm(sorted[i]! * 15)}-${hhmm(sorted[i + 1]! * 15)}`);
    return ranges;
  });

const schedule = fc
  .record({
    weekly: fc.record({ sun: dayRanges, mon: dayRanges, tue: dayRanges, wed: dayRanges, thu: dayRanges, fri: dayRanges, sat: dayRanges }),
    holidays: dayRanges,
  })
  .map((config) => hours(config));

const inside = (minutes: number, ranges: Array<[number, number]>) => ranges.some(([a, b]) => minutes >= a && minutes < b);

describe('N15 properties over random weekly tables', () => {
  const from = Date.parse('2026-01-01T00:00:00Z');
  const to = Date.parse('2026-12-31T00:00:00Z');

  it('Asia/Shanghai: open exactly when the local time falls in a range of the day; the next change is a real change', () => {
    fc.assert(
      fc.property(schedule, fc.integer({ min: from, max: to }), (sched, at) => {
        const status = serviceState(at, sched, CN);
        const local = new Date(at + 8 * HOUR);
        const date = local.toISOString().slice(0, 10);
        const minutes = local.getUTCHours() * 60 + local.getUTCMinutes();
        const plan = dayPlan(date, sched, CN);
        expect(status.date).toBe(date);
        expect(status.state === 'open').toBe(inside(minutes, plan.ranges));
        if (status.state !== 'open') expect(status.state).toBe(plan.holiday ? 'holiday' : 'closed');
        const change = status.state === 'open' ? status.closesAt : status.opensAt;
        if (change !== null) {
          expect(change).toBeGreaterThan(at);
          expect(serviceState(change, sched, CN).state === 'open').toBe(status.state !== 'open');
          expect(serviceState(change - 1, sched, CN).state === 'open').toBe(status.state === 'open');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('America/New_York and Europe/Berlin, around their DST changes: the next change is a real change, and nothing changes before it', () => {
    const zones = ['America/New_York', 'Europe/Berlin'];
    const changes = [
      Date.parse('2026-03-08T07:00:00Z'), Date.parse('2026-11-01T06:00:00Z'),
      Date.parse('2026-03-29T01:00:00Z'), Date.parse('2026-10-25T01:00:00Z'),
    ];
    fc.assert(
      fc.property(
        schedule,
        fc.constantFrom(...zones),
        fc.constantFrom(...changes),
        fc.integer({ min: -3 * 86_400_000, max: 86_400_000 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
        (sched, timezone, change, offset, samples) => {
          const calendar: HoursCalendar = { timezone, holidays: new Set(), workdays: new Set() };
          const at = change + offset;
          const status = serviceState(at, sched, calendar);
          const next = status.state === 'open' ? status.closesAt : status.opensAt;
          if (next === null) return;
          expect(next).toBeGreaterThan(at);
          expect(serviceState(next, sched, calendar).state === 'open').toBe(status.state !== 'open');
          // Between now and the change the state holds.
          for (const s of samples) {
            const between = at + Math.floor(s * (next - at - 1));
            expect(serviceState(between, sched, calendar).state === 'open').toBe(status.state === 'open');
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
