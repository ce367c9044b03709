// N12: has this number called earlier today, and which agent group took that call? Read from
// the call log itself, so the answer survives restarts and needs no table of its own.
import type { Database } from './database.js';

export { dayStart } from './local-day.js';

export interface EarlierCalls {
  /** Calls from the number since the start of the day, the current one excluded. */
  calls: number;
  /** The group of the newest earlier call that reached an agent (`transfer.bridged`). */
  lastGroup: string | null;
}

export interface CallerHistory {
  earlierToday(caller: string, dayStartMs: number, excludeCallId: string): EarlierCalls;
}

export function createCallerHistory(db: Database): CallerHistory {
  const count = db.prepare('SELECT COUNT(*) FROM calls WHERE caller = ? AND started_at >= ? AND id <> ?').pluck();
  const lastGroup = db
    .prepare(
      `SELECT json_extract(e.data, '$.group')
       FROM calls c JOIN call_events e ON e.call_id = c.id
       WHERE c.caller = ? AND c.started_at >= ? AND c.id <> ? AND e.type = 'transfer.bridged'
       ORDER BY e.ts DESC, e.id DESC
       LIMIT 1`,
    )
    .pluck();

  return {
    earlierToday(caller: string, dayStartMs: number, excludeCallId: string): EarlierCalls {
      // A withheld number ("anonymous", "") is shared by strangers: never a repeat caller.
      if (!/\d{3}/.test(caller)) return { calls: 0, lastGroup: null };
      const calls = count.get(caller, dayStartMs, excludeCallId) as number;
      if (calls === 0) return { calls, lastGroup: null };
      const group = lastGroup.get(caller, dayStartMs, excludeCallId);
      return { calls, lastGroup: typeof group === 'string' && group.length > 0 ? group : null };
    },
  };
}
