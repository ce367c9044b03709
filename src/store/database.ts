import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from './db-types.js';
import { runMigrations } from './migrations.js';

export type { Database } from './db-types.js';

export interface OpenDatabaseOptions {
  /**
   * How long a write waits for another connection's lock. better-sqlite3 is synchronous, so this
   * wait blocks the event loop (and every call on it): keep it short. Only this process writes in
   * normal operation, so a lock is rare (an operator's sqlite3 shell, a backup).
   */
  busyTimeoutMs?: number;
  /** The time recorded for each migration applied (epoch ms); the system clock when omitted. */
  now?: () => number;
}

/** Opens (creating if needed) the SQLite file and brings its schema up to date. */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database {
  const inMemory = file === ':memory:' || file === '';
  if (!inMemory) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });

  const db = new BetterSqlite3(file);
  try {
    // WAL lets the HTTP API read while the recorder writes; NORMAL skips the fsync per commit,
    // which WAL makes safe against corruption (a power cut can lose only the last commits).
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 2000))}`);
    runMigrations(db, { now: options.now });
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
