// N15: the flow file's `hours` section: when the hotline is staffed, in its time zone (the
// `hotline.timezone`), day by day. Without the section the hotline is open around the clock, as
// it was before service hours existed. A day's hours are a list of "HH:MM-HH:MM" ranges, [] for
// closed; "00:00-24:00" is the whole day. Holidays and make-up working days come from
// `hotline.holidays` / `hotline.workdays` and from imported calendars (POST /api/holidays/import).
// The texts stay texts here (the JSON schema shows what an operator writes); service-hours.ts
// reads them into minutes.
import { z } from 'zod';
import { isCalendarDate } from './local-time.js';

/** Weekday keys, indexed like Date#getDay (0 = Sunday). */
export const WEEKDAY_KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type WeekdayKey = (typeof WEEKDAY_KEYS)[number];

/** At most this many ranges a day: a lunch break or two, not a timetable. */
export const MAX_RANGES_PER_DAY = 8;

const RANGE = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;

/** Minutes since midnight of each end of a range text, or undefined when it is not HH:MM-HH:MM. */
export function rangeMinutes(text: string): [number, number] | undefined {
  const m = RANGE.exec(text);
  if (!m) return undefined;
  const [h1, m1, h2, m2] = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number];
  if (h1 > 23 || m1 > 59 || m2 > 59 || h2 > 24 || (h2 === 24 && m2 !== 0)) return undefined;
  return [h1 * 60 + m1, h2 * 60 + m2];
}

export const OpeningRange = z
  .string()
  .superRefine((text, ctx) => {
    const range = rangeMinutes(text);
    if (!range) {
      ctx.addIssue({ code: 'custom', message: 'an opening range is "HH:MM-HH:MM", e.g. "08:00-20:00" ("24:00" ends at midnight)' });
      return;
    }
    const [start, end] = range;
    if (end < start) {
      ctx.addIssue({
        code: 'custom',
        message: `an overnight range is two ranges: "${text.slice(0, 5)}-24:00" on the one day and "00:00-${text.slice(6)}" on the next`,
      });
    } else if (end === start) {
      ctx.addIssue({ code: 'custom', message: 'a range ends after it starts ("00:00-24:00" is the whole day)' });
    }
  })
  .describe('HH:MM-HH:MM in the hotline time zone, end excluded; "00:00-24:00" is the whole day');

/** One day's opening ranges, in order, not overlapping; [] is closed. */
export const DayHours = z
  .array(OpeningRange)
  .max(MAX_RANGES_PER_DAY)
  .superRefine((ranges, ctx) => {
    const parsed = ranges.map(rangeMinutes);
    for (let i = 1; i < parsed.length; i++) {
      const prev = parsed[i - 1];
      const cur = parsed[i];
      if (!prev || !cur) continue; // already reported by the range itself
      if (cur[0] < prev[1]) {
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `"${ranges[i]}" must start at or after the end of "${ranges[i - 1]}" (ranges in order, not overlapping)`,
        });
      }
    }
  })
  .describe('opening ranges of a day, in order; [] is closed');
export type DayHours = z.output<typeof DayHours>;

const IsoDate = z.string().refine(isCalendarDate, 'a date is YYYY-MM-DD (a real date)');

const Weekly = z
  .object(Object.fromEntries(WEEKDAY_KEYS.map((day) => [day, DayHours.default([])])) as Record<WeekdayKey, z.ZodDefault<typeof DayHours>>)
  .strict()
  .describe('opening ranges per weekday (mon … sun); a weekday not listed is closed');

// What a schedule is made of; the service hours and the callback hours have the same shape.
const schedule = {
  weekly: Weekly,
  holidays: DayHours.default([]).describe(
    'hours on a public holiday (hotline.holidays and imported holidays): [] closed (default), or reduced ranges',
  ),
  workdays: z
    .enum(WEEKDAY_KEYS)
    .default('mon')
    .describe("a make-up working day (hotline.workdays and imported workdays) has this weekday's hours"),
  dates: z
    .record(IsoDate, DayHours)
    .default({})
    .describe('per-date exceptions, "YYYY-MM-DD": ranges ([] closed); they win over the weekly table, holidays and workdays'),
};

export const HoursSchedule = z.object(schedule).strict();
export type HoursSchedule = z.output<typeof HoursSchedule>;

export const ServiceHoursConfig = z
  .object({
    ...schedule,
    callbacks: HoursSchedule.optional().describe(
      'N8: when the scheduler may dial callbacks (same keys as the service hours); default: the service hours',
    ),
  })
  .strict()
  .optional()
  .describe(
    'N15: service hours in the hotline time zone (the `hours` verb branches open/closed/holiday on them); without this section the hotline is open around the clock',
  );
export type ServiceHoursConfig = z.output<typeof ServiceHoursConfig>;
