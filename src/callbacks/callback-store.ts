// N8: callbacks are persisted before anything dials them, so a restart loses none. This module
// only stores and reads; the number is checked (number-policy) before add() is called.
import type { Database } from '../store/database.js';
import { DEFAULT_PROMISE_MINUTES, promisedBy, type CallbackReason } from './deadlines.js';

export interface CallbackRow {
  id: number;
  /** The call that asked for it; null for one created outside a call. */
  callId: string | null;
  number: string;
  reason: CallbackReason;
  /** N8 promised deadline, ms epoch. */
  promisedBy: number;
  status: string;
  attempts: number;
  createdAt: number;
}

export interface NewCallback {
  callId: string | null;
  number: string;
  reason: CallbackReason;
  now: number;
}

export interface ListCallbacksOptions {
  status?: string;
  /** Default 500. */
  limit?: number;
}

export interface CallbackStore {
  add(callback: NewCallback): CallbackRow;
  /** Most urgent first (earliest promised deadline). */
  list(options?: ListCallbacksOptions): CallbackRow[];
  forCall(callId: string): CallbackRow[];
}

export interface CallbackStoreOptions {
  /** Per-reason promise in minutes, when the flow file overrides N8's defaults. */
  promiseMinutes?: Readonly<Record<CallbackReason, number>>;
}

const COLUMNS = `id, call_id AS callId, number, reason, promised_by AS promisedBy, status, attempts,
  created_at AS createdAt`;

export function createCallbackStore(db: Database, options: CallbackStoreOptions = {}): CallbackStore {
  const minutes = options.promiseMinutes ?? DEFAULT_PROMISE_MINUTES;
  const insert = db.prepare(
    `INSERT INTO callbacks (call_id, number, reason, promised_by, created_at) VALUES (?, ?, ?, ?, ?)
     RETURNING ${COLUMNS}`,
  );
  const all = db.prepare(`SELECT ${COLUMNS} FROM callbacks ORDER BY promised_by, id LIMIT ?`);
  const byStatus = db.prepare(`SELECT ${COLUMNS} FROM callbacks WHERE status = ? ORDER BY promised_by, id LIMIT ?`);
  const byCall = db.prepare(`SELECT ${COLUMNS} FROM callbacks WHERE call_id = ? ORDER BY id`);

  return {
    add({ callId, number, reason, now }: NewCallback): CallbackRow {
      return insert.get(callId, number, reason, promisedBy(reason, now, minutes), now) as CallbackRow;
    },

    list({ status, limit = 500 }: ListCallbacksOptions = {}): CallbackRow[] {
      return (status === undefined ? all.all(limit) : byStatus.all(status, limit)) as CallbackRow[];
    },

    forCall(callId: string): CallbackRow[] {
      return byCall.all(callId) as CallbackRow[];
    },
  };
}
