// N2 / N10: which greeting and closing prompts a day calls for. The day itself (daypart, holiday,
// weekend, make-up workday, in the hotline's time zone) is the hotline calendar's: see
// src/calendar/hotline-calendar.ts.
import type { DayContext } from '../calendar/hotline-calendar.js';

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
