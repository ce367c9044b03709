// N14: the recordings of calls, one row each (migration 12): which call, which file, what was
// recorded (the whole call or the agent conversation; the caller alone or with an agent), when
// and how long, and how it ended. A deleted recording keeps its row (when, why, by whom): the
// file is gone, the fact that there was one is not.
import type { Database } from '../store/database.js';

export const RECORDING_STATUSES = ['recording', 'done', 'failed', 'deleted'] as const;
export type RecordingStatus = (typeof RECORDING_STATUSES)[number];
export type RecordingWho = 'caller' | 'caller+agent';

export interface RecordingRow {
  id: number;
  callId: string;
  /** The file's base name in Asterisk's recording directory (`<name>.<format>`). */
  name: string;
  format: string;
  mode: 'call' | 'agent';
  who: RecordingWho;
  agent: string | null;
  startedAt: number;
  endedAt: number | null;
  durationMs: number | null;
  bytes: number | null;
  status: RecordingStatus;
  /** Why a recording failed (Asterisk's cause), when it did. */
  cause: string | null;
  deletedAt: number | null;
  deleteReason: string | null;
  deletedBy: string | null;
}

export interface NewRecording {
  callId: string;
  name: string;
  format: string;
  mode: 'call' | 'agent';
  who: RecordingWho;
  agent: string | null;
  startedAt: number;
}

export interface RecordingEndRow {
  endedAt: number;
  durationMs: number | null;
  bytes: number | null;
  status: 'done' | 'failed';
  cause?: string | null;
}

export interface RecordingDeletion {
  at: number;
  /** retention, orphan (its call row is gone), operator… */
  reason: string;
  /** Who deleted it: 'retention-job', or the operator named in the API request. */
  by: string;
}

export interface RecordingStore {
  start(row: NewRecording): RecordingRow;
  /** Ends a recording still marked recording; undefined when it is not (already ended or deleted). */
  finish(id: number, end: RecordingEndRow): RecordingRow | undefined;
  /** A call recording that goes on into an agent conversation now has the agent in it too. */
  noteAgent(id: number, agent: string): void;
  get(id: number): RecordingRow | undefined;
  forCall(callId: string): RecordingRow[];
  /** The call's recordings still running, of a mode. */
  liveFor(callId: string, mode: 'call' | 'agent'): RecordingRow[];
  /** Marks a recording deleted; undefined when there is none or it was deleted already. */
  markDeleted(id: number, deletion: RecordingDeletion): RecordingRow | undefined;
  /** Ended recordings (done or failed) started before `before`, oldest first: past their retention. */
  expired(before: number, limit: number): RecordingRow[];
  /** Recordings not deleted whose call has no row, started before `before` (its row cannot still be on its way). */
  orphaned(before: number, limit: number): RecordingRow[];
  /** Recordings still marked recording that started before `before`: their controller stopped without closing them. */
  stale(before: number, limit: number): RecordingRow[];
}

const COLUMNS = `id, call_id AS callId, name, format, mode, who, agent, started_at AS startedAt, ended_at AS endedAt,
  duration_ms AS durationMs, bytes, status, cause, deleted_at AS deletedAt, delete_reason AS deleteReason,
  deleted_by AS deletedBy`;

export function createRecordingStore(db: Database): RecordingStore {
  const insert = db.prepare(
    `INSERT INTO recordings (call_id, name, format, mode, who, agent, started_at)
     VALUES (@callId, @name, @format, @mode, @who, @agent, @startedAt) RETURNING ${COLUMNS}`,
  );
  const finish = db.prepare(
    `UPDATE recordings SET ended_at = ?, duration_ms = ?, bytes = ?, status = ?, cause = ?
     WHERE id = ? AND status = 'recording' RETURNING ${COLUMNS}`,
  );
  const noteAgent = db.prepare(`UPDATE recordings SET who = 'caller+agent', agent = ? WHERE id = ? AND status = 'recording'`);
  const byId = db.prepare(`SELECT ${COLUMNS} FROM recordings WHERE id = ?`);
  const byCall = db.prepare(`SELECT ${COLUMNS} FROM recordings WHERE call_id = ? ORDER BY id`);
  const live = db.prepare(`SELECT ${COLUMNS} FROM recordings WHERE call_id = ? AND mode = ? AND status = 'recording' ORDER BY id`);
  const markDeleted = db.prepare(
    `UPDATE recordings SET status = 'deleted', deleted_at = ?, delete_reason = ?, deleted_by = ?
     WHERE id = ? AND status <> 'deleted' RETURNING ${COLUMNS}`,
  );
  const expired = db.prepare(
    `SELECT ${COLUMNS} FROM recordings WHERE status IN ('done', 'failed') AND started_at < ? ORDER BY started_at, id LIMIT ?`,
  );
  const orphaned = db.prepare(
    `SELECT ${COLUMNS} FROM recordings r
     WHERE status <> 'deleted' AND started_at < ? AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.id = r.call_id)
     ORDER BY started_at, id LIMIT ?`,
  );
  const stale = db.prepare(
    `SELECT ${COLUMNS} FROM recordings WHERE status = 'recording' AND started_at < ? ORDER BY started_at, id LIMIT ?`,
  );

  return {
    start: (row) => insert.get(row) as RecordingRow,
    finish: (id, end) =>
      finish.get(end.endedAt, end.durationMs, end.bytes, end.status, end.cause ?? null, id) as RecordingRow | undefined,
    noteAgent: (id, agent) => {
      noteAgent.run(agent, id);
    },
    get: (id) => byId.get(id) as RecordingRow | undefined,
    forCall: (callId) => byCall.all(callId) as RecordingRow[],
    liveFor: (callId, mode) => live.all(callId, mode) as RecordingRow[],
    markDeleted: (id, d) => markDeleted.get(d.at, d.reason, d.by, id) as RecordingRow | undefined,
    expired: (before, limit) => expired.all(before, limit) as RecordingRow[],
    orphaned: (before, limit) => orphaned.all(before, limit) as RecordingRow[],
    stale: (before, limit) => stale.all(before, limit) as RecordingRow[],
  };
}
