// The controller's bench database, read after a run: did every call get its row and its
// `call.hangup` (issue 12: "loses no event"), and who was shed. Read-only, while the controller
// may still be running (WAL lets a reader in beside the writer).
import Database from 'better-sqlite3';
import type { StoreFigures } from './results.js';

/** The figures of the calls that began at `since` (epoch ms) or later: the run's, not its warm-up's. */
export function readStore(file: string, attempted: number, since: number): StoreFigures {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.exec(`CREATE TEMP VIEW run_calls AS SELECT * FROM calls WHERE started_at >= ${Math.floor(since)};
             CREATE TEMP VIEW run_events AS SELECT e.* FROM call_events e JOIN run_calls c ON c.id = e.call_id;`);
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    const calls = count('SELECT COUNT(*) AS n FROM run_calls');
    const shed: Record<string, number> = {};
    const routes = db
      .prepare("SELECT json_extract(data, '$.route') AS route, COUNT(*) AS n FROM run_events WHERE type = 'call.shed' GROUP BY route")
      .all() as { route: string | null; n: number }[];
    for (const { route, n } of routes) shed[route ?? 'unknown'] = n;
    return {
      calls,
      events: count('SELECT COUNT(*) AS n FROM run_events'),
      missingRows: Math.max(0, attempted - calls),
      // A caller handed back to the dialplan (shed) ends in Asterisk, with no call.hangup here.
      missingHangups: count(`
        SELECT COUNT(*) AS n FROM run_calls c
        WHERE NOT EXISTS (SELECT 1 FROM run_events e WHERE e.call_id = c.id AND e.type = 'call.hangup')
          AND NOT EXISTS (SELECT 1 FROM run_events e WHERE e.call_id = c.id AND e.type = 'call.shed'
                          AND json_extract(e.data, '$.route') = 'dialplan')`),
      unfinished: count('SELECT COUNT(*) AS n FROM run_calls WHERE ended_at IS NULL'),
      shed,
    };
  } finally {
    db.close();
  }
}
