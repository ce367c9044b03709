// N15: the holiday calendar and the operator overrides, the only SQL for them (migration 10).
// Imported days (holidays and make-up workdays from an iCalendar file) are one row per date: a
// later import of the same date replaces its kind and name; a removed day keeps its row with
// removed_at set. Overrides are an audit trail: every override ever set stays, and the only
// change a row allows (a trigger enforces it) is clearing one still in force, once, with who
// cleared it. Setting a new override clears the one in force in the same transaction.
import type { Database } from '../store/database.js';

export type DayKind = 'holiday' | 'workday';

export interface CalendarDay {
  /** YYYY-MM-DD, a local date in the hotline time zone. */
  date: string;
  kind: DayKind;
  name: string;
  /** Where it came from: the import's source label. */
  source: string;
  importedAt: number;
}

export interface NewCalendarDay {
  date: string;
  kind: DayKind;
  name: string;
}

export type OverrideState = 'open' | 'closed';

export interface OverrideRow {
  id: number;
  state: OverrideState;
  reason: string;
  by: string;
  createdAt: number;
  /** In force until this instant (excluded), unless cleared earlier. */
  expiresAt: number;
  clearedAt: number | null;
  clearedBy: string | null;
}

export interface NewOverride {
  state: OverrideState;
  reason: string;
  by: string;
  now: number;
  expiresAt: number;
}

export interface ImportResult {
  /** Dates not in the calendar before (or removed from it). */
  added: number;
  /** Dates already imported whose kind or name the import changed. */
  changed: number;
  /** Dates already imported as they are. */
  unchanged: number;
}

export interface HoursStore {
  /** Imported days in force, by date. */
  days(): CalendarDay[];
  /** Imports days in one transaction (one row per date; a later import of a date replaces it). */
  importDays(days: readonly NewCalendarDay[], source: string, now: number): ImportResult;
  /** Takes an imported day out of the calendar (its row stays, marked removed); undefined when not imported. */
  removeDay(date: string, now: number): CalendarDay | undefined;
  /** The override in force at `now`: set, not cleared, not expired. */
  activeOverride(now: number): OverrideRow | undefined;
  /** Sets an override; the one in force (if any) is cleared by the same person first. */
  setOverride(override: NewOverride): { override: OverrideRow; replaced: OverrideRow | undefined };
  /** Clears the override in force; undefined when there is none. */
  clearOverride(now: number, by: string): OverrideRow | undefined;
  /** Every override, newest first. */
  overrides(limit?: number): OverrideRow[];
}

const DAY_COLUMNS = 'date, kind, name, source, imported_at AS importedAt';
const OVERRIDE_COLUMNS = `id, state, reason, created_by AS "by", created_at AS createdAt, expires_at AS expiresAt,
  cleared_at AS clearedAt, cleared_by AS clearedBy`;

export function createHoursStore(db: Database): HoursStore {
  const allDays = db.prepare(`SELECT ${DAY_COLUMNS} FROM calendar_days WHERE removed_at IS NULL ORDER BY date`);
  const dayAt = db.prepare(`SELECT ${DAY_COLUMNS}, removed_at AS removedAt FROM calendar_days WHERE date = ?`);
  const upsert = db.prepare(
    `INSERT INTO calendar_days (date, kind, name, source, imported_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (date) DO UPDATE SET kind = excluded.kind, name = excluded.name, source = excluded.source,
       imported_at = excluded.imported_at, removed_at = NULL`,
  );
  const remove = db.prepare(
    `UPDATE calendar_days SET removed_at = ? WHERE date = ? AND removed_at IS NULL RETURNING ${DAY_COLUMNS}`,
  );
  const active = db.prepare(
    `SELECT ${OVERRIDE_COLUMNS} FROM hours_overrides WHERE cleared_at IS NULL AND expires_at > ? AND created_at <= ?
     ORDER BY id DESC LIMIT 1`,
  );
  const insertOverride = db.prepare(
    `INSERT INTO hours_overrides (state, reason, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
     RETURNING ${OVERRIDE_COLUMNS}`,
  );
  const clear = db.prepare(
    `UPDATE hours_overrides SET cleared_at = ?, cleared_by = ? WHERE id = ? AND cleared_at IS NULL RETURNING ${OVERRIDE_COLUMNS}`,
  );
  const history = db.prepare(`SELECT ${OVERRIDE_COLUMNS} FROM hours_overrides ORDER BY id DESC LIMIT ?`);

  // Read on every hours check (each call's `hours` step, each scheduler tick): kept in memory and
  // dropped when this store writes. Only this process writes the table.
  let cachedDays: CalendarDay[] | undefined;

  const importDays = db.transaction((days: readonly NewCalendarDay[], source: string, now: number): ImportResult => {
    const result: ImportResult = { added: 0, changed: 0, unchanged: 0 };
    for (const day of days) {
      const before = dayAt.get(day.date) as (CalendarDay & { removedAt: number | null }) | undefined;
      if (!before || before.removedAt !== null) result.added += 1;
      else if (before.kind !== day.kind || before.name !== day.name) result.changed += 1;
      else result.unchanged += 1;
      upsert.run(day.date, day.kind, day.name, source, now);
    }
    return result;
  });

  const clearActive = (now: number, by: string): OverrideRow | undefined => {
    const current = active.get(now, now) as OverrideRow | undefined;
    return current ? (clear.get(now, by, current.id) as OverrideRow) : undefined;
  };
  const setOverride = db.transaction((o: NewOverride) => {
    const replaced = clearActive(o.now, o.by);
    const override = insertOverride.get(o.state, o.reason, o.by, o.now, o.expiresAt) as OverrideRow;
    return { override, replaced };
  });
  const clearOverride = db.transaction(clearActive);

  return {
    days() {
      cachedDays ??= allDays.all() as CalendarDay[];
      return cachedDays;
    },
    importDays(days, source, now) {
      cachedDays = undefined;
      return importDays.immediate(days, source, now);
    },
    removeDay(date, now) {
      cachedDays = undefined;
      return remove.get(now, date) as CalendarDay | undefined;
    },
    activeOverride: (now) => active.get(now, now) as OverrideRow | undefined,
    setOverride: (o) => setOverride.immediate(o),
    clearOverride: (now, by) => clearOverride.immediate(now, by),
    overrides: (limit = 100) => history.all(limit) as OverrideRow[],
  };
}
