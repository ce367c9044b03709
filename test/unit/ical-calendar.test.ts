// N15: holiday calendars as iCalendar, read and written by ical.js. All-day events become days
// (multi-day ranges expand, yearly rules expand inside the window), make-up workdays are told by
// CATEGORIES or the summary, timed events are skipped, malformed files are refused as a whole,
// and an export imports back to the same calendar.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CalendarFileError,
  CalendarTooLargeError,
  dayKindOf,
  holidayCalendarText,
  parseHolidayCalendar,
  type ExportDay,
} from '../../src/calendar/ical-calendar.js';
import { addDays } from '../../src/calendar/local-time.js';

const WINDOW = { from: '2026-01-01', to: '2028-12-31' };

const ics = (...events: string[][]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...events.flatMap((e) => ['BEGIN:VEVENT', ...e, 'END:VEVENT']), 'END:VCALENDAR', ''].join('\r\n');

const parse = (text: string, maxDays?: number) => parseHolidayCalendar(text, { window: WINDOW, ...(maxDays ? { maxDays } : {}) });

function refusal(text: string): CalendarFileError {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof CalendarFileError) return e;
    throw e;
  }
  throw new Error('expected a CalendarFileError');
}

describe('N15 iCalendar import', () => {
  it('N15: a multi-day all-day event is each of its dates (DTEND excluded); one without DTEND is one day', () => {
    const parsed = parse(ics(
      ['UID:nd', 'DTSTART;VALUE=DATE:20261001', 'DTEND;VALUE=DATE:20261008', 'SUMMARY:国庆节'],
      ['UID:ny', 'DTSTART;VALUE=DATE:20270101', 'SUMMARY:元旦'],
      ['UID:dur', 'DTSTART;VALUE=DATE:20260404', 'DURATION:P3D', 'SUMMARY:清明节'],
    ));
    expect(parsed.events).toBe(3);
    expect(parsed.skipped).toEqual([]);
    expect(parsed.days.map((d) => d.date)).toEqual([
      '2026-04-04', '2026-04-05', '2026-04-06',
      '2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07',
      '2027-01-01',
    ]);
    expect(parsed.days[3]).toEqual({ date: '2026-10-01', kind: 'holiday', name: '国庆节' });
  });

  it('N15: make-up workdays by CATEGORIES or by the summary (补班, 上班, (班)); 调休 alone is a holiday', () => {
    const parsed = parse(ics(
      ['UID:1', 'DTSTART;VALUE=DATE:20261010', 'SUMMARY:国庆节', 'CATEGORIES:WORKDAY'],
      ['UID:2', 'DTSTART;VALUE=DATE:20260920', 'SUMMARY:国庆节 补班'],
      ['UID:3', 'DTSTART;VALUE=DATE:20260214', 'SUMMARY:春节调休上班'],
      ['UID:4', 'DTSTART;VALUE=DATE:20260228', 'SUMMARY:春节(班)'],
      ['UID:5', 'DTSTART;VALUE=DATE:20260216', 'SUMMARY:春节调休'],
      ['UID:6', 'DTSTART;VALUE=DATE:20260509', 'SUMMARY:劳动节 补班', 'CATEGORIES:HOLIDAY'],
      ['UID:7', 'DTSTART;VALUE=DATE:20260104', 'SUMMARY:x', 'CATEGORIES:假期,上班'],
    ));
    expect(Object.fromEntries(parsed.days.map((d) => [d.date, d.kind]))).toEqual({
      '2026-01-04': 'workday', // a workday category wins over a holiday one
      '2026-02-14': 'workday',
      '2026-02-16': 'holiday',
      '2026-02-28': 'workday',
      '2026-05-09': 'holiday', // CATEGORIES before the summary
      '2026-09-20': 'workday',
      '2026-10-10': 'workday',
    });
    expect(dayKindOf([' workday '], '')).toBe('workday');
    expect(dayKindOf([], '元旦')).toBe('holiday');
  });

  it('N15: a yearly event is expanded inside the window only; EXDATE is honoured', () => {
    const parsed = parse(ics(
      ['UID:ny', 'DTSTART;VALUE=DATE:20200101', 'RRULE:FREQ=YEARLY', 'SUMMARY:元旦'],
      ['UID:ld', 'DTSTART;VALUE=DATE:20200501', 'DTEND;VALUE=DATE:20200503', 'RRULE:FREQ=YEARLY', 'EXDATE;VALUE=DATE:20270501', 'SUMMARY:劳动节'],
    ));
    expect(parsed.days.map((d) => d.date)).toEqual([
      '2026-01-01', '2026-05-01', '2026-05-02', '2027-01-01', '2028-01-01', '2028-05-01', '2028-05-02',
    ]);
  });

  it('N15: an endless daily rule stops at the window and at the day cap', () => {
    expect(parse(ics(['UID:d', 'DTSTART;VALUE=DATE:20260101', 'RRULE:FREQ=DAILY', 'SUMMARY:x'])).days).toHaveLength(366 + 365 + 365);
    expect(() => parse(ics(['UID:d', 'DTSTART;VALUE=DATE:20260101', 'RRULE:FREQ=DAILY', 'SUMMARY:x']), 100)).toThrow(CalendarTooLargeError);
  });

  it('N15: timed events and events longer than 31 days are skipped and reported; DTEND = DTSTART is one day', () => {
    const parsed = parse(ics(
      ['UID:t', 'DTSTART:20261001T090000Z', 'DTEND:20261001T100000Z', 'SUMMARY:meeting'],
      ['UID:tz', 'DTSTART;TZID=Asia/Shanghai:20261002T090000', 'SUMMARY:local meeting'],
      ['UID:long', 'DTSTART;VALUE=DATE:20260101', 'DTEND;VALUE=DATE:20260301', 'SUMMARY:winter'],
      ['UID:same', 'DTSTART;VALUE=DATE:20261225', 'DTEND;VALUE=DATE:20261225', 'SUMMARY:Christmas'],
    ));
    expect(parsed.days.map((d) => d.date)).toEqual(['2026-12-25']);
    expect(parsed.skipped).toEqual([
      { uid: 't', summary: 'meeting', reason: 'not an all-day event (DTSTART;VALUE=DATE)' },
      { uid: 'tz', summary: 'local meeting', reason: 'not an all-day event (DTSTART;VALUE=DATE)' },
      { uid: 'long', summary: 'winter', reason: 'longer than 31 days' },
    ]);
  });

  it('N15: a calendar with no events parses to no days (the API refuses it as empty)', () => {
    expect(parse(ics())).toEqual({ days: [], skipped: [], events: 0 });
  });

  it.each([
    ['plain text', 'hello world', /^not an iCalendar file/],
    ['an empty body', '', /^not an iCalendar file: no BEGIN:VCALENDAR/],
    ['a lone VEVENT', 'BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261001\r\nEND:VEVENT\r\n', /begins with BEGIN:VEVENT/],
    ['an unterminated calendar', 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n', /^not an iCalendar file/],
    ['two calendars', 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', /several/],
    ['a date that is no date', ics(['UID:x', 'DTSTART;VALUE=DATE:2026130x', 'SUMMARY:x']), /DTSTART of an event is not a valid date/],
    ['February 30th', ics(['UID:x', 'DTSTART;VALUE=DATE:20260230', 'SUMMARY:x']), /not a valid date/],
    ['an event without DTSTART', ics(['UID:x', 'SUMMARY:x']), /no DTSTART/],
    ['an event ending before it starts', ics(['UID:x', 'DTSTART;VALUE=DATE:20261005', 'DTEND;VALUE=DATE:20261001']), /ends before it starts/],
    ['a bad recurrence', ics(['UID:x', 'DTSTART;VALUE=DATE:20261005', 'RRULE:FREQ=SOMETIMES']), /invalid frequency/],
  ])('N15: %s is refused as a whole', (_, text, message) => {
    expect(refusal(text).message).toMatch(message);
  });

  it('N15: the refusal names the event', () => {
    expect(refusal(ics(['UID:bad-1', 'DTSTART;VALUE=DATE:2026130x', 'SUMMARY:x'])).details).toEqual({
      uid: 'bad-1', summary: 'x', property: 'DTSTART', value: '2026-13-0x',
    });
  });
});

describe('N15 iCalendar export', () => {
  it('N15: one all-day VEVENT per date, CATEGORIES HOLIDAY or WORKDAY, CRLF line ends', () => {
    const text = holidayCalendarText(
      [
        { date: '2026-10-01', kind: 'holiday', name: '国庆节' },
        { date: '2026-10-10', kind: 'workday', name: '' },
      ],
      { name: '客服热线 holidays', timezone: 'Asia/Shanghai', now: Date.UTC(2026, 0, 1) },
    );
    expect(text.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(text).toContain('DTSTART;VALUE=DATE:20261001\r\nDTEND;VALUE=DATE:20261002\r\nSUMMARY:国庆节\r\nCATEGORIES:HOLIDAY');
    expect(text).toContain('SUMMARY:Make-up workday\r\nCATEGORIES:WORKDAY');
    expect(text).toContain('X-WR-TIMEZONE:Asia/Shanghai');
    expect(text.split('\r\n').filter((l) => l === 'BEGIN:VEVENT')).toHaveLength(2);
  });

  it('N15 property: an exported calendar imports back to the same days', () => {
    const day = fc.record({
      offset: fc.integer({ min: 0, max: 1000 }),
      kind: fc.constantFrom('holiday' as const, 'workday' as const),
      name: fc.string({ maxLength: 30 }).map((s) => s.trim()),
    });
    fc.assert(
      fc.property(fc.uniqueArray(day, { selector: (d) => d.offset, maxLength: 40 }), (raw) => {
        const days: ExportDay[] = raw
          .map(({ offset, kind, name }) => ({ date: addDays('2026-01-01', offset), kind, name }))
          .sort((a, b) => (a.date < b.date ? -1 : 1));
        const text = holidayCalendarText(days, { name: 'x', timezone: 'Asia/Shanghai', now: 0 });
        const back = parseHolidayCalendar(text, { window: WINDOW });
        expect(back.skipped).toEqual([]);
        expect(back.days).toEqual(
          days.map((d) => ({ date: d.date, kind: d.kind, name: d.name || (d.kind === 'holiday' ? 'Holiday' : 'Make-up workday') })),
        );
      }),
      { numRuns: 100 },
    );
  });
});
