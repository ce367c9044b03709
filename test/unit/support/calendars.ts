// Hotline calendars the N2/N10 tests share.
// 2026: 03-07 Sat, 03-08 Sun, 03-10 Tue, 05-01 Fri (holiday), 05-02 Sat (holiday),
// 02-28 Sat and 01-04 Sun (make-up workdays), 07-04 Sat.
import { Hotline } from '../../../src/flow/schema.js';

export const shanghai = Hotline.parse({
  name: 'Test line',
  number: '100',
  timezone: 'Asia/Shanghai',
  holidays: ['2026-05-01', '2026-05-02', '2026-10-01'],
  workdays: ['2026-01-04', '2026-02-28'],
});

export const newYork = Hotline.parse({
  name: 'Test line',
  number: '100',
  timezone: 'America/New_York',
  holidays: ['2026-07-03'],
  workdays: [],
});

/** An instant given as Shanghai wall-clock time (UTC+8, no DST). */
export const cst = (local: string) => new Date(`${local}:00+08:00`);
