// Local time in the hotline's time zone (N12 "earlier today", N13 ticket dates, N2/N10/N15).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clockMinutes, dayStart, localDate, localTime, utcOffsetMs } from '../../src/calendar/local-time.js';

describe('dayStart', () => {
  it('is local midnight in the time zone, not the server\'s', () => {
    // 2026-05-01 07:30 in Shanghai is 2026-04-30 23:30 UTC.
    expect(dayStart(new Date(Date.UTC(2026, 3, 30, 23, 30)), 'Asia/Shanghai')).toBe(Date.UTC(2026, 3, 30, 16, 0));
    expect(dayStart(new Date(Date.UTC(2026, 3, 30, 23, 30)), 'UTC')).toBe(Date.UTC(2026, 3, 30, 0, 0));
  });

  it('is the instant itself at midnight', () => {
    const midnight = Date.UTC(2026, 3, 30, 16, 0);
    expect(dayStart(new Date(midnight), 'Asia/Shanghai')).toBe(midnight);
    expect(dayStart(new Date(midnight - 1), 'Asia/Shanghai')).toBe(midnight - 86_400_000);
  });

  it('handles DST days (New York, 2026-03-08 springs forward at 02:00)', () => {
    expect(dayStart(new Date(Date.UTC(2026, 2, 8, 20, 0)), 'America/New_York')).toBe(Date.UTC(2026, 2, 8, 5, 0));
    expect(dayStart(new Date(Date.UTC(2026, 2, 9, 20, 0)), 'America/New_York')).toBe(Date.UTC(2026, 2, 9, 4, 0));
  });

  it('finds the first instant of a day whose midnight does not exist (Havana springs forward at 00:00)', () => {
    // Cuba: 2026-03-08 00:00 CST (UTC-5) jumps to 01:00 CDT (UTC-4), so the day starts at 05:00 UTC.
    expect(dayStart(new Date(Date.UTC(2026, 2, 8, 18, 0)), 'America/Havana')).toBe(Date.UTC(2026, 2, 8, 5, 0));
  });
});

describe('localDate and localTime', () => {
  it('give the date, time of day and weekday on the zone\'s wall clock', () => {
    // 2026-04-30 23:30 UTC is Friday 2026-05-01 07:30 in Shanghai, still Thursday in UTC.
    const at = Date.UTC(2026, 3, 30, 23, 30);
    expect(localDate(at, 'Asia/Shanghai')).toEqual({ year: 2026, month: 5, day: 1 });
    expect(localDate(new Date(at), 'UTC')).toEqual({ year: 2026, month: 4, day: 30 });
    expect(localTime(at, 'Asia/Shanghai')).toEqual({ date: '2026-05-01', minutes: 7 * 60 + 30, weekday: 5 });
    expect(localTime(at, 'UTC')).toEqual({ date: '2026-04-30', minutes: 23 * 60 + 30, weekday: 4 });
  });

  it('clockMinutes reads HH:MM', () => {
    expect([clockMinutes('00:00'), clockMinutes('05:30'), clockMinutes('23:59')]).toEqual([0, 330, 1439]);
  });
});

describe('formatters kept per zone', () => {
  // More zones than the memo holds (32), so entries are evicted and rebuilt while the run goes on.
  const zones = Intl.supportedValuesOf('timeZone').filter((_, i) => i % 9 === 0).slice(0, 45);
  const fresh = (atMs: number, timeZone: string) => {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    }).formatToParts(atMs);
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    return { year: Number(get('year')), month: Number(get('month')), day: Number(get('day')), hour: Number(get('hour')), minute: Number(get('minute')), second: Number(get('second')), weekday: get('weekday') };
  };

  it('give what a formatter built for the call would, in any order of zones and instants', () => {
    expect(zones.length).toBeGreaterThan(32);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...zones), fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) })), { minLength: 1, maxLength: 60 }),
        (asks) => {
          for (const [zone, at] of asks) {
            const f = fresh(at, zone);
            const pad = (n: number) => String(n).padStart(2, '0');
            expect(localDate(at, zone)).toEqual({ year: f.year, month: f.month, day: f.day });
            expect(localTime(at, zone)).toEqual({
              date: `${f.year}-${pad(f.month)}-${pad(f.day)}`,
              minutes: f.hour * 60 + f.minute,
              weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(f.weekday),
            });
            const wall = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
            expect(utcOffsetMs(at, zone)).toBe(wall - (at - (at % 1000)));
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses an unknown zone every time, keeping nothing for it', () => {
    expect(() => localTime(0, 'Mars/Olympus_Mons')).toThrow(RangeError);
    expect(() => localTime(0, 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});
