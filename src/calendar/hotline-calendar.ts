// The hotline's calendar: the daypart of an instant, and whether its local day is a holiday, a
// weekend or a make-up working day. Pure functions of (instant, calendar settings), no clock,
// so the rules are tested without one. N2 (greeting) and N10 (closing) choose their wording from
// the DayContext; N15 (service hours) decides open or closed from the same facts.
import { clockMinutes, localTime } from './local-time.js';

export type Daypart = 'morning' | 'noon' | 'afternoon' | 'evening';

/** The calendar settings of a hotline (the flow file's `hotline` section satisfies it). */
export interface HotlineCalendar {
  /** IANA time zone every local date and time is taken in. */
  timezone: string;
  /** When each daypart starts (HH:MM, local); before `morning` it is still evening. */
  dayparts: Readonly<Record<Daypart, string>>;
  /** Public holidays, YYYY-MM-DD. */
  holidays: readonly string[];
  /** Make-up working days that fall on a weekend, YYYY-MM-DD. */
  workdays: readonly string[];
}

export interface DayContext {
  daypart: Daypart;
  holiday: boolean;
  /** A Saturday or Sunday that is not a make-up working day. */
  weekend: boolean;
  date: string;
}

/** The daypart of a local time of day (minutes since midnight). */
export function daypartOf(minutes: number, dayparts: HotlineCalendar['dayparts']): Daypart {
  const at = (part: Daypart) => clockMinutes(dayparts[part]);
  // Before the morning boundary it is still "evening" (a call at 02:00 hears 晚上好).
  if (minutes >= at('morning') && minutes < at('noon')) return 'morning';
  if (minutes >= at('noon') && minutes < at('afternoon')) return 'noon';
  if (minutes >= at('afternoon') && minutes < at('evening')) return 'afternoon';
  return 'evening';
}

/** A configured public holiday (local date YYYY-MM-DD). */
export function isHoliday(date: string, calendar: Pick<HotlineCalendar, 'holidays'>): boolean {
  return calendar.holidays.includes(date);
}

/** A configured make-up working day (local date YYYY-MM-DD). */
export function isMakeUpWorkday(date: string, calendar: Pick<HotlineCalendar, 'workdays'>): boolean {
  return calendar.workdays.includes(date);
}

/** Saturday or Sunday (weekday 0…6, 0 = Sunday), whatever the lists say. */
const isSaturdayOrSunday = (weekday: number): boolean => weekday === 0 || weekday === 6;

/** The day's facts at `at`, in the hotline's time zone. */
export function dayContext(at: Date | number, calendar: HotlineCalendar): DayContext {
  const { date, minutes, weekday } = localTime(at, calendar.timezone);
  const holiday = isHoliday(date, calendar);
  const weekend = isSaturdayOrSunday(weekday) && !isMakeUpWorkday(date, calendar) && !holiday;
  return { daypart: daypartOf(minutes, calendar.dayparts), holiday, weekend, date };
}
