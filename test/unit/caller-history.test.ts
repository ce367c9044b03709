// N12: repeat callers, read from the call log.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCallerHistory, dayStart } from '../../src/store/caller-history.js';
import { openDatabase, type Database } from '../../src/store/database.js';

let db: Database;

function call(id: string, caller: string, startedAt: number, group?: string): void {
  db.prepare("INSERT INTO calls (id, channel_id, caller, called, started_at) VALUES (?, ?, ?, '4008008000', ?)").run(
    id,
    `chan-${id}`,
    caller,
    startedAt,
  );
  if (group !== undefined) {
    db.prepare("INSERT INTO call_events (call_id, ts, type, rule, data) VALUES (?, ?, 'transfer.bridged', 'N6', ?)").run(
      id,
      startedAt + 30_000,
      JSON.stringify({ group, agent: 'a1' }),
    );
  }
}

beforeEach(() => {
  db = openDatabase(':memory:');
});
afterEach(() => {
  db.close();
});

const DAY = 1_000_000;
/** The call asking: it started after every call of the fixtures today. */
const NOW = { id: 'now', startedAt: DAY + 300_000 };

describe('earlierToday', () => {
  it('N12: counts the number\'s calls since the day started, not the current one', () => {
    call('yesterday', '13800138000', DAY - 1);
    call('morning', '13800138000', DAY + 10);
    call('other', '13900139000', DAY + 20);
    call('now', '13800138000', DAY + 30);
    expect(createCallerHistory(db).earlierToday('13800138000', DAY, NOW)).toEqual({ calls: 1, lastGroup: null });
    expect(createCallerHistory(db).earlierToday('13700137000', DAY, { id: 'x', startedAt: NOW.startedAt })).toEqual({ calls: 0, lastGroup: null });
  });

  it('N12: gives the group of the newest earlier call that reached an agent', () => {
    call('early', '13800138000', DAY + 10, 'billing');
    call('later', '13800138000', DAY + 100_000, 'repair');
    call('no-agent', '13800138000', DAY + 200_000);
    call('before-today', '13800138000', DAY - 100_000, 'sales');
    expect(createCallerHistory(db).earlierToday('13800138000', DAY, NOW)).toEqual({ calls: 3, lastGroup: 'repair' });
    // Asked for 'later': only what started before it counts, not the call that came after.
    expect(createCallerHistory(db).earlierToday('13800138000', DAY, { id: 'later', startedAt: DAY + 100_000 })).toEqual({
      calls: 1,
      lastGroup: 'billing',
    });
  });

  it('never recognises a withheld number', () => {
    call('a', 'anonymous', DAY + 10, 'repair');
    call('b', '', DAY + 20);
    const history = createCallerHistory(db);
    expect(history.earlierToday('anonymous', DAY, NOW)).toEqual({ calls: 0, lastGroup: null });
    expect(history.earlierToday('', DAY, NOW)).toEqual({ calls: 0, lastGroup: null });
  });
});

describe('dayStart', () => {
  it('is local midnight in the time zone, not the server\'s', () => {
    // 2026-05-01 07:30 in Shanghai is 2026-04-30 23:30 UTC.
    expect(dayStart(new Date(Date.UTC(2026, 3, 30, 23, 30)), 'Asia/Shanghai')).toBe(Date.UTC(2026, 3, 30, 16, 0));
    expect(dayStart(new Date(Date.UTC(2026, 3, 30, 23, 30)), 'UTC')).toBe(Date.UTC(2026, 3, 30, 0, 0));
  });

  it('is the instant itself at midnight', () => {
    const midnight = Date.UTC(2026, 3, 30, 16, 0);
    expect(dayStart(new Date(midnight), 'Asia/Shanghai')).toBe(midnight);
    expect(dayStart(new Date(midnight - 1), 'Asia/Shanghai')).toBe(midnight - 86_400_000);
  });

  it('handles DST days (New York, 2026-03-08 springs forward at 02:00)', () => {
    expect(dayStart(new Date(Date.UTC(2026, 2, 8, 20, 0)), 'America/New_York')).toBe(Date.UTC(2026, 2, 8, 5, 0));
    expect(dayStart(new Date(Date.UTC(2026, 2, 9, 20, 0)), 'America/New_York')).toBe(Date.UTC(2026, 2, 9, 4, 0));
  });

  it('finds the first instant of a day whose midnight does not exist (Havana springs forward at 00:00)', () => {
    // Cuba: 2026-03-08 00:00 CST (UTC-5) jumps to 01:00 CDT (UTC-4), so the day starts at 05:00 UTC.
    expect(dayStart(new Date(Date.UTC(2026, 2, 8, 18, 0)), 'America/Havana')).toBe(Date.UTC(2026, 2, 8, 5, 0));
  });
});
