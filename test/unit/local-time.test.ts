// Local time in the hotline's time zone (N12 "earlier today", N13 ticket dates, N2/N10/N15).
import { describe, expect, it } from 'vitest';
import { clockMinutes, dayStart, localDate, localTime } from '../../src/calendar/local-time.js';

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
