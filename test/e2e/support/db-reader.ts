// Reads a controller's SQLite file directly, read-only (WAL: the writing controller is not
// disturbed), for what the HTTP API does not show: the events of a callback requested through
// the API (logged under `callback-<id>`, a call id with no call row), a claim's timestamps, or
// a database whose controller was killed.
import Database from 'better-sqlite3';

export interface DbEvent {
  id: number;
  ts: number;
  type: string;
  data: Record<string, unknown>;
}

export interface DbReader {
  events(callId: string): DbEvent[];
  /** A single number from a query (0 when it returns nothing). */
  count(sql: string, ...args: unknown[]): number;
  /** The first row of a query, if any. */
  row<T>(sql: string, ...args: unknown[]): T | undefined;
  callback(id: number): { status: string; attempts: number; claimedAt: number | null; outcome: string | null; promisedBy: number } | undefined;
  close(): void;
}

export function readDb(file: string): DbReader {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const events = db.prepare('SELECT id, ts, type, data FROM call_events WHERE call_id = ? ORDER BY id');
  const callback = db.prepare('SELECT status, attempts, claimed_at AS claimedAt, outcome, promised_by AS promisedBy FROM callbacks WHERE id = ?');
  return {
    events: (callId) =>
      (events.all(callId) as Array<Omit<DbEvent, 'data'> & { data: string }>).map((e) => ({ ...e, data: JSON.parse(e.data) as Record<string, unknown> })),
    count: (sql, ...args) => (db.prepare(sql).pluck().get(...args) as number | null) ?? 0,
    row: <T>(sql: string, ...args: unknown[]) => db.prepare(sql).get(...args) as T | undefined,
    callback: (id) => callback.get(id) as ReturnType<DbReader['callback']>,
    close: () => db.close(),
  };
}

/** Polls `probe` every 100 ms until it returns something other than undefined or false. */
export async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  for (const end = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 100))) {
    const hit = await probe();
    if (hit !== undefined && hit !== false) return hit;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
  }
}
