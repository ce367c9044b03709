// N8: callbacks are persisted before anything dials them, so a restart loses none. This module
// is the only SQL for them: requests (one open callback per number and group; a new request
// merges into it), and the scheduler's moves, each one statement or one immediate transaction:
// claim due rows (a stale claim is retaken), start an attempt (counted once), finish it (done,
// retry later, or expired at its deadline). The number is checked (number-policy) before add().
import type { Language } from '../prompts/language.js';
import type { Database } from '../store/database.js';
import { DEFAULT_PROMISE_MINUTES, promisedBy, type CallbackReason } from './deadlines.js';

export type CallbackStatus = 'pending' | 'dialling' | 'done' | 'expired' | 'cancelled' | 'merged';

export interface CallbackRow {
  id: number;
  /** The call that asked for it; null for one created outside a call. */
  callId: string | null;
  number: string;
  reason: CallbackReason;
  /** The agent group that calls back (null: the flow's callback group). */
  group: string | null;
  /** N8 promised deadline, ms epoch. */
  promisedBy: number;
  status: CallbackStatus;
  attempts: number;
  createdAt: number;
  /** When the next attempt is due, ms epoch. */
  nextAttemptAt: number | null;
  lastAttemptAt: number | null;
  /** What the last attempt came to (answered, no-answer, busy, unreachable, failed, no-agent…). */
  outcome: string | null;
  claimToken: string | null;
  /** N18: the language of the call that asked for it; null: the flow's. */
  language: Language | null;
  /** N13/N16: the ticket it is about (a revisit's), for the agent's whisper and the survey. */
  ticket: string | null;
}

export interface NewCallback {
  callId: string | null;
  number: string;
  reason: CallbackReason;
  now: number;
  group?: string | null;
  /** The place in line (request time) when it is earlier than now: a dropped call keeps its own (N9). */
  placeAt?: number;
  /** N18: the caller's language, for the callback's greeting. */
  language?: Language | null;
  /**
   * N16: when the callback falls due, when that is later than now (a revisit set for a day after
   * the resolution). Its place in line and its promise count from then.
   */
  dueAt?: number;
  /** The ticket it is about (a revisit's). */
  ticket?: string | null;
}

export interface ListCallbacksOptions {
  status?: string;
  /** Default 500. */
  limit?: number;
}

export interface ClaimOptions {
  group: string | null;
  /** Callbacks not to claim: their callers are on the line, waiting in the queue in their place (N8). */
  exclude?: readonly number[];
  now: number;
  /** How many rows at most: never more than the group has free agents. */
  limit: number;
  token: string;
  /** A 'dialling' row claimed longer ago than this was left by a controller that died: retaken. */
  staleMs: number;
}

export interface CallbackStore {
  /** Stores a request, or merges it into the open one for the same number and group (earliest deadline wins). */
  add(callback: NewCallback): CallbackRow;
  /** Most urgent first (earliest promised deadline). */
  list(options?: ListCallbacksOptions): CallbackRow[];
  /**
   * N8: the number's callback waiting for `group` (pending, not being dialled): a row without a
   * group counts for `defaultGroup` (the flow's callback group). Undefined when there is none.
   */
  pendingFor(number: string, group: string, defaultGroup?: string | null): CallbackRow | undefined;
  forCall(callId: string): CallbackRow[];
  get(id: number): CallbackRow | undefined;
  /** Groups with callbacks due now (pending and due, or claimed and stale). */
  dueGroups(now: number, staleMs: number): Array<string | null>;
  /** Claims due rows of a group, oldest request first, in one immediate transaction. */
  claimDue(options: ClaimOptions): CallbackRow[];
  /** The claim is still being worked (agents take a while to ring, callees to answer): not stale. Renews a claim still held under `token`; false once it is not (finished, cancelled, retaken). */
  refreshClaim(id: number, token: string, now: number): boolean;
  /** The dial starts: the attempt is counted now (once), under the claim. False when the claim was lost. */
  startAttempt(id: number, token: string, now: number): boolean;
  /** The attempt ended: done, or back to pending at `retryAt`, or expired. Under the claim. */
  finishAttempt(id: number, token: string, outcome: string, next: { status: 'done' | 'pending' | 'expired'; retryAt?: number }): boolean;
  /** Gives a claimed row back untouched (no agent after all): no attempt counted. */
  unclaim(id: number, token: string): void;
  /** Pending rows past their deadline become expired; returns them. */
  expireOverdue(now: number): CallbackRow[];
  /** Cancels an open callback (an operator, or the caller reached an agent first); undefined when not open. */
  cancel(id: number, reason: string): CallbackRow | undefined;
  /** Cancels the open callbacks of a number (it reached an agent before its callback: N8). */
  cancelOpenFor(number: string, reason: string): CallbackRow[];
  /** Moves a pending callback's next attempt; undefined when it is not pending. */
  reschedule(id: number, dueAt: number): CallbackRow | undefined;
  /**
   * N8: the callee answered and asked for another time: the callback is open again, due at
   * `dueAt`, promised by its reason's promise counted from then, with a fresh ladder of attempts
   * (the callee chose the hour). Undefined when the callback is not an answered one (cancelled
   * meanwhile), or the number has another open callback for the group (that one calls back).
   */
  reopen(id: number, dueAt: number): CallbackRow | undefined;
  /** What an answered callback came to (the callee declined: 'declined'); no-op unless done. */
  noteOutcome(id: number, outcome: string): void;
  /**
   * N8/N15: outside callback hours, the pending callbacks due by `now` move to `until` (the next
   * opening) and their promised deadline moves by as much: the promise counts callback hours
   * (a caller told at 22:00 "we call back within 30 minutes" is called by 08:30). Returns them.
   */
  deferDue(now: number, until: number): CallbackRow[];
}

export interface CallbackStoreOptions {
  /** Per-reason promise in minutes, when the flow file overrides N8's defaults (read at each request: a reload applies to the next one). */
  promiseMinutes?: () => Readonly<Record<CallbackReason, number>>;
}

const COLUMNS = `id, call_id AS callId, number, reason, grp AS "group", promised_by AS promisedBy, status, attempts,
  created_at AS createdAt, next_attempt_at AS nextAttemptAt, last_attempt_at AS lastAttemptAt, outcome,
  claim_token AS claimToken, language, ticket`;

const SAME_GROUP = `IFNULL(grp, '') = IFNULL(?, '')`;

export function createCallbackStore(db: Database, options: CallbackStoreOptions = {}): CallbackStore {
  const minutes = () => options.promiseMinutes?.() ?? DEFAULT_PROMISE_MINUTES;
  const insert = db.prepare(
    `INSERT INTO callbacks (call_id, number, reason, grp, promised_by, created_at, next_attempt_at, language, ticket)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
  );
  const openFor = db.prepare(
    `SELECT ${COLUMNS} FROM callbacks WHERE number = ? AND ${SAME_GROUP} AND status IN ('pending', 'dialling')`,
  );
  // A second request keeps the first one's place (created_at; a revisit set for later takes the
  // new request's, which is earlier) and the earlier deadline; the reason of the more urgent
  // promise wins. The next attempt comes no later than the new request is due (now, for all but
  // a revisit). A ticket named once stays.
  const merge = db.prepare(
    `UPDATE callbacks SET
       reason = CASE WHEN ? < promised_by THEN ? ELSE reason END,
       promised_by = MIN(promised_by, ?),
       language = IFNULL(?, language),
       ticket = IFNULL(ticket, ?),
       created_at = MIN(created_at, ?),
       next_attempt_at = CASE WHEN status = 'pending' THEN MIN(IFNULL(next_attempt_at, ?), ?) ELSE next_attempt_at END
     WHERE id = ? RETURNING ${COLUMNS}`,
  );
  const all = db.prepare(`SELECT ${COLUMNS} FROM callbacks ORDER BY promised_by, id LIMIT ?`);
  const byStatus = db.prepare(`SELECT ${COLUMNS} FROM callbacks WHERE status = ? ORDER BY promised_by, id LIMIT ?`);
  const byCall = db.prepare(`SELECT ${COLUMNS} FROM callbacks WHERE call_id = ? ORDER BY id`);
  const byId = db.prepare(`SELECT ${COLUMNS} FROM callbacks WHERE id = ?`);
  const due = `(status = 'pending' AND next_attempt_at <= ?) OR (status = 'dialling' AND claimed_at < ?)`;
  const dueGroups = db.prepare(`SELECT DISTINCT grp FROM callbacks WHERE ${due}`).pluck();
  const claim = db.prepare(
    `UPDATE callbacks SET status = 'dialling', claim_token = ?, claimed_at = ?
     WHERE id IN (SELECT id FROM callbacks WHERE (${due}) AND ${SAME_GROUP} AND id NOT IN (SELECT value FROM json_each(?))
                  ORDER BY created_at, id LIMIT ?)
     RETURNING ${COLUMNS}`,
  );
  const pending = db.prepare(
    `SELECT ${COLUMNS} FROM callbacks WHERE number = ? AND status = 'pending' AND (grp = ? OR (grp IS NULL AND ? = ?))
     ORDER BY created_at, id LIMIT 1`,
  );
  const refresh = db.prepare(`UPDATE callbacks SET claimed_at = ? WHERE id = ? AND claim_token = ? AND status = 'dialling'`);
  const start = db.prepare(
    `UPDATE callbacks SET attempts = attempts + 1, last_attempt_at = ? WHERE id = ? AND claim_token = ? AND status = 'dialling'`,
  );
  const finish = db.prepare(
    `UPDATE callbacks SET status = ?, outcome = ?, next_attempt_at = ?, claim_token = NULL, claimed_at = NULL
     WHERE id = ? AND claim_token = ? AND status = 'dialling'`,
  );
  const unclaim = db.prepare(
    `UPDATE callbacks SET status = 'pending', claim_token = NULL, claimed_at = NULL WHERE id = ? AND claim_token = ? AND status = 'dialling'`,
  );
  const expire = db.prepare(
    `UPDATE callbacks SET status = 'expired', outcome = IFNULL(outcome, 'not-reached')
     WHERE status = 'pending' AND promised_by < ? RETURNING ${COLUMNS}`,
  );

  // A callback being dialled is cancelled too: its claim is dropped, so the attempt under way
  // cannot finish it (finishAttempt needs the claim) and the callee's flow still runs.
  const cancelOne = db.prepare(
    `UPDATE callbacks SET status = 'cancelled', outcome = ?, claim_token = NULL, claimed_at = NULL
     WHERE id = ? AND status IN ('pending', 'dialling') RETURNING ${COLUMNS}`,
  );
  const cancelFor = db.prepare(
    `UPDATE callbacks SET status = 'cancelled', outcome = ?, claim_token = NULL, claimed_at = NULL
     WHERE number = ? AND status = 'pending' RETURNING ${COLUMNS}`,
  );
  const reschedule = db.prepare(
    `UPDATE callbacks SET next_attempt_at = ? WHERE id = ? AND status = 'pending' RETURNING ${COLUMNS}`,
  );
  const reopenOne = db.prepare(
    `UPDATE callbacks SET status = 'pending', next_attempt_at = ?, promised_by = ?, attempts = 0, outcome = 'rescheduled',
       claim_token = NULL, claimed_at = NULL
     WHERE id = ? AND status = 'done' RETURNING ${COLUMNS}`,
  );
  const outcomeOf = db.prepare(`UPDATE callbacks SET outcome = ? WHERE id = ? AND status = 'done'`);
  const defer = db.prepare(
    `UPDATE callbacks SET next_attempt_at = ?, promised_by = promised_by + (? - ?)
     WHERE status = 'pending' AND next_attempt_at <= ? AND promised_by >= ? RETURNING ${COLUMNS}`,
  );

  const add = db.transaction((c: NewCallback): CallbackRow => {
    const group = c.group ?? null;
    const due = Math.max(c.dueAt ?? c.now, c.now);
    const deadline = promisedBy(c.reason, due, minutes());
    const ticket = c.ticket ?? null;
    const open = openFor.get(c.number, group) as CallbackRow | undefined;
    // The latest request's language wins: it is how the caller last spoke to the hotline.
    if (open) return merge.get(deadline, c.reason, deadline, c.language ?? null, ticket, due, due, due, open.id) as CallbackRow;
    const place = due > c.now ? due : Math.min(c.placeAt ?? c.now, c.now);
    return insert.get(c.callId, c.number, c.reason, group, deadline, place, due, c.language ?? null, ticket) as CallbackRow;
  });
  const reopen = db.transaction((id: number, dueAt: number): CallbackRow | undefined => {
    const row = byId.get(id) as CallbackRow | undefined;
    if (!row || row.status !== 'done') return undefined;
    // One open callback per number and group (the unique index): another one already calls back.
    if (openFor.get(row.number, row.group) !== undefined) return undefined;
    return reopenOne.get(dueAt, promisedBy(row.reason, dueAt, minutes()), id) as CallbackRow | undefined;
  });
  const claimDue = db.transaction(
    (o: ClaimOptions): CallbackRow[] =>
      (o.limit <= 0 ? [] : claim.all(o.token, o.now, o.now, o.now - o.staleMs, o.group, JSON.stringify(o.exclude ?? []), o.limit)) as CallbackRow[],
  );

  return {
    add: (c) => add.immediate(c),
    list({ status, limit = 500 }: ListCallbacksOptions = {}): CallbackRow[] {
      return (status === undefined ? all.all(limit) : byStatus.all(status, limit)) as CallbackRow[];
    },
    forCall: (callId) => byCall.all(callId) as CallbackRow[],
    pendingFor: (number, group, defaultGroup = null) => pending.get(number, group, defaultGroup, group) as CallbackRow | undefined,
    get: (id) => byId.get(id) as CallbackRow | undefined,
    dueGroups: (now, staleMs) => dueGroups.all(now, now - staleMs) as Array<string | null>,
    claimDue: (o) => claimDue.immediate(o),
    refreshClaim: (id, token, now) => refresh.run(now, id, token).changes === 1,
    startAttempt: (id, token, now) => start.run(now, id, token).changes === 1,
    finishAttempt: (id, token, outcome, next) =>
      finish.run(next.status, outcome, next.retryAt ?? null, id, token).changes === 1,
    unclaim: (id, token) => {
      unclaim.run(id, token);
    },
    expireOverdue: (now) => expire.all(now) as CallbackRow[],
    cancel: (id, reason) => cancelOne.get(reason, id) as CallbackRow | undefined,
    cancelOpenFor: (number, reason) => cancelFor.all(reason, number) as CallbackRow[],
    reschedule: (id, dueAt) => reschedule.get(dueAt, id) as CallbackRow | undefined,
    reopen: (id, dueAt) => reopen.immediate(id, dueAt),
    noteOutcome: (id, outcome) => {
      outcomeOf.run(outcome, id);
    },
    deferDue: (now, until) => defer.all(until, until, now, now, now) as CallbackRow[],
  };
}
