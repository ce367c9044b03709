// Batched recorder vs. one autocommit INSERT per event, same run, same pragmas (openDatabase),
// separate temp files so neither run inherits the other's WAL. `npm run bench`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../src/clock/clock.js';
import { createLogger } from '../src/log/logger.js';
import { openDatabase } from '../src/store/database.js';
import type { EventData } from '../src/store/events.js';
import { EVENT_RULES } from '../src/store/events.js';
import { createSqliteRecorder } from '../src/store/sqlite-recorder.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const CALLS = 200;
const logger = createLogger({ level: 'warn' });
const data: EventData['menu.choice'] = { step: 'main', digit: '1', target: 'billing', typeAhead: false };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recorder-bench-'));

interface Result {
  name: string;
  ms: number;
  rows: number;
}

function run(name: string, body: (file: string) => void): Result {
  const file = path.join(dir, `${name.replace(/\W+/g, '-')}.db`);
  const start = performance.now();
  body(file);
  const ms = performance.now() - start;
  const db = openDatabase(file);
  const rows = (db.prepare('SELECT COUNT(*) AS n FROM call_events').get() as { n: number }).n;
  db.close();
  return { name, ms, rows };
}

try {
  const results = [
    run('autocommit INSERT per event', (file) => {
      const db = openDatabase(file);
      const insert = db.prepare('INSERT INTO call_events (call_id, ts, type, rule, data) VALUES (?, ?, ?, ?, ?)');
      for (let i = 0; i < EVENTS; i++) {
        insert.run(`call-${i % CALLS}`, Date.now(), 'menu.choice', EVENT_RULES['menu.choice'], JSON.stringify(data));
      }
      db.close();
    }),
    run('batched recorder (200/tx)', (file) => {
      const db = openDatabase(file);
      const recorder = createSqliteRecorder(db, { logger, clock: systemClock });
      for (let i = 0; i < EVENTS; i++) recorder.event(`call-${i % CALLS}`, 'menu.choice', data);
      recorder.close();
      db.close();
    }),
  ];

  const table = results.map((r) => ({
    mode: r.name,
    events: r.rows,
    'total ms': Math.round(r.ms),
    'events/s': Math.round((r.rows / r.ms) * 1000),
  }));
  console.log(`${EVENTS} events, SQLite WAL + synchronous=NORMAL, ${dir}`);
  console.table(table);
  const [baseline, batched] = results;
  if (baseline && batched) console.log(`speed-up: ×${(baseline.ms / batched.ms).toFixed(1)}`);
  for (const r of results) if (r.rows !== EVENTS) throw new Error(`${r.name}: ${r.rows} rows written, expected ${EVENTS}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
