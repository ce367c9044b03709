// The hotline calendar (N2/N10, and N15 to come): daypart, holiday, weekend and make-up workday
// of an instant, in the hotline's time zone.
import { describe, expect, it } from 'vitest';
import { dayContext, daypartOf, isHoliday, isMakeUpWorkday } from '../../src/calendar/hotline-calendar.js';

import { Hotline } from '../../src/flow/schema.js';
import { cst, newYork, shanghai } from './support/calendars.js';

describe('dayContext dayparts (N2)', () => {
  it.each([
    ['00:00', 'evening'],
    ['02:00', 'evening'],
    ['04:59', 'evening'],
    ['05:00', 'morning'],
    ['10:59', 'morning'],
    ['11:00', 'noon'],
    ['12:59', 'noon'],
    ['13:00', 'afternoon'],
    ['17:59', 'afternoon'],
    ['18:00', 'evening'],
    ['23:59', 'evening'],
  ])('N2: %s in Asia/Shanghai on a Tuesday is %s', (clock, daypart) => {
    expect(dayContext(cst(`2026-03-10T${clock}`), shanghai)).toEqual({
      daypart,
      holiday: false,
      weekend: false,
      date: '2026-03-10',
    });
  });

  it('N2: configured boundaries are honoured to the minute', () => {
    const late = Hotline.parse({
      name: 'Test line',
      number: '100',
      dayparts: { morning: '06:30', noon: '11:45', afternoon: '14:00', evening: '19:15' },
    });
    const at = (clock: string) => dayContext(cst(`2026-03-10T${clock}`), late).daypart;
    expect([at('06:29'), at('06:30'), at('11:44'), at('11:45')]).toEqual(['evening', 'morning', 'morning', 'noon']);
    expect([at('13:59'), at('14:00'), at('19:14'), at('19:15')]).toEqual(['noon', 'afternoon', 'afternoon', 'evening']);
  });

  it('N2: the local date and weekday come from the hotline time zone, not UTC', () => {
    // Friday 17:00 UTC is Saturday 01:00 in Shanghai.
    expect(dayContext(new Date('2026-03-06T17:00:00Z'), shanghai)).toEqual({
      daypart: 'evening',
      holiday: false,
      weekend: true,
      date: '2026-03-07',
    });
    // 2026-04-30 (UTC) is no holiday, but 16:30 UTC is already 00:30 on 1 May in Shanghai.
    expect(dayContext(new Date('2026-04-30T16:30:00Z'), shanghai)).toMatchObject({
      date: '2026-05-01',
      holiday: true,
      daypart: 'evening',
    });
    // Sunday 23:30 UTC is Monday 07:30 in Shanghai: a working day.
    expect(dayContext(new Date('2026-03-08T23:30:00Z'), shanghai)).toEqual({
      daypart: 'morning',
      holiday: false,
      weekend: false,
      date: '2026-03-09',
    });
  });
});

describe('dayContext weekends and holidays (N2/N10)', () => {
  it('N2: Saturday and Sunday are weekends, a weekday is not', () => {
    expect(dayContext(cst('2026-03-07T09:00'), shanghai)).toMatchObject({ weekend: true, holiday: false });
    expect(dayContext(cst('2026-03-08T09:00'), shanghai)).toMatchObject({ weekend: true, holiday: false });
    expect(dayContext(cst('2026-03-06T09:00'), shanghai)).toMatchObject({ weekend: false, holiday: false });
  });

  it('N2: a holiday on a weekday is a holiday', () => {
    expect(dayContext(cst('2026-05-01T09:00'), shanghai)).toEqual({
      daypart: 'morning',
      holiday: true,
      weekend: false,
      date: '2026-05-01',
    });
  });

  it('N2: a holiday beats the weekend (Saturday 2026-05-02)', () => {
    const day = dayContext(cst('2026-05-02T14:00'), shanghai);
    expect(day).toEqual({ daypart: 'afternoon', holiday: true, weekend: false, date: '2026-05-02' });
  });

  it('N2: a make-up workday on a Saturday (2026-02-28) is not a weekend', () => {
    const day = dayContext(cst('2026-02-28T09:00'), shanghai);
    expect(day).toEqual({ daypart: 'morning', holiday: false, weekend: false, date: '2026-02-28' });
    // The Saturday after it is an ordinary weekend again.
    expect(dayContext(cst('2026-03-07T09:00'), shanghai).weekend).toBe(true);
  });

  it('N2: a make-up workday on a Sunday (2026-01-04) is not a weekend', () => {
    expect(dayContext(cst('2026-01-04T20:00'), shanghai)).toEqual({
      daypart: 'evening',
      holiday: false,
      weekend: false,
      date: '2026-01-04',
    });
  });
});

describe('another time zone: America/New_York (N2)', () => {
  it('N2: dayparts follow New York local time across the DST change', () => {
    // 2026-03-09 (Monday) is on EDT (UTC-4): 09:00 UTC is 05:00 local, the start of the morning.
    expect(dayContext(new Date('2026-03-09T09:00:00Z'), newYork)).toEqual({
      daypart: 'morning',
      holiday: false,
      weekend: false,
      date: '2026-03-09',
    });
    expect(dayContext(new Date('2026-03-09T08:59:00Z'), newYork).daypart).toBe('evening');
    // 2026-03-06 (Friday) is still on EST (UTC-5): 09:00 UTC is 04:00 local.
    expect(dayContext(new Date('2026-03-06T09:00:00Z'), newYork).daypart).toBe('evening');
    expect(dayContext(new Date('2026-03-06T10:00:00Z'), newYork).daypart).toBe('morning');
  });

  it('N2: the same instant is a different local date and day in New York and Shanghai', () => {
    // Saturday 2026-07-04 02:00 UTC: Friday 22:00 in New York (a configured holiday there),
    // Saturday 10:00 in Shanghai (a weekend).
    const at = new Date('2026-07-04T02:00:00Z');
    const ny = dayContext(at, newYork);
    const sh = dayContext(at, shanghai);
    expect(ny).toEqual({ daypart: 'evening', holiday: true, weekend: false, date: '2026-07-03' });
    expect(sh).toEqual({ daypart: 'morning', holiday: false, weekend: true, date: '2026-07-04' });
  });
});

describe('the calendar\'s parts (for N15 service hours)', () => {
  it('daypartOf, isHoliday and isMakeUpWorkday answer from the settings alone', () => {
    const { dayparts } = shanghai;
    expect([daypartOf(4 * 60 + 59, dayparts), daypartOf(5 * 60, dayparts), daypartOf(18 * 60, dayparts)]).toEqual([
      'evening',
      'morning',
      'evening',
    ]);
    expect(isHoliday('2026-05-01', shanghai)).toBe(true);
    expect(isHoliday('2026-05-03', shanghai)).toBe(false);
    expect(isMakeUpWorkday('2026-02-28', shanghai)).toBe(true);
    expect(isMakeUpWorkday('2026-03-07', shanghai)).toBe(false);
  });

  it('takes an instant as a Date or as epoch milliseconds', () => {
    const at = cst('2026-03-10T09:00');
    expect(dayContext(at.getTime(), shanghai)).toEqual(dayContext(at, shanghai));
  });
});
