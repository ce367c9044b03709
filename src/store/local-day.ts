// Calendar days in the hotline's time zone, which is not the server's: "earlier today" (N12)
// and the date in a ticket number (N13) are the caller's day.

export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    calendar: 'gregory',
    numberingSystem: 'latn',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  });
}

function partsOf(fmt: Intl.DateTimeFormat, ms: number): LocalDate {
  const parts = fmt.formatToParts(ms);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

const ordinal = (d: LocalDate) => d.year * 10_000 + d.month * 100 + d.day;

export function localDate(at: Date | number, timeZone: string): LocalDate {
  return partsOf(formatter(timeZone), typeof at === 'number' ? at : at.getTime());
}

/**
 * The first instant (ms epoch) of `at`'s calendar day in `timeZone`: local midnight, or the end
 * of the DST gap where a zone skips midnight. Found by bisection on the local date rather than
 * from an offset guess, which is wrong on exactly the days a zone changes its offset.
 */
export function dayStart(at: Date, timeZone: string): number {
  const fmt = formatter(timeZone);
  const atMs = at.getTime();
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
