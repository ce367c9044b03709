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

function dateFormatter(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    calendar: 'gregory',
    numberingSystem: 'latn',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  });
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
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    weekday: 'short',
    hourCycle: 'h23',
  }).formatToParts(ms(at));
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
