// N15 store (migration 10): imported holidays and make-up workdays, one row per date, and the
// operator overrides as an audit trail: every override kept, only clearing one in force allowed,
// nothing ever deleted. The hours service puts store, flow file and override together.
import { beforeEach, describe, expect, it } from 'vitest';
import { createHoursService } from '../../src/calendar/hours-service.js';
import { createHoursStore, type HoursStore } from '../../src/calendar/hours-store.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { flowFromYaml } from './support/fake-call.js';

const T0 = new Date('2026-03-10T10:00:00+08:00').getTime(); // a Tuesday, inside the hours
const HOUR = 3_600_000;

let db: Database;
let store: HoursStore;

beforeEach(() => {
  db = openDatabase(':memory:');
  store = createHoursStore(db);
});

describe('N15 holiday calendar in SQLite', () => {
  it('imports days, one row per date; a later import of a date replaces it; counts added, changed, unchanged', () => {
    expect(store.importDays([
      { date: '2026-10-01', kind: 'holiday', name: '国庆节' },
      { date: '2026-10-10', kind: 'workday', name: '国庆节 补班' },
    ], 'gov-2026', T0)).toEqual({ added: 2, changed: 0, unchanged: 0 });
    expect(store.importDays([
      { date: '2026-10-01', kind: 'holiday', name: '国庆节' },
      { date: '2026-10-10', kind: 'holiday', name: 'oops' },
      { date: '2026-10-02', kind: 'holiday', name: '国庆节' },
    ], 'other', T0 + HOUR)).toEqual({ added: 1, changed: 1, unchanged: 1 });
    expect(store.days()).toEqual([
      { date: '2026-10-01', kind: 'holiday', name: '国庆节', source: 'other', importedAt: T0 + HOUR },
      { date: '2026-10-02', kind: 'holiday', name: '国庆节', source: 'other', importedAt: T0 + HOUR },
      { date: '2026-10-10', kind: 'holiday', name: 'oops', source: 'other', importedAt: T0 + HOUR },
    ]);
  });

  it('a removed day leaves the calendar but keeps its row; importing it again brings it back', () => {
    store.importDays([{ date: '2026-10-01', kind: 'holiday', name: '国庆节' }], 'f', T0);
    expect(store.removeDay('2026-10-01', T0 + HOUR)).toMatchObject({ date: '2026-10-01', kind: 'holiday' });
    expect(store.removeDay('2026-10-01', T0 + HOUR)).toBeUndefined();
    expect(store.removeDay('2026-10-02', T0 + HOUR)).toBeUndefined();
    expect(store.days()).toEqual([]);
    expect(db.prepare('SELECT date, removed_at AS removedAt FROM calendar_days').all()).toEqual([{ date: '2026-10-01', removedAt: T0 + HOUR }]);
    expect(store.importDays([{ date: '2026-10-01', kind: 'holiday', name: '国庆节' }], 'f', T0 + 2 * HOUR)).toEqual({ added: 1, changed: 0, unchanged: 0 });
    expect(store.days().map((d) => d.date)).toEqual(['2026-10-01']);
  });

  it('the table refuses what is not a date or a kind', () => {
    expect(() => db.prepare("INSERT INTO calendar_days (date, kind, source, imported_at) VALUES ('1 Oct', 'holiday', 'x', 0)").run()).toThrow(/CHECK/);
    expect(() => db.prepare("INSERT INTO calendar_days (date, kind, source, imported_at) VALUES ('2026-10-01', 'festival', 'x', 0)").run()).toThrow(/CHECK/);
  });
});

describe('N15 operator overrides: an audit trail', () => {
  it('an override is in force from when it is set until it expires', () => {
    const { override, replaced } = store.setOverride({ state: 'closed', reason: 'fire drill', by: 'wang', now: T0, expiresAt: T0 + HOUR });
    expect(replaced).toBeUndefined();
    expect(override).toEqual({
      id: 1, state: 'closed', reason: 'fire drill', by: 'wang', createdAt: T0, expiresAt: T0 + HOUR, clearedAt: null, clearedBy: null,
    });
    expect(store.activeOverride(T0 - 1)).toBeUndefined();
    expect(store.activeOverride(T0)).toEqual(override);
    expect(store.activeOverride(T0 + HOUR - 1)).toEqual(override);
    expect(store.activeOverride(T0 + HOUR)).toBeUndefined();
  });

  it('a new override clears the one in force (same person, same instant); both rows stay', () => {
    store.setOverride({ state: 'closed', reason: 'fire drill', by: 'wang', now: T0, expiresAt: T0 + HOUR });
    const { override, replaced } = store.setOverride({ state: 'open', reason: 'storm: extra staff', by: 'li', now: T0 + 60_000, expiresAt: T0 + 5 * HOUR });
    expect(replaced).toMatchObject({ id: 1, clearedAt: T0 + 60_000, clearedBy: 'li' });
    expect(store.activeOverride(T0 + 120_000)).toEqual(override);
    expect(store.overrides().map((o) => [o.id, o.state, o.clearedBy])).toEqual([[2, 'open', null], [1, 'closed', 'li']]);
  });

  it('clearing: the override in force ends now; nothing to clear is undefined', () => {
    store.setOverride({ state: 'closed', reason: 'fire drill', by: 'wang', now: T0, expiresAt: T0 + HOUR });
    expect(store.clearOverride(T0 + 60_000, 'zhao')).toMatchObject({ id: 1, clearedAt: T0 + 60_000, clearedBy: 'zhao' });
    expect(store.activeOverride(T0 + 60_000)).toBeUndefined();
    expect(store.clearOverride(T0 + 120_000, 'zhao')).toBeUndefined();
    // An expired override is not cleared: it simply lapsed.
    store.setOverride({ state: 'open', reason: 'x', by: 'a', now: T0 + 2 * HOUR, expiresAt: T0 + 3 * HOUR });
    expect(store.clearOverride(T0 + 4 * HOUR, 'zhao')).toBeUndefined();
    expect(store.overrides(1)[0]).toMatchObject({ clearedAt: null });
  });

  it('N14 audit: rows cannot be deleted, and nothing but clearing one in force (once) can be changed', () => {
    store.setOverride({ state: 'closed', reason: 'fire drill', by: 'wang', now: T0, expiresAt: T0 + HOUR });
    expect(() => db.prepare('DELETE FROM hours_overrides').run()).toThrow(/DELETE is not allowed/);
    for (const sql of [
      "UPDATE hours_overrides SET reason = 'changed'",
      "UPDATE hours_overrides SET state = 'open'",
      'UPDATE hours_overrides SET expires_at = expires_at + 1',
      "UPDATE hours_overrides SET created_by = 'someone'",
      'UPDATE hours_overrides SET cleared_at = 1',
    ]) {
      expect(() => db.prepare(sql).run(), sql).toThrow(/only clearing one still in force is allowed|CHECK/);
    }
    store.clearOverride(T0 + 1, 'zhao');
    expect(() => db.prepare("UPDATE hours_overrides SET cleared_by = 'other', cleared_at = 5").run()).toThrow(/only clearing one still in force/);
    expect(() => db.prepare('INSERT INTO hours_overrides (state, reason, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run('open', 'x', 'a', 10, 10)).toThrow(/CHECK/);
    expect(store.overrides()).toHaveLength(1);
  });
});

describe('N15 hours service: flow file, imported days and override together', () => {
  const flow = flowFromYaml(`
hotline: { name: Test line, number: "100", holidays: ["2026-10-01"], workdays: ["2026-10-10"] }
hours:
  weekly: { mon: ["08:00-20:00"], tue: ["08:00-20:00"], wed: ["08:00-20:00"], thu: ["08:00-20:00"], fri: ["08:00-20:00"] }
  callbacks:
    weekly: { tue: ["09:00-10:00"] }
steps:
  bye: { verb: hangup }
`);
  const at = (local: string) => new Date(`${local}:00+08:00`).getTime();

  it('an imported holiday closes the day; an imported workday opens a Saturday; the flow file wins a date both name', () => {
    const service = createHoursService(store);
    expect(service.status(at('2026-10-02T10:00'), flow)).toMatchObject({ state: 'open', override: null });
    store.importDays([
      { date: '2026-10-02', kind: 'holiday', name: '国庆节' },
      { date: '2026-10-17', kind: 'workday', name: '补班' },
      { date: '2026-10-01', kind: 'workday', name: 'the flow says holiday' },
    ], 'ics', T0);
    expect(service.status(at('2026-10-02T10:00'), flow)).toMatchObject({ state: 'holiday', reason: 'holiday' });
    expect(service.status(at('2026-10-17T10:00'), flow)).toMatchObject({ state: 'open', reason: 'workday' });
    expect(service.status(at('2026-10-01T10:00'), flow)).toMatchObject({ state: 'holiday' });
    store.removeDay('2026-10-02', T0);
    expect(service.status(at('2026-10-02T10:00'), flow)).toMatchObject({ state: 'open' });
  });

  it('the override in force decides, and is reported with its row', () => {
    const service = createHoursService(store);
    const { override } = store.setOverride({ state: 'closed', reason: 'drill', by: 'wang', now: T0, expiresAt: T0 + HOUR });
    expect(service.status(T0, flow)).toMatchObject({ state: 'closed', reason: 'override', override, opensAt: T0 + HOUR });
    expect(service.status(T0 + HOUR, flow)).toMatchObject({ state: 'open', override: null });
  });

  it('N8: callback hours use their own schedule (and the override)', () => {
    const service = createHoursService(store);
    expect(service.callbackStatus(at('2026-03-10T09:30'), flow)).toMatchObject({ state: 'open', closesAt: at('2026-03-10T10:00') });
    expect(service.callbackStatus(at('2026-03-10T10:30'), flow)).toMatchObject({ state: 'closed', opensAt: at('2026-03-17T09:00') });
    store.setOverride({ state: 'closed', reason: 'drill', by: 'wang', now: at('2026-03-10T09:00'), expiresAt: at('2026-03-10T09:45') });
    expect(service.callbackStatus(at('2026-03-10T09:30'), flow)).toMatchObject({ state: 'closed', reason: 'override', opensAt: at('2026-03-10T09:45') });
  });

  it('without a store the flow file alone decides', () => {
    expect(createHoursService().status(at('2026-10-01T10:00'), flow)).toMatchObject({ state: 'holiday', override: null });
  });
});
