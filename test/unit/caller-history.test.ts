// N12: repeat callers, read from caller_calls (written synchronously, not through the recorder).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { createLogger } from '../../src/log/logger.js';
import { createCallerHistory } from '../../src/store/caller-history.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { MIGRATIONS, runMigrations } from '../../src/store/migrations.js';
import { createSqliteRecorder } from '../../src/store/sqlite-recorder.js';

let db: Database;

/** A call as the call handler and the transfer verb note it. */
function call(id: string, caller: string, startedAt: number, group?: string): void {
  const history = createCallerHistory(db);
  expect(history.noteCall({ id, caller, startedAt })).toBe(true);
  if (group !== undefined) expect(history.noteBridged(id, group)).toBe(true);
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

describe('N12 and the batching recorder', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caller-history-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("N12: a repeat caller is found while the first call's rows are still buffered in the recorder (failed write)", () => {
    const file = path.join(dir, 'calls.db');
    const store = openDatabase(file, { busyTimeoutMs: 0 });
    const locker = new BetterSqlite3(file);
    try {
      const clock = new VirtualClock(DAY);
      const logger = createLogger({ level: 'silent' });
      const recorder = createSqliteRecorder(store, { logger, clock, flushIntervalMs: 50 });
      const history = createCallerHistory(store, { logger });

      // The first call, recorded as the call handler and the transfer verb do.
      const first = { id: 'first', channelId: 'chan-first', caller: '13800138000', called: '4008008000', startedAt: DAY + 10 };
      recorder.callStarted(first);
      history.noteCall({ id: first.id, caller: first.caller, startedAt: first.startedAt });
      recorder.event('first', 'transfer.bridged', { group: 'repair', agent: 'a1', workNumber: '8001' }, DAY + 30_000);
      history.noteBridged('first', 'repair');

      // A backup holds the write lock when the recorder writes the batch: the write fails and the
      // rows stay buffered until the back-off retry.
      locker.exec('BEGIN IMMEDIATE');
      recorder.flush();
      locker.exec('COMMIT');
      expect(recorder.stats()).toMatchObject({ failures: 1, written: 0, buffered: 2 });

      // The same number calls again before the retry.
      expect(history.earlierToday('13800138000', DAY, { id: 'second', startedAt: DAY + 60_000 })).toEqual({
        calls: 1,
        lastGroup: 'repair',
      });
      recorder.close();
    } finally {
      locker.close();
      store.close();
    }
  });

  it('N12: an adopted call noted again keeps its first start; a later bridge replaces the group', () => {
    call('a', '13800138000', DAY + 10, 'billing');
    const history = createCallerHistory(db);
    expect(history.noteCall({ id: 'a', caller: '13800138000', startedAt: DAY + 200_000 })).toBe(true);
    expect(history.noteBridged('a', 'repair')).toBe(true);
    expect(history.earlierToday('13800138000', DAY, { id: 'b', startedAt: DAY + 100 })).toEqual({ calls: 1, lastGroup: 'repair' });
  });

  it('a refused write is logged and reported, never thrown', () => {
    const file = path.join(dir, 'calls.db');
    const store = openDatabase(file, { busyTimeoutMs: 0 });
    const locker = new BetterSqlite3(file);
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    try {
      const history = createCallerHistory(store, { logger });
      locker.exec('BEGIN IMMEDIATE');
      expect(history.noteCall({ id: 'a', caller: '13800138000', startedAt: DAY })).toBe(false);
      expect(history.noteBridged('a', 'repair')).toBe(false);
      locker.exec('ROLLBACK');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain('N12 may miss this call');
      expect(lines[0]).not.toContain('13800138000');
    } finally {
      locker.close();
      store.close();
    }
  });

  it('migration 6 fills caller_calls from calls recorded before it', () => {
    const old = new BetterSqlite3(':memory:');
    try {
      runMigrations(old, { migrations: MIGRATIONS.slice(0, 5) });
      const insertCall = old.prepare("INSERT INTO calls (id, channel_id, caller, called, started_at) VALUES (?, ?, ?, '4008008000', ?)");
      const insertEvent = old.prepare("INSERT INTO call_events (call_id, ts, type, rule, data) VALUES (?, ?, 'transfer.bridged', 'N6', ?)");
      insertCall.run('early', 'chan-early', '13800138000', DAY + 10);
      insertEvent.run('early', DAY + 20_000, JSON.stringify({ group: 'billing', agent: 'a1', workNumber: '8001' }));
      insertEvent.run('early', DAY + 40_000, JSON.stringify({ group: 'repair', agent: 'a2', workNumber: '8002' }));
      insertCall.run('plain', 'chan-plain', '13800138000', DAY + 100);
      expect(runMigrations(old, { migrations: MIGRATIONS.slice(0, 6), now: () => 42 })).toEqual([6]);
      expect(old.prepare('SELECT applied_at FROM schema_migrations WHERE version = 6').pluck().get()).toBe(42);
      expect(createCallerHistory(old).earlierToday('13800138000', DAY, NOW)).toEqual({ calls: 2, lastGroup: 'repair' });
    } finally {
      old.close();
    }
  });

  it('the per-call queries read indexes only: the count a covering index, the group the index of calls that reached an agent, no sort', () => {
    // The store's own statements, caught as it prepares them, so the plans are of its SQL.
    const prepared: string[] = [];
    const spy = new Proxy(db, {
      get: (target, key) =>
        key === 'prepare'
          ? (sql: string) => {
              prepared.push(sql);
              return target.prepare(sql);
            }
          : (Reflect.get(target, key) as unknown),
    });
    createCallerHistory(spy);
    const selects = prepared.filter((sql) => /^\s*SELECT/i.test(sql));
    expect(selects).toHaveLength(2);
    const plans = selects.map((sql) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('13800138000', DAY, DAY + 1, 'now') as { detail: string }[]).map((row) => row.detail),
    );
    expect(plans).toEqual([
      ['SEARCH caller_calls USING COVERING INDEX caller_calls_caller (caller=? AND started_at>? AND started_at<?)'],
      ['SEARCH caller_calls USING INDEX caller_calls_grouped (caller=? AND started_at>? AND started_at<?)'],
    ]);
  });

  it('migration 15 keeps the answers of a database filled before it', () => {
    const old = new BetterSqlite3(':memory:');
    try {
      runMigrations(old, { migrations: MIGRATIONS.slice(0, 14) });
      db = old;
      call('early', '13800138000', DAY + 10, 'billing');
      call('later', '13800138000', DAY + 100_000, '');
      call('plain', '13800138000', DAY + 200_000);
      const before = createCallerHistory(old).earlierToday('13800138000', DAY, NOW);
      expect(runMigrations(old, { migrations: MIGRATIONS.slice(0, 15) })).toEqual([15]);
      expect(createCallerHistory(old).earlierToday('13800138000', DAY, NOW)).toEqual(before);
      expect(before).toEqual({ calls: 3, lastGroup: 'billing' });
    } finally {
      old.close();
      db = openDatabase(':memory:');
    }
  });
});
