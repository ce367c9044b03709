// Issue 11: every flow that loads is stored. A version is one distinct text (its sha-256); every
// load of it is an event; both are append-only; a call row names the version it ran.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { createFlowVersionStore, flowHash, type FlowVersionStore } from '../../src/flow/flow-version-store.js';
import { createCallQueries } from '../../src/store/call-queries.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { MIGRATIONS, runMigrations } from '../../src/store/migrations.js';
import { createSqliteRecorder } from '../../src/store/sqlite-recorder.js';
import BetterSqlite3 from 'better-sqlite3';

let db: Database;
let store: FlowVersionStore;

beforeEach(() => {
  db = openDatabase(':memory:');
  store = createFlowVersionStore(db);
});
afterEach(() => db.close());

const A = 'hotline: { name: A, number: "100" }\nsteps:\n  a: { verb: hangup }\n';
const B = 'hotline: { name: B, number: "100" }\nsteps:\n  a: { verb: hangup }\n';

describe('flowHash', () => {
  it('is the sha-256 of the UTF-8 text, hex', () => {
    expect(flowHash('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(flowHash('热线')).toBe(createHash('sha256').update(Buffer.from('热线', 'utf8')).digest('hex'));
    expect(flowHash(A)).not.toBe(flowHash(B));
  });
});

describe('flow version store', () => {
  it('a new text is a new version; the same text again reuses it and adds a load event', () => {
    const first = store.record({ content: A, source: 'dialplans/hotline.yaml', loadedBy: 'start', at: 1_000 });
    expect(first.created).toBe(true);
    expect(first.version).toEqual({ id: 1, hash: flowHash(A) });
    expect(first.load).toEqual({
      id: 1, version: 1, hash: flowHash(A), source: 'dialplans/hotline.yaml', loadedAt: 1_000, loadedBy: 'start', by: null, note: null,
    });

    const second = store.record({ content: B, source: 'api', loadedBy: 'api', by: 'alice', note: 'new menu', at: 2_000 });
    expect(second).toMatchObject({ created: true, version: { id: 2, hash: flowHash(B) } });

    const again = store.record({ content: A, source: 'dialplans/hotline.yaml', loadedBy: 'sighup', at: 3_000 });
    expect(again.created).toBe(false);
    expect(again.version).toEqual(first.version);
    expect(again.load).toMatchObject({ id: 3, version: 1, loadedBy: 'sighup', loadedAt: 3_000 });

    // Newest first, without the text; the first load's facts and how often it loaded since.
    expect(store.list({ limit: 10 })).toEqual([
      { id: 2, hash: flowHash(B), source: 'api', loadedAt: 2_000, loadedBy: 'api', by: 'alice', note: 'new menu', loads: 1, lastLoadedAt: 2_000 },
      { id: 1, hash: flowHash(A), source: 'dialplans/hotline.yaml', loadedAt: 1_000, loadedBy: 'start', by: null, note: null, loads: 2, lastLoadedAt: 3_000 },
    ]);
    expect(store.list({ limit: 1 }).map((v) => v.id)).toEqual([2]);
    expect(store.list({ limit: 10, before: 2 }).map((v) => v.id)).toEqual([1]);
    expect(store.get(1)).toMatchObject({ id: 1, content: A, loads: 2 });
    expect(store.get(99)).toBeUndefined();
    expect(store.findByHash(flowHash(B))).toEqual({ id: 2, hash: flowHash(B) });
    expect(store.findByHash(flowHash('nothing'))).toBeUndefined();

    // Every load event, newest first.
    expect(store.loads({ limit: 10 }).map((l) => [l.id, l.version, l.loadedBy])).toEqual([
      [3, 1, 'sighup'],
      [2, 2, 'api'],
      [1, 1, 'start'],
    ]);
    expect(store.loads({ limit: 10, before: 3 }).map((l) => l.id)).toEqual([2, 1]);
  });

  it('when `alongside` throws (the flow file could not be written) nothing is stored', () => {
    store.record({ content: A, source: 'f.yaml', loadedBy: 'start', at: 1 });
    expect(() =>
      store.record({ content: B, source: 'api', loadedBy: 'api', at: 2 }, { alongside: () => { throw new Error('disk full'); } }),
    ).toThrow('disk full');
    expect(store.list({ limit: 10 }).map((v) => v.id)).toEqual([1]);
    expect(store.loads({ limit: 10 }).map((l) => l.id)).toEqual([1]);
    let ran = false;
    store.record({ content: B, source: 'api', loadedBy: 'api', at: 3 }, { alongside: () => void (ran = true) });
    expect(ran).toBe(true);
    expect(store.list({ limit: 10 }).map((v) => v.id)).toEqual([2, 1]);
  });

  it('N14: versions and loads are append-only; an unknown loaded_by is refused', () => {
    store.record({ content: A, source: 'f.yaml', loadedBy: 'start', at: 1 });
    expect(() => db.prepare("UPDATE flow_versions SET content = 'x'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM flow_versions').run()).toThrow(/append-only/);
    expect(() => db.prepare('UPDATE flow_loads SET loaded_at = 0').run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM flow_loads').run()).toThrow(/append-only/);
    expect(() => store.record({ content: B, source: 'f.yaml', loadedBy: 'cron' as 'api', at: 2 })).toThrow(/CHECK/);
    expect(store.list({ limit: 10 })).toHaveLength(1);
  });

  it('property: one version per distinct text, every load kept in order, ids stable per text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', '热线', ''), fc.constantFrom('start', 'sighup', 'api' as const)), {
          minLength: 1,
          maxLength: 30,
        }),
        (loads) => {
          const mem = openDatabase(':memory:');
          try {
            const s = createFlowVersionStore(mem);
            const idOf = new Map<string, number>();
            loads.forEach(([text, by], i) => {
              const r = s.record({ content: text, source: 'f', loadedBy: by, at: i + 1 });
              expect(r.created).toBe(!idOf.has(text));
              if (!idOf.has(text)) idOf.set(text, r.version.id);
              expect(r.version).toEqual({ id: idOf.get(text), hash: flowHash(text) });
            });
            const versions = s.list({ limit: 500 });
            expect(versions).toHaveLength(idOf.size);
            expect(versions.map((v) => v.id)).toEqual([...idOf.values()].sort((x, y) => y - x));
            expect(versions.reduce((n, v) => n + v.loads, 0)).toBe(loads.length);
            for (const [text, id] of idOf) expect(s.get(id)?.content).toBe(text);
            const events = s.loads({ limit: 500 }).reverse();
            expect(events.map((e) => [e.version, e.loadedBy, e.loadedAt])).toEqual(
              loads.map(([text, by], i) => [idOf.get(text), by, i + 1]),
            );
          } finally {
            mem.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('calls name the flow version they ran', () => {
  it('callStarted writes calls.flow_version; GET /api/calls reads it back (null when not given)', () => {
    const { version } = store.record({ content: A, source: 'f.yaml', loadedBy: 'start', at: 1 });
    const recorder = createSqliteRecorder(db, { logger: pino({ level: 'silent' }), clock: new VirtualClock() });
    recorder.callStarted({ id: 'c1', channelId: 'ch1', caller: '13800138000', called: '100', startedAt: 10, flowVersion: version.id });
    recorder.callStarted({ id: 'c2', channelId: 'ch2', caller: '13800138000', called: '100', startedAt: 20 });
    recorder.flush();
    const queries = createCallQueries(db);
    expect(queries.getCall('c1')?.flowVersion).toBe(version.id);
    expect(queries.getCall('c2')?.flowVersion).toBeNull();
    expect(queries.listCalls({ limit: 10 }).map((c) => [c.id, c.flowVersion])).toEqual([
      ['c2', null],
      ['c1', version.id],
    ]);
    recorder.close();
  });

  it('migration 11 on a database of migration 10: old call rows keep no version, new tables are empty', () => {
    const old = new BetterSqlite3(':memory:');
    try {
      runMigrations(old, { migrations: MIGRATIONS.slice(0, 10), now: () => 1 });
      old.prepare("INSERT INTO calls (id, channel_id, caller, called, started_at) VALUES ('old', 'ch', '1', '2', 5)").run();
      expect(runMigrations(old, { migrations: MIGRATIONS.slice(0, 11), now: () => 2 })).toEqual([11]);
      expect(createCallQueries(old).getCall('old')?.flowVersion).toBeNull();
      expect(createFlowVersionStore(old).list({ limit: 10 })).toEqual([]);
    } finally {
      old.close();
    }
  });
});
