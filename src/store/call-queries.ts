// Read side of the call store, for the HTTP API and reports. Rows come back in camelCase with
// event data parsed, so callers never see the storage layout.
import type { Database } from './database.js';

export interface CallRow {
  id: string;
  channelId: string;
  caller: string;
  called: string;
  startedAt: number;
  answeredAt: number | null;
  answerDelayMs: number | null;
  endedAt: number | null;
  hangupCause: number | null;
  hangupBy: string | null;
  outcome: string | null;
  maxGapMs: number | null;
  maxDeadAirMs: number | null;
  /** The flow version the call ran (GET /api/flow/versions/:id). */
  flowVersion: number | null;
}

export interface EventRow {
  id: number;
  callId: string;
  ts: number;
  type: string;
  rule: string | null;
  data: unknown;
}

export interface ListCallsOptions {
  limit: number;
  /** Only calls started strictly before this time (ms epoch): the previous page's last startedAt. */
  before?: number;
}

export interface CallQueries {
  listCalls(options: ListCallsOptions): CallRow[];
  getCall(id: string): CallRow | undefined;
  listEvents(callId: string): EventRow[];
}

const CALL_COLUMNS = `
  id, channel_id AS channelId, caller, called, started_at AS startedAt, answered_at AS answeredAt,
  answer_delay_ms AS answerDelayMs, ended_at AS endedAt, hangup_cause AS hangupCause,
  hangup_by AS hangupBy, outcome, max_gap_ms AS maxGapMs, max_dead_air_ms AS maxDeadAirMs,
  flow_version AS flowVersion`;

interface StoredEvent {
  id: number;
  callId: string;
  ts: number;
  type: string;
  rule: string | null;
  data: string;
}

export function createCallQueries(db: Database): CallQueries {
  // Two statements rather than `? IS NULL OR started_at < ?`, which keeps SQLite from using the
  // started_at index for the first page.
  const latest = db.prepare(`SELECT ${CALL_COLUMNS} FROM calls ORDER BY started_at DESC, id DESC LIMIT ?`);
  const latestBefore = db.prepare(
    `SELECT ${CALL_COLUMNS} FROM calls WHERE started_at < ? ORDER BY started_at DESC, id DESC LIMIT ?`,
  );
  const byId = db.prepare(`SELECT ${CALL_COLUMNS} FROM calls WHERE id = ?`);
  const events = db.prepare(
    'SELECT id, call_id AS callId, ts, type, rule, data FROM call_events WHERE call_id = ? ORDER BY id',
  );

  return {
    listCalls({ limit, before }: ListCallsOptions): CallRow[] {
      return (before === undefined ? latest.all(limit) : latestBefore.all(before, limit)) as CallRow[];
    },

    getCall(id: string): CallRow | undefined {
      return byId.get(id) as CallRow | undefined;
    },

    listEvents(callId: string): EventRow[] {
      return (events.all(callId) as StoredEvent[]).map((row) => ({ ...row, data: JSON.parse(row.data) as unknown }));
    },
  };
}
