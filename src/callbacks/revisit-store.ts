// N16: the SQL of revisits. A complaint is a ticket of the flow's revisit group (the group its
// create-ticket step names); the daily job asks which of them were resolved since its last run,
// and schedules each one's revisit callback once: the revisits table's primary key (the ticket)
// is the "never twice", checked and written in the same immediate transaction as the callback.
// A complaint that cannot be revisited is written there too, with why, so it is decided once.
// Each run is logged (revisit_runs), so "since the last run" survives a restart.
import type { Database } from '../store/database.js';
import type { CallbackRow, CallbackStore, NewCallback } from './callback-store.js';

/** A resolved complaint that has had no revisit. */
export interface ResolvedComplaint {
  ticket: string;
  /** The call that created the ticket (the revisit's events are logged on it). */
  callId: string | null;
  caller: string | null;
  group: string;
  /** When it was last marked resolved inside the window. */
  resolvedAt: number;
}

export interface RevisitRun {
  ranAt: number;
  /** The run looked at resolutions from here to ranAt. */
  since: number;
  scheduled: number;
  skipped: number;
}

export interface RevisitStore {
  /** When the last run ran; null before the first. */
  lastRun(): number | null;
  /**
   * Tickets of `group` marked resolved in [since, until) that are still resolved (or closed)
   * and were never decided on (revisited or skipped), oldest resolution first, at most `limit`.
   */
  resolvedComplaints(group: string, since: number, until: number, limit: number): ResolvedComplaint[];
  /**
   * Stores the ticket's revisit callback, unless the ticket has had one: undefined then. The
   * callback is a request like any other (it merges into an open callback of the number).
   */
  schedule(ticket: string, resolvedAt: number, callback: NewCallback): CallbackRow | undefined;
  /** Records that the ticket gets no revisit, and why; false when it was decided on already. */
  skip(ticket: string, resolvedAt: number, why: string, now: number): boolean;
  /** Whether the ticket has had a revisit scheduled. */
  hasRevisit(ticket: string): boolean;
  noteRun(run: RevisitRun): void;
}

export function createRevisitStore(db: Database, callbacks: CallbackStore): RevisitStore {
  const lastRun = db.prepare('SELECT MAX(ran_at) FROM revisit_runs').pluck();
  const resolved = db.prepare(
    `SELECT t.number AS ticket, t.call_id AS callId, t.caller, t.grp AS "group", MAX(h.at) AS resolvedAt
     FROM ticket_history h JOIN tickets t ON t.number = h.number
     WHERE h.status = 'resolved' AND h.at >= ? AND h.at < ? AND t.grp = ? AND t.status IN ('resolved', 'closed')
       AND NOT EXISTS (SELECT 1 FROM revisits r WHERE r.ticket = t.number)
     GROUP BY t.number ORDER BY resolvedAt, t.number LIMIT ?`,
  );
  const exists = db.prepare('SELECT 1 FROM revisits WHERE ticket = ?').pluck();
  const insert = db.prepare('INSERT INTO revisits (ticket, callback_id, resolved_at, scheduled_at) VALUES (?, ?, ?, ?)');
  const insertSkipped = db.prepare(
    'INSERT INTO revisits (ticket, skipped, resolved_at, scheduled_at) VALUES (?, ?, ?, ?) ON CONFLICT (ticket) DO NOTHING',
  );
  const run = db.prepare('INSERT INTO revisit_runs (ran_at, since, scheduled, skipped) VALUES (?, ?, ?, ?)');

  const schedule = db.transaction((ticket: string, resolvedAt: number, callback: NewCallback): CallbackRow | undefined => {
    if (exists.get(ticket) !== undefined) return undefined;
    // Inside this transaction the callback's own transaction is a savepoint: both rows or none.
    const row = callbacks.add(callback);
    insert.run(ticket, row.id, resolvedAt, callback.now);
    return row;
  });

  return {
    lastRun: () => lastRun.get() as number | null,
    resolvedComplaints: (group, since, until, limit) => resolved.all(since, until, group, limit) as ResolvedComplaint[],
    skip: (ticket, resolvedAt, why, now) => insertSkipped.run(ticket, why, resolvedAt, now).changes === 1,
    schedule: (ticket, resolvedAt, callback) => schedule.immediate(ticket, resolvedAt, callback),
    hasRevisit: (ticket) => exists.get(ticket) !== undefined,
    noteRun: (r) => {
      run.run(r.ranAt, r.since, r.scheduled, r.skipped);
    },
  };
}
