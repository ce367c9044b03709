// The SQLite recorder against a real temp file: what lands on disk, when, and what the schema
// refuses. A second connection reads, as the HTTP API does, so "written" means committed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { createLogger } from '../../src/log/logger.js';
import { createCallQueries } from '../../src/store/call-queries.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import type { CallStart } from '../../src/store/events.js';
import { MIGRATIONS, runMigrations } from '../../src/store/migrations.js';
import { createSqliteRecorder, type SqliteRecorderOptions } from '../../src/store/sqlite-recorder.js';

let dir: string;
let file: string;
let lines: string[];
const open: Database[] = [];

const track = <T extends Database>(db: T): T => {
  open.push(db);
  return db;
};
const reader = () => track(new BetterSqlite3(file, { readonly: true }));
const count = (db: Database, table: string) =>
  (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
const logged = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

const CALL: CallStart = { id: 'c1', channelId: 'chan-1', caller: '13800138000', called: '4008001234', startedAt: 1_000 };

function recorder(db: Database, options: Partial<SqliteRecorderOptions> = {}) {
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  return createSqliteRecorder(db, { logger, clock: new VirtualClock(), ...options });
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recorder-test-'));
  file = path.join(dir, 'nested', 'calls.db');
  lines = [];
});

afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('openDatabase', () => {
  it('creates the parent folder and sets WAL, NORMAL sync and foreign keys', () => {
    const db = track(openDatabase(file));
    expect(fs.existsSync(file)).toBe(true);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
  });

  it('applies migrations once: reopening keeps the schema and the rows', () => {
    const first = track(openDatabase(file));
    const rec = recorder(first);
    rec.callStarted(CALL);
    rec.event('c1', 'call.ringing', { cadenceOnMs: 1000, cadenceOffMs: 4000, answerAfterRings: 2 });
    rec.close();
    first.close();

    const again = track(openDatabase(file));
    expect(runMigrations(again)).toEqual([]);
    const versions = again.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    expect(count(again, 'calls')).toBe(1);
    expect(count(again, 'call_events')).toBe(1);
  });

  it('refuses a database whose schema is newer than this build', () => {
    track(openDatabase(file)).close();
    const raw = track(new BetterSqlite3(file));
    raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, ?, 0)').run('future');
    raw.close();
    expect(() => openDatabase(file)).toThrow(/version 99/);
  });
});

describe('call_events is append-only (N14)', () => {
  it('rejects UPDATE and DELETE', () => {
    const db = track(openDatabase(file));
    const rec = recorder(db);
    rec.event('c1', 'flow.error', { message: 'boom' });
    rec.flush();
    expect(() => db.prepare("UPDATE call_events SET type = 'x'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM call_events').run()).toThrow(/append-only/);
    expect(count(db, 'call_events')).toBe(1);
  });
});

describe('createSqliteRecorder', () => {
  it('writes calls and events with the rule id of each event type', () => {
    const db = track(openDatabase(file));
    const rec = recorder(db, { clock: new VirtualClock(5_000) });
    rec.callStarted(CALL);
    rec.event('c1', 'call.answered', { delayMs: 4200, targetMs: 5000, rings: 2, withinBudget: true }, 5_200);
    rec.callAnswered('c1', 5_200, 4_200);
    rec.event('c1', 'greeting.played', {
      variant: 'workday-morning',
      holiday: false,
      weekend: false,
      prompts: ['greeting.morning'],
      interrupted: false,
    });
    rec.event('c1', 'prompt.played', { prompts: ['menu.main'], interrupted: true });
    rec.event('c1', 'menu.choice', { step: 'main', digit: '1', target: 'billing', typeAhead: false });
    rec.event('c1', 'call.hangup', { by: 'caller', cause: 16 });
    rec.callEnded('c1', { endedAt: 60_000, hangupBy: 'caller', hangupCause: 16, outcome: 'completed', maxGapMs: 5_040, maxDeadAirMs: 120 });

    const queries = createCallQueries(reader());
    expect(queries.getCall('c1')).toEqual({
      id: 'c1',
      channelId: 'chan-1',
      caller: '13800138000',
      called: '4008001234',
      startedAt: 1_000,
      answeredAt: 5_200,
      answerDelayMs: 4_200,
      endedAt: 60_000,
      hangupCause: 16,
      hangupBy: 'caller',
      maxGapMs: 5_040,
      maxDeadAirMs: 120,
      outcome: 'completed',
      flowVersion: null,
    });
    const events = queries.listEvents('c1');
    expect(events.map((e) => [e.type, e.rule, e.ts])).toEqual([
      ['call.answered', 'N1', 5_200],
      ['greeting.played', 'N2', 5_000],
      ['prompt.played', null, 5_000],
      ['menu.choice', 'N4', 5_000],
      ['call.hangup', 'N10', 5_000],
    ]);
    expect(events[3]?.data).toEqual({ step: 'main', digit: '1', target: 'billing', typeAhead: false });
  });

  it('buffers N events and writes them in one transaction on flush()', () => {
    const db = track(openDatabase(file));
    const rec = recorder(db, { flushIntervalMs: 60_000, maxBatch: 1_000 });
    const other = reader();
    for (let i = 0; i < 150; i++) rec.event('c1', 'menu.no-input', { step: 'main', count: i, tries: 3 });

    expect(count(other, 'call_events')).toBe(0);
    expect(rec.stats()).toMatchObject({ buffered: 150, batches: 0 });

    rec.flush();
    expect(count(other, 'call_events')).toBe(150);
    expect(rec.stats()).toMatchObject({ buffered: 0, batches: 1, written: 150, failures: 0 });
    rec.close();
  });

  it('writes at once when maxBatch rows are buffered', () => {
    const db = track(openDatabase(file));
    const rec = recorder(db, { flushIntervalMs: 60_000, maxBatch: 10 });
    for (let i = 0; i < 25; i++) rec.event('c1', 'menu.no-input', { step: 'main', count: i, tries: 3 });
    expect(rec.stats()).toMatchObject({ batches: 2, written: 20, buffered: 5 });
    expect(count(reader(), 'call_events')).toBe(20);
    rec.close();
  });

  it('writes buffered rows after flushIntervalMs', async () => {
    const clock = new VirtualClock();
    const db = track(openDatabase(file));
    const rec = recorder(db, { clock, flushIntervalMs: 50 });
    rec.event('c1', 'call.adopted', { state: 'Up', resumedAt: null, reason: 'no-resume-point' });
    rec.event('c1', 'call.adopted', { state: 'Up', resumedAt: null, reason: 'no-resume-point' });
    await clock.advance(49);
    expect(rec.stats().batches).toBe(0);
    await clock.advance(1);
    expect(rec.stats()).toMatchObject({ batches: 1, written: 2 });
    rec.close();
  });

  it('retries a failed write on its back-off timer, and close() leaves no timer behind', async () => {
    const clock = new VirtualClock();
    const db = track(openDatabase(file, { busyTimeoutMs: 0 }));
    const rec = recorder(db, { clock, flushIntervalMs: 50 });
    const locker = track(new BetterSqlite3(file));
    locker.exec('BEGIN IMMEDIATE');
    rec.event('c1', 'call.adopted', { state: 'Up', resumedAt: null, reason: 'no-resume-point' });
    await clock.advance(50);
    expect(rec.stats()).toMatchObject({ failures: 1, buffered: 1, written: 0 });
    locker.exec('COMMIT');
    // Back-off: flushIntervalMs * 2 after the first failure.
    await clock.advance(99);
    expect(rec.stats().written).toBe(0);
    await clock.advance(1);
    expect(rec.stats()).toMatchObject({ buffered: 0, written: 1 });

    rec.event('c1', 'call.adopted', { state: 'Up', resumedAt: null, reason: 'no-resume-point' });
    expect(clock.pending).toBe(1);
    rec.close();
    expect(clock.pending).toBe(0);
    expect(rec.stats()).toMatchObject({ buffered: 0, written: 2 });
  });

  it('callEnded writes the whole call without waiting for the timer', () => {
    const db = track(openDatabase(file));
    const rec = recorder(db, { flushIntervalMs: 60_000 });
    const other = reader();
    rec.callStarted(CALL);
    rec.event('c1', 'goodbye.played', { variant: 'default', prompts: ['goodbye'], startedAt: 1, endedAt: 2 });
    expect(count(other, 'calls')).toBe(0);

    rec.callEnded('c1', { endedAt: 9_000, hangupBy: 'system', hangupCause: 16, outcome: 'completed', maxGapMs: 5_040, maxDeadAirMs: 120 });
    expect(count(other, 'calls')).toBe(1);
    expect(count(other, 'call_events')).toBe(1);
    expect(createCallQueries(other).getCall('c1')?.outcome).toBe('completed');
    rec.close();
  });

  it('never throws on a locked database, keeps the rows and writes them once the lock is gone', () => {
    const db = track(openDatabase(file, { busyTimeoutMs: 0 }));
    const rec = recorder(db, { flushIntervalMs: 60_000 });
    const locker = track(new BetterSqlite3(file));
    locker.exec('BEGIN IMMEDIATE');

    rec.callStarted(CALL);
    rec.event('c1', 'flow.error', { message: 'x' });
    expect(() => rec.flush()).not.toThrow();
    expect(() => rec.callEnded('c1', { endedAt: 2, hangupBy: 'unknown', hangupCause: null, outcome: 'error', maxGapMs: null, maxDeadAirMs: null })).not.toThrow();
    expect(rec.stats()).toMatchObject({ failures: 1, buffered: 3, written: 0 });
    expect(logged().some((l) => l.level === 50 && String(l.msg).includes('write failed'))).toBe(true);

    locker.exec('COMMIT');
    rec.flush();
    expect(rec.stats()).toMatchObject({ buffered: 0, written: 3 });
    expect(createCallQueries(reader()).getCall('c1')?.outcome).toBe('error');
    rec.close();
  });

  it('skips a row the schema refuses, logs it masked, and writes the rest of the batch', () => {
    const db = track(openDatabase(file));
    const rec = recorder(db, { flushIntervalMs: 60_000 });
    rec.callStarted({ ...CALL, id: 'bad', called: undefined as unknown as string });
    rec.callStarted(CALL);
    rec.flush();

    expect(rec.stats()).toMatchObject({ rejected: 1, written: 1, buffered: 0 });
    const line = logged().find((l) => String(l.msg).includes('refused'));
    expect(line?.row).toMatchObject({ id: 'bad', caller: '138******00' });
    rec.close();
  });

  it('close() is idempotent and writes rows recorded after it', () => {
    const db = track(openDatabase(file));
    const rec = recorder(db, { flushIntervalMs: 60_000 });
    rec.event('c1', 'call.adopted', { state: 'Up', resumedAt: null, reason: 'no-resume-point' });
    rec.close();
    rec.close();
    rec.event('c1', 'call.adopted', { state: 'Up', resumedAt: null, reason: 'no-resume-point' });
    expect(count(db, 'call_events')).toBe(2);
  });
});

describe('resume points (an adopted call resumes where it was)', () => {
  const stepOf = (db: Database, id: string) =>
    db.prepare('SELECT resume_step AS step, resume_facts AS facts FROM calls WHERE id = ?').get(id) as { step: string | null; facts: string | null };

  it("a call's steps within one batch cost one UPDATE: the last step and its facts are what is written", () => {
    const db = track(openDatabase(file));
    const rec = recorder(db, { flushIntervalMs: 60_000 });
    rec.callStarted(CALL);
    rec.callStep('c1', 'answer', { language: 'zh-CN', trail: [] });
    rec.callStep('c1', 'lang', { language: 'zh-CN', trail: [] });
    rec.callStep('c1', 'main', { language: 'en', trail: [] });
    expect(rec.stats().buffered).toBe(2);
    rec.flush();
    expect(rec.stats()).toMatchObject({ buffered: 0, written: 2 });
    expect(stepOf(reader(), 'c1')).toEqual({ step: 'main', facts: '{"language":"en","trail":[]}' });
    // The next batch has a row of its own.
    rec.callStep('c1', 'more', { language: 'en', trail: ['1'] });
    rec.flush();
    expect(rec.stats()).toMatchObject({ written: 3 });
    expect(stepOf(reader(), 'c1')).toEqual({ step: 'more', facts: '{"language":"en","trail":["1"]}' });
    rec.close();
  });

  it('two calls keep a point each; a step kept through a failed write is still replaced by the later one', () => {
    const db = track(openDatabase(file, { busyTimeoutMs: 0 }));
    const rec = recorder(db, { flushIntervalMs: 60_000 });
    rec.callStarted(CALL);
    rec.callStarted({ ...CALL, id: 'c2', channelId: 'chan-2' });
    const locker = track(new BetterSqlite3(file));
    locker.exec('BEGIN IMMEDIATE');
    rec.callStep('c1', 'welcome', { language: 'zh-CN', trail: [] });
    rec.callStep('c2', 'main', { language: 'zh-CN', trail: [] });
    rec.flush();
    expect(rec.stats()).toMatchObject({ failures: 1, buffered: 4 });
    rec.callStep('c1', 'main', { language: 'zh-CN', trail: [] });
    expect(rec.stats().buffered).toBe(4);
    locker.exec('COMMIT');
    rec.flush();
    const read = reader();
    expect(stepOf(read, 'c1').step).toBe('main');
    expect(stepOf(read, 'c2').step).toBe('main');
    rec.close();
  });

  it('a resume point for a call never started is logged, not written anywhere', () => {
    const db = track(openDatabase(file));
    const rec = recorder(db, { flushIntervalMs: 60_000 });
    rec.callStep('ghost', 'main', { language: 'zh-CN', trail: [] });
    rec.flush();
    expect(count(db, 'calls')).toBe(0);
    expect(logged().some((l) => String(l.msg).includes('never started'))).toBe(true);
    rec.close();
  });
});
