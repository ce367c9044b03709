// N12: has this number called earlier today, and which agent group took that call? Read from
// the call log itself, so the answer survives restarts and needs no table of its own.
import { isIdentified } from '../calls/caller-id.js';
import type { Database } from './database.js';

export { dayStart } from './local-day.js';

export interface EarlierCalls {
  /** Calls from the number between the start of the day and this call's start. */
  calls: number;
  /** The group of the newest earlier call that reached an agent (`transfer.bridged`). */
  lastGroup: string | null;
}

/** The call being asked about: later calls from the same number (overlapping it) do not count. */
export interface ThisCall {
  id: string;
  startedAt: number;
}

export interface CallerHistory {
  earlierToday(caller: string, dayStartMs: number, call: ThisCall): EarlierCalls;
}

export function createCallerHistory(db: Database): CallerHistory {
  const count = db
    .prepare('SELECT COUNT(*) FROM calls WHERE caller = ? AND started_at >= ? AND started_at <= ? AND id <> ?')
    .pluck();
  const lastGroup = db
    .prepare(
      `SELECT json_extract(e.data, '$.group')
       FROM calls c JOIN call_events e ON e.call_id = c.id
       WHERE c.caller = ? AND c.started_at >= ? AND c.started_at <= ? AND c.id <> ? AND e.type = 'transfer.bridged'
       ORDER BY e.ts DESC, e.id DESC
       LIMIT 1`,
    )
    .pluck();

  return {
    earlierToday(caller: string, dayStartMs: number, call: ThisCall): EarlierCalls {
      if (!isIdentified(caller)) return { calls: 0, lastGroup: null };
      const calls = count.get(caller, dayStartMs, call.startedAt, call.id) as number;
      if (calls === 0) return { calls, lastGroup: null };
      const group = lastGroup.get(caller, dayStartMs, call.startedAt, call.id);
      return { calls, lastGroup: typeof group === 'string' && group.length > 0 ? group : null };
    },
  };
}
