// N12: has this number called earlier today, and which agent group took that call? Read from
// caller_calls, which this store writes synchronously (its own statements, not the batching
// recorder) when a call starts and when a transfer bridges: the recorder may hold a call's rows
// in its buffer for seconds or longer (after a failed write), and a repeat caller must still be
// recognised then. The table survives restarts.
import type { Logger } from 'pino';
import { isIdentified } from '../calls/caller-id.js';
import type { Database } from './db-types.js';

export interface EarlierCalls {
  /** Calls from the number between the start of the day and this call's start. */
  calls: number;
  /** The group of the newest earlier call that reached an agent (its last bridged transfer). */
  lastGroup: string | null;
}

/** The call being asked about: later calls from the same number (overlapping it) do not count. */
export interface ThisCall {
  id: string;
  startedAt: number;
}

/** A call as N12 needs it, noted when it starts. */
export interface NotedCall {
  id: string;
  caller: string;
  startedAt: number;
}

export interface CallerHistory {
  /**
   * Notes a call as it starts (call the recorder's callStarted too). An adopted call noted again
   * keeps its first row. Never throws: a failed write is logged and gives false.
   */
  noteCall(call: NotedCall): boolean;
  /**
   * Notes that the call reached an agent of `group` (a bridged transfer); the last one counts.
   * Never throws: a failed write is logged and gives false.
   */
  noteBridged(callId: string, group: string): boolean;
  earlierToday(caller: string, dayStartMs: number, call: ThisCall): EarlierCalls;
}

export interface CallerHistoryOptions {
  /** Where failed writes are reported. */
  logger?: Pick<Logger, 'error'>;
}

export function createCallerHistory(db: Database, options: CallerHistoryOptions = {}): CallerHistory {
  const { logger } = options;
  const insert = db.prepare(
    `INSERT INTO caller_calls (call_id, caller, started_at) VALUES (?, ?, ?)
     ON CONFLICT (call_id) DO NOTHING`,
  );
  const setGroup = db.prepare('UPDATE caller_calls SET grp = ? WHERE call_id = ?');
  const count = db
    .prepare('SELECT COUNT(*) FROM caller_calls WHERE caller = ? AND started_at >= ? AND started_at <= ? AND call_id <> ?')
    .pluck();
  const lastGroup = db
    .prepare(
      `SELECT grp FROM caller_calls
       WHERE caller = ? AND started_at >= ? AND started_at <= ? AND call_id <> ? AND grp IS NOT NULL AND grp <> ''
       ORDER BY started_at DESC, call_id DESC
       LIMIT 1`,
    )
    .pluck();

  function attempt(what: string, context: Record<string, unknown>, write: () => void): boolean {
    try {
      write();
      return true;
    } catch (err) {
      logger?.error({ err, ...context }, `caller history: ${what} not written; N12 may miss this call`);
      return false;
    }
  }

  return {
    noteCall({ id, caller, startedAt }: NotedCall): boolean {
      // A withheld number is never a repeat caller: nothing to note.
      if (!isIdentified(caller)) return true;
      return attempt('call', { callId: id, caller }, () => insert.run(id, caller, startedAt));
    },

    noteBridged(callId: string, group: string): boolean {
      return attempt('bridged group', { callId, group }, () => setGroup.run(group, callId));
    },

    earlierToday(caller: string, dayStartMs: number, call: ThisCall): EarlierCalls {
      if (!isIdentified(caller)) return { calls: 0, lastGroup: null };
      const calls = count.get(caller, dayStartMs, call.startedAt, call.id) as number;
      if (calls === 0) return { calls, lastGroup: null };
      const group = lastGroup.get(caller, dayStartMs, call.startedAt, call.id);
      return { calls, lastGroup: typeof group === 'string' && group.length > 0 ? group : null };
    },
  };
}
