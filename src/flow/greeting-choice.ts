// N2 / N10: which greeting and closing variant a moment calls for, in the hotline's time zone.
// Pure functions of (instant, hotline settings) so the rules are tested without a clock.
import type { FlowFile } from './schema.js';

type Hotline = FlowFile['hotline'];
export type Daypart = 'morning' | 'noon' | 'afternoon' | 'evening';

export interface DayContext {
  daypart: Daypart;
  holiday: boolean;
  /** A Saturday or Sunday that is not a make-up working day. */
  weekend: boolean;
  date: string;
}

function localParts(at: Date, timeZone: string): { date: string; minutes: number; weekday: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    weekday: 'short',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return {
    date: `${get('year')}-${get('month')}-${get('day')}`,
    minutes: Number(get('hour')) * 60 + Number(get('minute')),
    weekday,
  };
}

const toMinutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

export function dayContext(at: Date, hotline: Hotline): DayContext {
  const { date, minutes, weekday } = localParts(at, hotline.timezone);
  const d = hotline.dayparts;
  // Before the morning boundary it is still "evening" (a call at 02:00 hears 晚上好).
  let daypart: Daypart = 'evening';
  if (minutes >= toMinutes(d.morning) && minutes < toMinutes(d.noon)) daypart = 'morning';
  else if (minutes >= toMinutes(d.noon) && minutes < toMinutes(d.afternoon)) daypart = 'noon';
  else if (minutes >= toMinutes(d.afternoon) && minutes < toMinutes(d.evening)) daypart = 'afternoon';
  const holiday = hotline.holidays.includes(date);
  const weekend = (weekday === 0 || weekday === 6) && !hotline.workdays.includes(date) && !holiday;
  return { daypart, holiday, weekend, date };
}

/** Prompt ids of the greeting: salutation, the festive wish if any, then the body. */
export function greetingPrompts(day: DayContext): { variant: string; prompts: string[] } {
  const prompts = [`salute.${day.daypart}`];
  if (day.holiday) prompts.push('salute.holiday');
  else if (day.weekend) prompts.push('salute.weekend');
  prompts.push('greeting.body');
  const variant = `${day.daypart}${day.holiday ? '+holiday' : day.weekend ? '+weekend' : ''}`;
  return { variant, prompts };
}

/** The N10 closing phrase for the day. */
export function closingPrompt(day: DayContext): { variant: string; prompt: string } {
  if (day.holiday) return { variant: 'holiday', prompt: 'closing.thanks-holiday' };
  if (day.weekend) return { variant: 'weekend', prompt: 'closing.thanks-weekend' };
  return { variant: 'standard', prompt: 'closing.thanks' };
}
