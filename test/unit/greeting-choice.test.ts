// N2 / N10: the greeting and closing variants for a day of the hotline calendar.
import { describe, expect, it } from 'vitest';
import { dayContext, type DayContext } from '../../src/calendar/hotline-calendar.js';
import { closingPrompt, greetingPrompts } from '../../src/flow/greeting-choice.js';
import { catalogueIds } from './support/fake-call.js';

import { cst, newYork, shanghai } from './support/calendars.js';

describe('greetingPrompts and closingPrompt (N2/N10)', () => {
  const day = (over: Partial<DayContext>): DayContext => ({
    daypart: 'morning',
    holiday: false,
    weekend: false,
    date: '2026-03-10',
    ...over,
  });

  it.each([
    ['morning', 'salute.morning'],
    ['noon', 'salute.noon'],
    ['afternoon', 'salute.afternoon'],
    ['evening', 'salute.evening'],
  ] as const)('N2: a %s weekday greets with %s then the body', (daypart, salute) => {
    expect(greetingPrompts(day({ daypart }))).toEqual({ variant: daypart, prompts: [salute, 'greeting.body'] });
  });

  it('N2: a weekend adds the weekend wish between the salute and the body', () => {
    expect(greetingPrompts(day({ daypart: 'evening', weekend: true }))).toEqual({
      variant: 'evening+weekend',
      prompts: ['salute.evening', 'salute.weekend', 'greeting.body'],
    });
  });

  it('N2: a holiday adds the holiday wish, never both wishes', () => {
    expect(greetingPrompts(day({ daypart: 'noon', holiday: true, weekend: true }))).toEqual({
      variant: 'noon+holiday',
      prompts: ['salute.noon', 'salute.holiday', 'greeting.body'],
    });
  });

  it('N10: the closing phrase is standard, weekend or holiday', () => {
    expect(closingPrompt(day({}))).toEqual({ variant: 'standard', prompt: 'closing.thanks' });
    expect(closingPrompt(day({ weekend: true }))).toEqual({ variant: 'weekend', prompt: 'closing.thanks-weekend' });
    expect(closingPrompt(day({ holiday: true }))).toEqual({ variant: 'holiday', prompt: 'closing.thanks-holiday' });
    expect(closingPrompt(day({ holiday: true, weekend: true }))).toEqual({
      variant: 'holiday',
      prompt: 'closing.thanks-holiday',
    });
  });

  it('N2/N10: every prompt id chosen exists in the catalogue', () => {
    const ids = catalogueIds();
    for (const daypart of ['morning', 'noon', 'afternoon', 'evening'] as const) {
      for (const extra of [{}, { weekend: true }, { holiday: true }]) {
        const d = day({ daypart, ...extra });
        for (const id of [...greetingPrompts(d).prompts, closingPrompt(d).prompt]) expect(ids.has(id), id).toBe(true);
      }
    }
  });
});

describe('the calendar\'s day, greeted and closed (N2/N10)', () => {
  it('N2: a holiday beats the weekend (Saturday 2026-05-02)', () => {
    const day = dayContext(cst('2026-05-02T14:00'), shanghai);
    expect(greetingPrompts(day)).toEqual({
      variant: 'afternoon+holiday',
      prompts: ['salute.afternoon', 'salute.holiday', 'greeting.body'],
    });
    expect(closingPrompt(day)).toEqual({ variant: 'holiday', prompt: 'closing.thanks-holiday' });
  });

  it('N2: a make-up workday on a Saturday (2026-02-28) is not a weekend', () => {
    const day = dayContext(cst('2026-02-28T09:00'), shanghai);
    expect(greetingPrompts(day)).toEqual({ variant: 'morning', prompts: ['salute.morning', 'greeting.body'] });
    expect(closingPrompt(day)).toEqual({ variant: 'standard', prompt: 'closing.thanks' });
  });

  it('N2: the same instant is a different variant in New York and Shanghai', () => {
    // Saturday 2026-07-04 02:00 UTC: Friday 22:00 in New York (a configured holiday there),
    // Saturday 10:00 in Shanghai (a weekend).
    const at = new Date('2026-07-04T02:00:00Z');
    const ny = dayContext(at, newYork);
    const sh = dayContext(at, shanghai);
    expect(greetingPrompts(ny).variant).toBe('evening+holiday');
    expect(greetingPrompts(sh).variant).toBe('morning+weekend');
    expect(closingPrompt(sh)).toEqual({ variant: 'weekend', prompt: 'closing.thanks-weekend' });
  });
});
