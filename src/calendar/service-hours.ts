// N15: open, closed or holiday at an instant, and when that changes next. Pure functions of
// (instant, hours, calendar, override): no clock, no store, so every boundary is tested on plain
// numbers. Hours are wall-clock ranges of local dates; each range becomes a span of instants
// through local-time.ts, which is where daylight saving is handled: a range starting inside a
// DST gap opens when the clock jumps past it, a day of 23 or 25 hours is as long as it is.
// Which hours a date has, strongest first: an operator override (for the instant, not the
// date), a per-date exception, the holiday hours, a make-up working day's weekday, the weekly
// table. N8 callback hours are the same computation on the `callbacks` schedule.
import type { DayHours, HoursSchedule, ServiceHoursConfig } from './service-hours-config.js';
import { rangeMinutes, WEEKDAY_KEYS } from './service-hours-config.js';
import { addDays, localTime, wallClockInstant, weekdayOf } from './local-time.js';

export type ServiceState = 'open' | 'closed' | 'holiday';

/**
 * Why the state is what it is: `always` (no hours configured: open around the clock), `weekly`
 * (the weekly table), `workday` (a make-up working day), `holiday` (holiday hours), `date` (a
 * per-date exception), `override` (an operator's override).
 */
export type HoursReason = 'always' | 'weekly' | 'workday' | 'holiday' | 'date' | 'override';

/** The calendar the hours read: the zone, and the holidays and make-up workdays (flow file and imported, merged). */
export interface HoursCalendar {
  timezone: string;
  holidays: ReadonlySet<string>;
  workdays: ReadonlySet<string>;
}

/** An operator's override in force until `expiresAt` (epoch ms, excluded). */
export interface ActiveOverride {
  state: 'open' | 'closed';
  expiresAt: number;
}

export interface HoursStatus {
  state: ServiceState;
  reason: HoursReason;
  /** The local date (YYYY-MM-DD) of the instant asked about. */
  date: string;
  /** Not open: the next instant it opens (epoch ms); null when open, or when it does not open within HORIZON_DAYS. */
  opensAt: number | null;
  /** Open: the next instant it closes (epoch ms); null when closed, or when it stays open past HORIZON_DAYS. */
  closesAt: number | null;
}

/** How far ahead the next opening or closing is looked for. */
export const HORIZON_DAYS = 400;

/** A day's hours and where they came from. */
export interface DayPlan {
  /** [start, end) in minutes since local midnight, in order, not overlapping; end ≤ 1440. */
  ranges: Array<[number, number]>;
  reason: Exclude<HoursReason, 'override' | 'always'>;
  holiday: boolean;
}

const parsed = new WeakMap<DayHours, Array<[number, number]>>();

function minutesOf(day: DayHours): Array<[number, number]> {
  let ranges = parsed.get(day);
  if (!ranges) {
    // The schema has checked every range; anything else would be a bug upstream.
    ranges = day.map((text) => {
      const range = rangeMinutes(text);
      if (!range || range[1] <= range[0]) throw new Error(`not an opening range: ${text}`);
      return range;
    });
    parsed.set(day, ranges);
  }
  return ranges;
}

/** The hours of a local date under a schedule and a calendar. */
export function dayPlan(date: string, schedule: HoursSchedule, calendar: HoursCalendar): DayPlan {
  const holiday = calendar.holidays.has(date);
  const exception = Object.hasOwn(schedule.dates, date) ? schedule.dates[date] : undefined;
  if (exception) return { ranges: minutesOf(exception), reason: 'date', holiday };
  // A date on both lists is a holiday, as the greeting (N2) takes it.
  if (holiday) return { ranges: minutesOf(schedule.holidays), reason: 'holiday', holiday };
  if (calendar.workdays.has(date)) return { ranges: minutesOf(schedule.weekly[schedule.workdays]), reason: 'workday', holiday };
  return { ranges: minutesOf(schedule.weekly[WEEKDAY_KEYS[weekdayOf(date)]!]), reason: 'weekly', holiday };
}

// Instants of wall-clock times, kept: the scheduler asks every second, and a schedule open all
// week makes the search walk the whole horizon. Bounded by starting over when full.
const instants = new Map<string, number>();
const MAX_INSTANTS = 20_000;

function instantOf(date: string, minutes: number, timeZone: string): number {
  const key = `${timeZone} ${date} ${minutes}`;
  let at = instants.get(key);
  if (at === undefined) {
    if (instants.size >= MAX_INSTANTS) instants.clear();
    at = wallClockInstant(date, minutes, timeZone);
    instants.set(key, at);
  }
  return at;
}

/** A span of instants [from, to) the schedule is open; `to` is Infinity when it stays open past the horizon. */
interface Span {
  from: number;
  to: number;
}

/**
 * The open spans that end after `at`, in order, touching ones merged (23:00-24:00 then 00:00-…
 * the next day is one span), from the local date of `at` to the horizon.
 */
function* openSpans(at: number, schedule: HoursSchedule, calendar: HoursCalendar, startDate: string): Generator<Span> {
  const tz = calendar.timezone;
  let current: Span | undefined;
  for (let i = 0; i <= HORIZON_DAYS; i++) {
    const date = addDays(startDate, i);
    for (const [start, end] of dayPlan(date, schedule, calendar).ranges) {
      const from = instantOf(date, start, tz);
      const to = instantOf(date, end, tz);
      if (to <= from || to <= at) continue; // inside a DST gap, or over already
      if (current && from <= current.to) {
        current.to = Math.max(current.to, to);
        continue;
      }
      if (current) yield current;
      current = { from, to };
    }
  }
  if (current) yield { from: current.from, to: Infinity }; // still open at the horizon
}

/** The schedule alone (no override) at `at`. */
function scheduleState(at: number, schedule: HoursSchedule, calendar: HoursCalendar): HoursStatus {
  const { date } = localTime(at, calendar.timezone);
  const plan = dayPlan(date, schedule, calendar);
  const next = openSpans(at, schedule, calendar, date).next();
  const span = next.done ? undefined : next.value;
  if (span && span.from <= at) {
    return { state: 'open', reason: plan.reason, date, opensAt: null, closesAt: span.to === Infinity ? null : span.to };
  }
  return { state: plan.holiday ? 'holiday' : 'closed', reason: plan.reason, date, opensAt: span?.from ?? null, closesAt: null };
}

/**
 * The service state at `at` (epoch ms). Without hours (the flow has no `hours` section) the
 * hotline is open around the clock. An override in force decides the state until it expires;
 * the next change is then found from the schedule at its expiry.
 */
export function serviceState(
  at: number,
  hours: HoursSchedule | ServiceHoursConfig,
  calendar: HoursCalendar,
  override?: ActiveOverride | null,
): HoursStatus {
  const active = override && at < override.expiresAt ? override : undefined;
  if (!hours) {
    const { date } = localTime(at, calendar.timezone);
    if (active?.state === 'closed') return { state: 'closed', reason: 'override', date, opensAt: active.expiresAt, closesAt: null };
    return { state: 'open', reason: active ? 'override' : 'always', date, opensAt: null, closesAt: null };
  }
  if (!active) return scheduleState(at, hours, calendar);
  const { date } = localTime(at, calendar.timezone);
  const after = scheduleState(active.expiresAt, hours, calendar);
  if (active.state === 'open') {
    return { state: 'open', reason: 'override', date, opensAt: null, closesAt: after.state === 'open' ? after.closesAt : active.expiresAt };
  }
  return { state: 'closed', reason: 'override', date, opensAt: after.state === 'open' ? active.expiresAt : after.opensAt, closesAt: null };
}

/** When the service is next open from `at`: `at` itself when open now; null when not within the horizon. */
export function nextOpening(
  at: number,
  hours: HoursSchedule | ServiceHoursConfig,
  calendar: HoursCalendar,
  override?: ActiveOverride | null,
): number | null {
  const status = serviceState(at, hours, calendar, override);
  return status.state === 'open' ? at : status.opensAt;
}

/** N8: the schedule the callback scheduler keeps to: `hours.callbacks`, else the service hours. */
export function callbackSchedule(hours: ServiceHoursConfig): HoursSchedule | undefined {
  return hours?.callbacks ?? hours;
}

/** The merged calendar of a flow: its own lists, plus imported days on dates the flow file does not list. */
export function hoursCalendar(
  hotline: { timezone: string; holidays: readonly string[]; workdays: readonly string[] },
  imported: ReadonlyArray<{ date: string; kind: 'holiday' | 'workday' }> = [],
): HoursCalendar {
  const holidays = new Set(hotline.holidays);
  const workdays = new Set(hotline.workdays);
  // The flow file is the operator's reviewed word: an imported day never overrules a date it lists.
  for (const day of imported) {
    if (holidays.has(day.date) || workdays.has(day.date)) continue;
    (day.kind === 'holiday' ? holidays : workdays).add(day.date);
  }
  // A flow file listing a date twice is a holiday (dayPlan checks holidays first).
  return { timezone: hotline.timezone, holidays, workdays };
}
