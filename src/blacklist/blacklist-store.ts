// N11: the blacklist in SQLite, the only SQL for it. Entries are never deleted: a removal marks
// the row (who, why, when) and every add, removal and flood block is also written to
// blacklist_audit, which is append-only like the call events. Matching reads the entries in
// force at every call start from the database (another controller sharing the file, or an
// operator's API request, is seen at once) and keeps each pattern compiled by entry id: an
// entry's value never changes, so a pattern is parsed once, not per call.
// The flood rule counts a number's calls in caller_calls (migration 6), which the caller history
// writes synchronously when each call starts, so calls taken by any controller sharing the
// database count, and a call still in the recorder's buffer counts too.
import { numberPatternProblem, parseNumberPattern, type NumberPattern } from '../callbacks/number-pattern.js';
import type { Database } from '../store/db-types.js';
import { findMatch, isActive, isWithheld, type BlacklistKind, type CompiledEntry } from './blacklist-match.js';

export type { BlacklistKind } from './blacklist-match.js';

export interface BlacklistEntry {
  id: number;
  kind: BlacklistKind;
  /** exact: the number as the caller ID shows it; pattern: the pattern's text; anonymous: ''. */
  value: string;
  reason: string;
  /** Who added it: an operator's name, or 'flood-rule'. */
  addedBy: string;
  createdAt: number;
  /** Epoch ms from which it no longer matches; null: until removed. */
  expiresAt: number | null;
  removedAt: number | null;
  removedBy: string | null;
  removedReason: string | null;
}

export interface NewBlacklistEntry {
  kind: BlacklistKind;
  /** Ignored (stored as '') for anonymous. */
  value: string;
  reason: string;
  addedBy: string;
  now: number;
  expiresAt?: number | null;
}

export type BlacklistAuditAction = 'add' | 'remove' | 'auto-add';

export interface BlacklistAuditRow {
  id: number;
  entryId: number;
  action: BlacklistAuditAction;
  at: number;
  /** Who did it (the adder, the remover, or 'flood-rule'). */
  by: string;
  reason: string;
  /** The entry as it was: what was listed or unlisted, even when read long after. */
  kind: BlacklistKind;
  value: string;
  expiresAt: number | null;
}

export interface Removal {
  by: string;
  reason: string;
  now: number;
}

export type RemoveResult =
  | { ok: true; entry: BlacklistEntry }
  | { ok: false; why: 'not-found' }
  | { ok: false; why: 'already-removed'; entry: BlacklistEntry };

export interface Block {
  now: number;
  /** When the block ends (the entry's expiry). */
  until: number;
  reason: string;
}

/** The value is not one the kind accepts; for a pattern, the message is the parser's. */
export class BlacklistValueError extends Error {
  override readonly name = 'BlacklistValueError';
}

/** An entry of the same kind and value is already in force. */
export class BlacklistDuplicateError extends Error {
  override readonly name = 'BlacklistDuplicateError';

  constructor(readonly existing: BlacklistEntry) {
    super(`an entry for ${existing.kind === 'anonymous' ? 'withheld caller IDs' : `'${existing.value}'`} is already in force (id ${existing.id})`);
  }
}

export interface ListBlacklistOptions {
  now: number;
  /** Include removed and expired entries (default: only those in force at now). */
  all?: boolean;
  /** Default 500. */
  limit?: number;
}

export interface BlacklistStore {
  /** Lists an entry and audits it. Throws BlacklistValueError or BlacklistDuplicateError. */
  add(entry: NewBlacklistEntry): BlacklistEntry;
  /** Marks an entry removed (it is kept) and audits it. */
  remove(id: number, removal: Removal): RemoveResult;
  get(id: number): BlacklistEntry | undefined;
  /** Newest first. */
  list(options: ListBlacklistOptions): BlacklistEntry[];
  /** Newest first; `entryId` narrows to one entry's history. */
  audit(options?: { entryId?: number; limit?: number }): BlacklistAuditRow[];
  /** The entry that refuses this caller ID at `now` (blacklist-match.ts decides), or undefined. */
  match(callerId: string, now: number): BlacklistEntry | undefined;
  /** Calls from the number noted after `since` (caller_calls), the current call included once noted. */
  callsSince(callerId: string, since: number): number;
  /**
   * The flood rule's block: an exact entry by 'flood-rule' until `until`, audited as auto-add,
   * in one immediate transaction. A number already blocked keeps its entry (added: false):
   * two controllers sharing the database cannot list it twice.
   */
  block(number: string, block: Block): { entry: BlacklistEntry; added: boolean };
}

/** Who the flood rule's entries are added by. */
export const FLOOD_RULE = 'flood-rule';

const NUMBER = /^\+?[0-9]{3,20}$/;
const COLUMNS = `id, kind, value, reason, added_by AS addedBy, created_at AS createdAt, expires_at AS expiresAt,
  removed_at AS removedAt, removed_by AS removedBy, removed_reason AS removedReason`;
const AUDIT_COLUMNS = 'id, entry_id AS entryId, action, at, by, reason, kind, value, expires_at AS expiresAt';
const IN_FORCE = 'removed_at IS NULL AND (expires_at IS NULL OR expires_at > ?)';

/** The value an entry of `kind` stores, or a BlacklistValueError saying why `value` cannot be one. */
export function checkEntryValue(kind: BlacklistKind, value: string): string {
  if (kind === 'anonymous') return '';
  if (kind === 'exact') {
    if (!NUMBER.test(value)) {
      throw new BlacklistValueError(`'${value}' is not a number: an optional "+" and 3 to 20 digits, as the caller ID shows it`);
    }
    return value;
  }
  const problem = numberPatternProblem(value);
  if (problem !== undefined) throw new BlacklistValueError(problem);
  return value;
}

export function createBlacklistStore(db: Database): BlacklistStore {
  const insert = db.prepare(
    `INSERT INTO blacklist (kind, value, reason, added_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
  );
  const audit = db.prepare(
    'INSERT INTO blacklist_audit (entry_id, action, at, by, reason, kind, value, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const byId = db.prepare(`SELECT ${COLUMNS} FROM blacklist WHERE id = ?`);
  const inForce = db.prepare(`SELECT ${COLUMNS} FROM blacklist WHERE kind = ? AND value = ? AND ${IN_FORCE} ORDER BY id LIMIT 1`);
  const markRemoved = db.prepare(
    `UPDATE blacklist SET removed_at = ?, removed_by = ?, removed_reason = ? WHERE id = ? AND removed_at IS NULL RETURNING ${COLUMNS}`,
  );
  const listAll = db.prepare(`SELECT ${COLUMNS} FROM blacklist ORDER BY id DESC LIMIT ?`);
  const listActive = db.prepare(`SELECT ${COLUMNS} FROM blacklist WHERE ${IN_FORCE} ORDER BY id DESC LIMIT ?`);
  const auditAll = db.prepare(`SELECT ${AUDIT_COLUMNS} FROM blacklist_audit ORDER BY id DESC LIMIT ?`);
  const auditOf = db.prepare(`SELECT ${AUDIT_COLUMNS} FROM blacklist_audit WHERE entry_id = ? ORDER BY id DESC LIMIT ?`);
  // The candidates for one caller ID: its exact entry and every pattern, or the anonymous
  // entries; findMatch decides among them.
  const candidatesFor = db.prepare(
    `SELECT ${COLUMNS} FROM blacklist WHERE ${IN_FORCE} AND ((kind = 'exact' AND value = ?) OR kind = 'pattern')`,
  );
  const anonymousEntries = db.prepare(`SELECT ${COLUMNS} FROM blacklist WHERE ${IN_FORCE} AND kind = 'anonymous'`);
  const countCalls = db.prepare('SELECT COUNT(*) FROM caller_calls WHERE caller = ? AND started_at > ?').pluck();

  // Entry id -> compiled pattern. Ids of entries no longer in force are dropped as they go.
  const compiled = new Map<number, NumberPattern>();
  const compile = (entry: BlacklistEntry): CompiledEntry<BlacklistEntry> => {
    if (entry.kind !== 'pattern') return { ...entry, pattern: null };
    let pattern = compiled.get(entry.id);
    if (!pattern) {
      pattern = parseNumberPattern(entry.value);
      compiled.set(entry.id, pattern);
    }
    return { ...entry, pattern };
  };

  const writeAudit = (entry: BlacklistEntry, action: BlacklistAuditAction, at: number, by: string, reason: string) =>
    audit.run(entry.id, action, at, by, reason, entry.kind, entry.value, entry.expiresAt);

  const add = db.transaction((entry: NewBlacklistEntry, action: 'add' | 'auto-add'): BlacklistEntry => {
    const value = checkEntryValue(entry.kind, entry.value);
    const existing = inForce.get(entry.kind, value, entry.now) as BlacklistEntry | undefined;
    if (existing) throw new BlacklistDuplicateError(existing);
    const row = insert.get(entry.kind, value, entry.reason, entry.addedBy, entry.now, entry.expiresAt ?? null) as BlacklistEntry;
    writeAudit(row, action, entry.now, entry.addedBy, entry.reason);
    return row;
  });

  const remove = db.transaction((id: number, removal: Removal): RemoveResult => {
    const row = markRemoved.get(removal.now, removal.by, removal.reason, id) as BlacklistEntry | undefined;
    if (!row) {
      const existing = byId.get(id) as BlacklistEntry | undefined;
      return existing ? { ok: false, why: 'already-removed', entry: existing } : { ok: false, why: 'not-found' };
    }
    writeAudit(row, 'remove', removal.now, removal.by, removal.reason);
    return { ok: true, entry: row };
  });

  const blockNumber = db.transaction((number: string, { now, until, reason }: Block) => {
    const value = checkEntryValue('exact', number.trim());
    const existing = inForce.get('exact', value, now) as BlacklistEntry | undefined;
    if (existing) return { entry: existing, added: false };
    return { entry: add({ kind: 'exact', value, reason, addedBy: FLOOD_RULE, now, expiresAt: until }, 'auto-add'), added: true };
  });

  return {
    // IMMEDIATE: the duplicate check and the insert hold the write lock together, across processes.
    add: (entry) => add.immediate(entry, 'add'),

    remove: (id, removal) => remove.immediate(id, removal),

    get: (id) => byId.get(id) as BlacklistEntry | undefined,

    list: ({ now, all = false, limit = 500 }) =>
      (all ? listAll.all(limit) : listActive.all(now, limit)) as BlacklistEntry[],

    audit: ({ entryId, limit = 500 } = {}) =>
      (entryId === undefined ? auditAll.all(limit) : auditOf.all(entryId, limit)) as BlacklistAuditRow[],

    match(callerId, now) {
      const id = callerId.trim();
      const rows = (isWithheld(id) ? anonymousEntries.all(now) : candidatesFor.all(now, id)) as BlacklistEntry[];
      const entries = rows.map(compile);
      if (!isWithheld(id)) {
        const live = new Set(rows.filter((r) => r.kind === 'pattern').map((r) => r.id));
        for (const known of compiled.keys()) if (!live.has(known)) compiled.delete(known);
      }
      const hit = findMatch(entries, id, now);
      return hit && rows.find((row) => row.id === hit.id);
    },

    callsSince: (callerId, since) => countCalls.get(callerId, since) as number,

    block: (number, block) => blockNumber.immediate(number, block),
  };
}

/** Whether an entry is in force at `now` (for API answers). */
export function inForceAt(entry: BlacklistEntry, now: number): boolean {
  return isActive(entry, now);
}
