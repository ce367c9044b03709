// N15: holiday calendars in and out as iCalendar (RFC 5545), through ical.js (Mozilla's parser
// and generator) rather than a parser of our own. Import reads all-day VEVENTs: each date of a
// multi-day event (DTSTART to DTEND, end excluded, or DURATION) is a day; recurring events
// (RRULE, EXDATE) are expanded inside a bounded window of years. Timed events say nothing about
// whole days and are skipped, and reported as skipped.
//
// A make-up working day (调休上班) is told from a holiday by, first, CATEGORIES: WORKDAY,
// MAKEUP-WORKDAY, 上班, 补班 or 班 make it a workday; HOLIDAY, 假期, 放假, 休 or 节假日 a holiday;
// otherwise by the SUMMARY: one containing 补班 or 上班, or a bracketed 班 (「春节(班)」), is a
// workday, anything else a holiday. 调休 alone decides nothing: feeds use it for both the days
// off and the days worked. Export writes every day with CATEGORIES HOLIDAY or WORKDAY, so an
// exported file imports back to the same calendar.
import ICAL from 'ical.js';
import type { DayKind, NewCalendarDay } from './hours-store.js';
import { addDays, isCalendarDate } from './local-time.js';

/** A file that is not an iCalendar file, or one with a malformed event: the whole import is refused. */
export class CalendarFileError extends Error {
  override readonly name = 'CalendarFileError';

  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** More days than an import may hold: the whole import is refused. */
export class CalendarTooLargeError extends CalendarFileError {}

export interface SkippedEvent {
  uid: string | null;
  summary: string;
  reason: string;
}

export interface ParsedCalendar {
  /** One entry per date, in date order. */
  days: NewCalendarDay[];
  skipped: SkippedEvent[];
  /** VEVENTs in the file. */
  events: number;
}

export interface ParseOptions {
  /** Recurring events are expanded from this date to this one (YYYY-MM-DD, both included). */
  window: { from: string; to: string };
  /** At most this many dates in one import (default 2000). */
  maxDays?: number;
}

/** One event may not cover more days than this: a holiday of months is a mistake in the file. */
export const MAX_EVENT_DAYS = 31;
/** Occurrences looked at per recurring event before giving up on it. */
const MAX_OCCURRENCES = 5000;
const MAX_NAME = 200;

const WORKDAY_CATEGORIES = new Set(['workday', 'makeup-workday', 'make-up workday', '上班', '补班', '班']);
const HOLIDAY_CATEGORIES = new Set(['holiday', 'public holiday', '假期', '放假', '休', '节假日']);
const WORKDAY_SUMMARY = /补班|上班|[(（[【]\s*班\s*[)）\]】]/;

/** Holiday or make-up workday, by the convention above. */
export function dayKindOf(categories: readonly string[], summary: string): DayKind {
  const cats = categories.map((c) => c.trim().toLowerCase());
  if (cats.some((c) => WORKDAY_CATEGORIES.has(c))) return 'workday';
  if (cats.some((c) => HOLIDAY_CATEGORIES.has(c))) return 'holiday';
  return WORKDAY_SUMMARY.test(summary) ? 'workday' : 'holiday';
}

type JCalProperty = [string, Record<string, unknown>, string, ...unknown[]];

/**
 * A DATE property's value as written, checked (ical.js reads 2026130x as some date rather than
 * refusing it); null when the property is a DATE-TIME, undefined when it is absent.
 */
function dateValue(component: ICAL.Component, name: 'dtstart' | 'dtend', where: Omit<SkippedEvent, 'reason'>): string | null | undefined {
  const prop = component.getFirstProperty(name);
  if (!prop) return undefined;
  if (prop.type !== 'date') return null;
  const raw = (prop.toJSON() as JCalProperty)[3];
  if (typeof raw !== 'string' || !isCalendarDate(raw)) {
    throw new CalendarFileError(`${name.toUpperCase()} of an event is not a valid date`, { ...where, property: name.toUpperCase(), value: String(raw) });
  }
  return raw;
}

const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);

/** Reads an iCalendar text into days; throws CalendarFileError for a malformed file. */
export function parseHolidayCalendar(text: string, options: ParseOptions): ParsedCalendar {
  const maxDays = options.maxDays ?? 2000;
  let jcal: unknown;
  try {
    jcal = ICAL.parse(text);
  } catch (err) {
    throw new CalendarFileError(`not an iCalendar file: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(jcal) || jcal.length === 0) throw new CalendarFileError('not an iCalendar file: no BEGIN:VCALENDAR');
  if (Array.isArray(jcal[0])) throw new CalendarFileError('one VCALENDAR per file, this one has several');
  if (jcal[0] !== 'vcalendar') throw new CalendarFileError(`not an iCalendar file: it begins with BEGIN:${String(jcal[0]).toUpperCase()}, not BEGIN:VCALENDAR`);

  const calendar = new ICAL.Component(jcal as unknown[]);
  const vevents = calendar.getAllSubcomponents('vevent');
  const byDate = new Map<string, { kind: DayKind; name: string }>();
  const skipped: SkippedEvent[] = [];
  const add = (date: string, kind: DayKind, name: string) => {
    // Within one file a workday wins over a holiday on the same date: it is the more specific word.
    const before = byDate.get(date);
    if (before?.kind === 'workday' && kind === 'holiday') return;
    byDate.set(date, { kind, name });
    if (byDate.size > maxDays) throw new CalendarTooLargeError(`the calendar holds more than ${maxDays} days`, { maxDays });
  };

  for (const vevent of vevents) {
    const uidValue = vevent.getFirstPropertyValue('uid');
    const summaryValue = vevent.getFirstPropertyValue('summary');
    const where = {
      uid: typeof uidValue === 'string' ? uidValue : null,
      summary: typeof summaryValue === 'string' ? summaryValue.trim().slice(0, MAX_NAME) : '',
    };
    const start = dateValue(vevent, 'dtstart', where);
    if (start === undefined) throw new CalendarFileError('an event has no DTSTART', where);
    const end = dateValue(vevent, 'dtend', where);
    if (start === null || end === null) {
      skipped.push({ ...where, reason: 'not an all-day event (DTSTART;VALUE=DATE)' });
      continue;
    }
    const event = new ICAL.Event(vevent);
    const span = end === undefined ? daysBetween(start, event.endDate.toString().slice(0, 10)) : daysBetween(start, end);
    if (span < 0) throw new CalendarFileError('an event ends before it starts', { ...where, start, end: end ?? null });
    // DTEND equal to DTSTART (some producers write it for a one-day event): that one day.
    const length = Math.max(1, span);
    if (length > MAX_EVENT_DAYS) {
      skipped.push({ ...where, reason: `longer than ${MAX_EVENT_DAYS} days` });
      continue;
    }
    const categories = vevent.getAllProperties('categories').flatMap((p) => p.getValues().map(String));
    const kind = dayKindOf(categories, where.summary);
    const starts = event.isRecurring() ? occurrences(event, where, options.window) : [start];
    for (const first of starts) {
      for (let i = 0; i < length; i++) add(addDays(first, i), kind, where.summary);
    }
  }
  const days = [...byDate.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([date, { kind, name }]) => ({ date, kind, name }));
  return { days, skipped, events: vevents.length };
}

/** The start dates of a recurring all-day event inside the window. */
function occurrences(event: ICAL.Event, where: Omit<SkippedEvent, 'reason'>, window: ParseOptions['window']): string[] {
  const starts: string[] = [];
  try {
    const iterator = event.iterator();
    for (let n = 0; n < MAX_OCCURRENCES; n++) {
      const next = iterator.next();
      if (!next) return starts;
      const date = next.toString().slice(0, 10);
      if (date > window.to) return starts;
      if (date >= window.from) starts.push(date);
    }
  } catch (err) {
    throw new CalendarFileError(`the recurrence of an event cannot be read: ${err instanceof Error ? err.message : String(err)}`, where);
  }
  return starts;
}

export interface ExportDay {
  date: string;
  kind: DayKind;
  name: string;
}

export interface ExportOptions {
  /** The calendar's name (X-WR-CALNAME). */
  name: string;
  timezone: string;
  /** DTSTAMP of every event (epoch ms). */
  now: number;
}

/** The days as an iCalendar text: one all-day VEVENT per date, CATEGORIES HOLIDAY or WORKDAY. */
export function holidayCalendarText(days: readonly ExportDay[], options: ExportOptions): string {
  const calendar = new ICAL.Component(['vcalendar', [], []]);
  calendar.updatePropertyWithValue('prodid', '-//hotline-controller//N15 holidays//EN');
  calendar.updatePropertyWithValue('version', '2.0');
  calendar.updatePropertyWithValue('calscale', 'GREGORIAN');
  calendar.updatePropertyWithValue('x-wr-calname', options.name);
  calendar.updatePropertyWithValue('x-wr-timezone', options.timezone);
  const stamp = ICAL.Time.fromJSDate(new Date(options.now), true);
  for (const day of days) {
    const vevent = new ICAL.Component('vevent');
    vevent.updatePropertyWithValue('uid', `${day.date}-${day.kind}@hotline-controller`);
    vevent.updatePropertyWithValue('dtstamp', stamp);
    vevent.updatePropertyWithValue('dtstart', ICAL.Time.fromDateString(day.date));
    vevent.updatePropertyWithValue('dtend', ICAL.Time.fromDateString(addDays(day.date, 1)));
    vevent.updatePropertyWithValue('summary', day.name || (day.kind === 'holiday' ? 'Holiday' : 'Make-up workday'));
    vevent.updatePropertyWithValue('categories', day.kind === 'holiday' ? 'HOLIDAY' : 'WORKDAY');
    vevent.updatePropertyWithValue('transp', 'TRANSPARENT');
    calendar.addSubcomponent(vevent);
  }
  // RFC 5545: every content line ends with CRLF, the last one too.
  return `${calendar.toString()}\r\n`;
}
