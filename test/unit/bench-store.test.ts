// npm run bench:load reads the controller's bench database after a run
// (bench/load/controller-db.ts): a row per call placed, a call.hangup per row (a caller handed
// back to the dialplan excepted), the shed callers by route; the warm-up calls before the run
// are not the run's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readStore } from '../../bench/load/controller-db.js';
import { openDatabase } from '../../src/store/database.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A controller database (its real schema) with calls: [id, startedAt, ended, events…]. */
function database(calls: [string, number, boolean, ...[string, object][]][]): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-store-'));
  dirs.push(dir);
  const file = join(dir, 'hotline.db');
  const db = openDatabase(file);
  const call = db.prepare('INSERT INTO calls (id, channel_id, caller, called, started_at, ended_at) VALUES (?, ?, ?, ?, ?, ?)');
  const event = db.prepare('INSERT INTO call_events (call_id, ts, type, rule, data) VALUES (?, ?, ?, NULL, ?)');
  for (const [id, startedAt, ended, ...events] of calls) {
    call.run(id, `ch-${id}`, '13800138000', '4008009001', startedAt, ended ? startedAt + 10_000 : null);
    for (const [type, data] of events) event.run(id, startedAt, type, JSON.stringify(data));
  }
  db.close();
  return file;
}

const hangup: [string, object] = ['call.hangup', { by: 'caller', cause: 16 }];
const answered: [string, object] = ['call.answered', { delayMs: 3 }];

describe('readStore (bench:load)', () => {
  it('counts the run’s rows and events, not the warm-up’s before it', () => {
    const file = database([
      ['warm-1', 500, true, answered, hangup],
      ['a', 1000, true, answered, hangup],
      ['b', 1001, true, answered, hangup],
    ]);
    expect(readStore(file, 2, 1000)).toEqual({ calls: 2, events: 4, missingRows: 0, missingHangups: 0, unfinished: 0, shed: {} });
  });

  it('a call placed without a row, a row without call.hangup and a row never closed are each counted', () => {
    const file = database([
      ['a', 1000, true, answered, hangup],
      ['b', 1000, false, answered],
    ]);
    expect(readStore(file, 3, 1000)).toMatchObject({ calls: 2, missingRows: 1, missingHangups: 1, unfinished: 1 });
  });

  it('a caller shed to the dialplan ends in Asterisk (no call.hangup is missing); one the controller apologised to needs its call.hangup', () => {
    const shed = (route: string): [string, object] => ['call.shed', { reason: 'capacity', route }];
    const file = database([
      ['a', 1000, true, shed('dialplan')],
      ['b', 1000, true, shed('controller'), hangup],
      ['c', 1000, true, shed('controller')],
    ]);
    expect(readStore(file, 3, 1000)).toMatchObject({ calls: 3, missingHangups: 1, shed: { dialplan: 1, controller: 2 } });
  });

  it('never counts rows as missing when there are more rows than calls placed', () => {
    const file = database([
      ['a', 1000, true, hangup],
      ['b', 1000, true, hangup],
    ]);
    expect(readStore(file, 1, 1000).missingRows).toBe(0);
  });
});
