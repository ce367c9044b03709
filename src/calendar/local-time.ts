// Local time in the hotline's time zone, which is not the server's: the local date, time of day
// and weekday of an instant, and the first instant of its day. Pure functions (an instant and a
// zone in, a fact out), no clock. Used by N2 (greeting), N10 (closing), N12 ("earlier today"),
// N13 (the date in a ticket number) and N15 (service hours), through hotline-calendar.ts or
// directly.

/** A calendar date, numerically. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/** Where an instant falls in a time zone: its date, minutes since local midnight, weekday. */
export interface LocalTime {
  /** YYYY-MM-DD, as holiday and make-up workday lists write it. */
  date: string;
  /** 0…1439: hours × 60 + minutes on the local wall clock. */
  minutes: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const ms = (at: Date | number) => (typeof at === 'number' ? at : at.getTime());

// ---- formatters, one per (kind, zone) ----
//
// Building an Intl.DateTimeFormat costs 13-20 times more than formatting with one (it resolves
// the locale and loads the zone's rules), and these functions run several times per call. A
// module-level memo is fine here, unlike a singleton with state: a formatter is immutable (its
// options fixed when built, formatToParts reads no hidden state and depends only on its argument),
// so sharing one changes no result and the functions stay pure. Time zones come from the flow
// file (a handful); the bound only keeps a long-lived process from holding one per zone it was
// ever asked about, by evicting the oldest entry.
const MAX_FORMATTERS = 32;
const formatters = new Map<string, Intl.DateTimeFormat>();

function memoFormatter(key: string, build: () => Intl.DateTimeFormat): Intl.DateTimeFormat {
  let fmt = formatters.get(key);
  if (!fmt) {
    fmt = build();
    if (formatters.size >= MAX_FORMATTERS) formatters.delete(formatters.keys().next().value as string);
    formatters.set(key, fmt);
  }
  return fmt;
}

/** A Gregorian date in Latin digits whatever the zone's locale: what dateFormatter and wallFormatter read. */
const GREGORIAN_DATE: Intl.DateTimeFormatOptions = {
  calendar: 'gregory',
  numberingSystem: 'latn',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
};

function dateFormatter(timeZone: string): Intl.DateTimeFormat {
  return memoFormatter(`date ${timeZone}`, () => new Intl.DateTimeFormat('en-US', { timeZone, ...GREGORIAN_DATE }));
}

function timeFormatter(timeZone: string): Intl.DateTimeFormat {
  return memoFormatter(`time ${timeZone}`, () =>
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
      hourCycle: 'h23',
    }),
  );
}

function partsOf(fmt: Intl.DateTimeFormat, atMs: number): LocalDate {
  const parts = fmt.formatToParts(atMs);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

const ordinal = (d: LocalDate) => d.year * 10_000 + d.month * 100 + d.day;

/** The calendar date of `at` in `timeZone`. */
export function localDate(at: Date | number, timeZone: string): LocalDate {
  return partsOf(dateFormatter(timeZone), ms(at));
}

/** The local date (YYYY-MM-DD), minutes since midnight and weekday of `at` in `timeZone`. */
export function localTime(at: Date | number, timeZone: string): LocalTime {
  const parts = timeFormatter(timeZone).formatToParts(ms(at));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    date: `${get('year')}-${get('month')}-${get('day')}`,
    minutes: Number(get('hour')) * 60 + Number(get('minute')),
    weekday: WEEKDAYS.indexOf(get('weekday')),
  };
}

/** Minutes since midnight of a wall-clock time written HH:MM (as the flow file writes them). */
export function clockMinutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/**
 * The first instant (ms epoch) of `at`'s calendar day in `timeZone`: local midnight, or the end
 * of the DST gap where a zone skips midnight. Found by bisection on the local date rather than
 * from an offset guess, which is wrong on exactly the days a zone changes its offset.
 */
export function dayStart(at: Date | number, timeZone: string): number {
  const fmt = dateFormatter(timeZone);
  const atMs = ms(at);
  const today = ordinal(partsOf(fmt, atMs));
  // UTC offsets stay within ±14 h, so 26 h before `at` is on an earlier local day.
  let lo = atMs - 26 * 3_600_000;
  let hi = atMs;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (ordinal(partsOf(fmt, mid)) >= today) hi = mid;
    else lo = mid;
  }
  return hi;
}

// ---- wall-clock times to instants (N15 service hours) ----

function wallFormatter(timeZone: string): Intl.DateTimeFormat {
  return memoFormatter(`wall ${timeZone}`, () =>
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      ...GREGORIAN_DATE,
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    }),
  );
}

/** The zone's offset from UTC at an instant, in ms (local wall clock minus UTC). */
export function utcOffsetMs(atMs: number, timeZone: string): number {
  const parts = wallFormatter(timeZone).formatToParts(atMs);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - (atMs - (((atMs % 1000) + 1000) % 1000));
}

const HOUR_MS = 3_600_000;
// Offset changes are months apart in every zone: within ±50 h of a wall time there is at most one.
const BRACKET_MS = 50 * HOUR_MS;

/**
 * The first instant (ms epoch) at which the wall clock in `timeZone` reads `minutes` past
 * midnight of `date` (YYYY-MM-DD) or later. The usual case is the one instant showing that time.
 * In a DST gap (02:30 on a spring-forward night in New York) it is the end of the gap (03:00
 * EDT), the moment the clock jumps past it; in a repeated hour (01:30 on a fall-back night) it
 * is the first of the two. `minutes` may be 1440 (24:00, the next day's midnight).
 */
export function wallClockInstant(date: string, minutes: number, timeZone: string): number {
  const wall = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) + minutes * 60_000;
  const before = utcOffsetMs(wall - BRACKET_MS, timeZone);
  const after = utcOffsetMs(wall + BRACKET_MS, timeZone);
  if (before === after) return wall - before;
  // One change in the bracket: find its instant, the first one with the new offset.
  let lo = wall - BRACKET_MS;
  let hi = wall + BRACKET_MS;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (utcOffsetMs(mid, timeZone) === before) lo = mid;
    else hi = mid;
  }
  const change = hi;
  // Before the change the wall clock is instant + before; shown there if it comes in time.
  const early = wall - before;
  if (early < change) return early;
  // Otherwise it shows at instant + after, or the time fell in the gap: the change itself.
  return Math.max(change, wall - after);
}

/** The calendar date `days` after `date` (YYYY-MM-DD; negative goes back). */
export function addDays(date: string, days: number): string {
  const ms = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) + days * 86_400_000;
  return new Date(ms).toISOString().slice(0, 10);
}

/** The weekday of a calendar date (0 = Sunday … 6 = Saturday), wherever it is. */
export function weekdayOf(date: string): number {
  return new Date(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)))).getUTCDay();
}

/** A YYYY-MM-DD text that names a real calendar date (not 2026-02-30). */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const year = Number(text.slice(0, 4));
  return year >= 1000 && addDays(text, 0) === text;
}

/** The latest instant at or before `now` when the wall clock in `timeZone` read `hhmm` (N16's daily run). */
export function lastWallClock(now: number, hhmm: string, timeZone: string): number {
  const { date } = localTime(now, timeZone);
  const today = wallClockInstant(date, clockMinutes(hhmm), timeZone);
  return today <= now ? today : wallClockInstant(addDays(date, -1), clockMinutes(hhmm), timeZone);
}

/** The first instant after `after` when the wall clock in `timeZone` reads `hhmm` (a daily run, an hour a callee keys). */
export function nextWallClock(after: number, hhmm: string, timeZone: string): number {
  const { date } = localTime(after, timeZone);
  for (let days = 0; days <= 2; days++) {
    const at = wallClockInstant(addDays(date, days), clockMinutes(hhmm), timeZone);
    if (at > after) return at;
  }
  return after + 86_400_000; // unreachable: within two days the wall clock shows every time after `after`
}
