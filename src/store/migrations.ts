// The schema, as an ordered list of migrations. A migration is never edited once released: a
// change is a new entry, so every database, old or new, ends up with the same schema.
import { systemClock } from '../clock/clock.js';
import type { Database } from './db-types.js';

export interface Migration {
  version: number;
  name: string;
  up: string;
}

/**
 * Triggers that refuse UPDATE and DELETE on an audit table (N14). Released migrations use it
 * too: it yields the same statements they were written with, so their schema does not change.
 */
function appendOnly(table: string): string {
  return (['UPDATE', 'DELETE'] as const)
    .map(
      (op) => `CREATE TRIGGER ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table}
      BEGIN
        SELECT RAISE(ABORT, '${table} is append-only: ${op} is not allowed');
      END;`,
    )
    .join('\n      ');
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'calls and call events',
    // call_events.call_id deliberately has no foreign key: the audit trail must keep an event even
    // when its call row is missing (a bug upstream, or a call adopted after a restart), and a
    // batch must not be rejected because of one row's ordering.
    up: `
      CREATE TABLE calls (
        id              TEXT PRIMARY KEY,
        channel_id      TEXT NOT NULL,
        caller          TEXT NOT NULL,
        called          TEXT NOT NULL,
        started_at      INTEGER NOT NULL,
        answered_at     INTEGER,
        answer_delay_ms INTEGER,
        ended_at        INTEGER,
        hangup_cause    INTEGER,
        hangup_by       TEXT CHECK (hangup_by IN ('caller', 'system', 'unknown')),
        outcome         TEXT
      );
      CREATE INDEX calls_started_at ON calls (started_at, id);

      CREATE TABLE call_events (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        call_id TEXT NOT NULL,
        ts      INTEGER NOT NULL,
        type    TEXT NOT NULL,
        rule    TEXT,
        data    TEXT NOT NULL CHECK (json_valid(data))
      );
      CREATE INDEX call_events_call_id ON call_events (call_id, id);
      CREATE INDEX call_events_ts ON call_events (ts);

      -- N14: the event log is the audit trail; rows can be added, never changed or removed.
      ${appendOnly('call_events')}
    `,
  },
  {
    version: 2,
    name: 'silence figures on the call row',
    // N5 "no dead air": the longest stretch without audio the caller met (listening windows
    // included), and the longest outside any window the flow declared (that one is dead air).
    up: `
      ALTER TABLE calls ADD COLUMN max_gap_ms INTEGER;
      ALTER TABLE calls ADD COLUMN max_dead_air_ms INTEGER;
    `,
  },
  {
    version: 3,
    name: 'agent presence, callbacks, tickets, caller lookup',
    // agent_state keeps only what an agent chose (logged in, paused), so a restart keeps who is
    // working; on-call and wrap-up are facts of live calls and die with the process.
    // callbacks and tickets have no CHECK on status or reason: the scheduler and the ticket
    // workflow will add values, and SQLite cannot change a CHECK without rebuilding the table.
    // calls_caller serves N12 (did this number call earlier today?) on every inbound call.
    up: `
      CREATE TABLE agent_state (
        agent_id   TEXT PRIMARY KEY,
        state      TEXT NOT NULL CHECK (state IN ('logged-out', 'available', 'paused')),
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE callbacks (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        call_id     TEXT,
        number      TEXT NOT NULL,
        reason      TEXT NOT NULL,
        promised_by INTEGER NOT NULL,
        status      TEXT NOT NULL DEFAULT 'pending',
        attempts    INTEGER NOT NULL DEFAULT 0,
        created_at  INTEGER NOT NULL
      );
      CREATE INDEX callbacks_status ON callbacks (status, promised_by);
      CREATE INDEX callbacks_call_id ON callbacks (call_id);

      CREATE TABLE tickets (
        number     TEXT PRIMARY KEY,
        call_id    TEXT,
        caller     TEXT,
        grp        TEXT,
        status     TEXT NOT NULL DEFAULT 'open',
        created_at INTEGER NOT NULL
      );

      CREATE INDEX calls_caller ON calls (caller, started_at);
    `,
  },
  {
    version: 4,
    name: 'tickets by caller',
    // N6/N13: the agent whisper names the caller's open ticket, looked up on every transfer.
    up: `
      CREATE INDEX tickets_caller ON tickets (caller, created_at);
    `,
  },
  {
    version: 5,
    name: 'ticket history',
    // N13/N14: every status a ticket had and when, append-only like the call events, so "what
    // was the caller told, and when did it change" has an answer.
    up: `
      CREATE TABLE ticket_history (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        number TEXT NOT NULL REFERENCES tickets (number),
        status TEXT NOT NULL,
        at     INTEGER NOT NULL
      );
      CREATE INDEX ticket_history_number ON ticket_history (number, id);
      INSERT INTO ticket_history (number, status, at) SELECT number, status, created_at FROM tickets;
      ${appendOnly('ticket_history')}
    `,
  },
  {
    version: 6,
    name: 'caller calls for N12',
    // N12 reads who called today from this table, written synchronously when a call starts and
    // when a transfer bridges. The calls and call_events rows go through the batching recorder
    // and can sit in its buffer (after a failed write, for seconds or longer), where a repeat
    // caller would not be seen. grp is the group of the call's last bridged transfer. Filled
    // from the call log for calls recorded before this table existed.
    up: `
      CREATE TABLE caller_calls (
        call_id    TEXT PRIMARY KEY,
        caller     TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        grp        TEXT
      );
      CREATE INDEX caller_calls_caller ON caller_calls (caller, started_at);
      INSERT INTO caller_calls (call_id, caller, started_at, grp)
        SELECT c.id, c.caller, c.started_at,
               (SELECT json_extract(e.data, '$.group') FROM call_events e
                WHERE e.call_id = c.id AND e.type = 'transfer.bridged'
                ORDER BY e.ts DESC, e.id DESC LIMIT 1)
        FROM calls c;
    `,
  },
  {
    version: 7,
    name: 'callback scheduling',
    // N8: a callback row is the scheduler's whole state, so a restart re-arms what is pending and
    // a controller killed between claim and dial neither loses nor doubles it: grp (the agent
    // group that calls back), next_attempt_at (due), claim_token/claimed_at (a tick's claim; a
    // stale one is retaken), last_attempt_at, outcome (of the last attempt). One pending
    // callback per number and group: later requests merge into it (older duplicates are
    // marked merged first).
    up: `
      ALTER TABLE callbacks ADD COLUMN grp TEXT;
      ALTER TABLE callbacks ADD COLUMN next_attempt_at INTEGER;
      ALTER TABLE callbacks ADD COLUMN claim_token TEXT;
      ALTER TABLE callbacks ADD COLUMN claimed_at INTEGER;
      ALTER TABLE callbacks ADD COLUMN last_attempt_at INTEGER;
      ALTER TABLE callbacks ADD COLUMN outcome TEXT;
      UPDATE callbacks SET next_attempt_at = created_at;
      UPDATE callbacks SET status = 'merged'
        WHERE status = 'pending' AND EXISTS (
          SELECT 1 FROM callbacks o WHERE o.status = 'pending' AND o.number = callbacks.number AND o.id < callbacks.id);
      CREATE UNIQUE INDEX callbacks_one_open ON callbacks (number, IFNULL(grp, ''))
        WHERE status IN ('pending', 'dialling');
      CREATE INDEX callbacks_due ON callbacks (status, next_attempt_at);
    `,
  },
  {
    version: 8,
    name: 'satisfaction surveys',
    // N16/N17: a rating is a fact about a conversation (call, agent, group, ticket), kept as
    // given: append-only like the call events.
    up: `
      CREATE TABLE surveys (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        call_id TEXT NOT NULL,
        agent   TEXT,
        grp     TEXT,
        ticket  TEXT,
        rating  INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
        at      INTEGER NOT NULL
      );
      CREATE INDEX surveys_agent ON surveys (agent, at);
      ${appendOnly('surveys')}
    `,
  },
  {
    version: 9,
    name: 'blacklist',
    // N11: filled in by the blacklist work (placeholder while it is built).
    up: `SELECT 1;`,
  },
  {
    version: 10,
    name: 'service hours overrides and holiday calendar',
    // N15: filled in by the service-hours work (placeholder while it is built).
    up: `SELECT 1;`,
  },
  {
    version: 11,
    name: 'flow versions',
    // Flow versions: filled in by the flow-versions work (placeholder while it is built).
    up: `SELECT 1;`,
  },
  {
    version: 12,
    name: 'recordings',
    // N14 recording: filled in by the recording work (placeholder while it is built).
    up: `SELECT 1;`,
  },
];

export interface RunMigrationsOptions {
  migrations?: readonly Migration[];
  /** The time recorded for each migration applied (epoch ms); the system clock when omitted. */
  now?: () => number;
}

/**
 * Applies the migrations not yet recorded in schema_migrations, each in its own transaction.
 * Returns the versions applied by this call (empty when the schema is current).
 */
export function runMigrations(db: Database, options: RunMigrationsOptions = {}): number[] {
  const { migrations = MIGRATIONS, now = () => systemClock.now() } = options;
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`migration list is out of order: entry ${i} has version ${m.version}, expected ${i + 1}`);
    }
  });

  db.exec(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    )
  `);

  const current = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  const known = migrations.length;
  if ((current.v ?? 0) > known) {
    // Running an older build against a newer database would write rows the schema no longer fits.
    throw new Error(`database schema is at version ${current.v}, this build knows up to ${known}; upgrade the controller`);
  }

  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const m of migrations) {
    // IMMEDIATE takes the write lock before the check, so two processes opening the same file
    // at once cannot both apply a migration.
    db.transaction(() => {
      if (isApplied.get(m.version) !== undefined) return;
      db.exec(m.up);
      record.run(m.version, m.name, now());
      applied.push(m.version);
    }).immediate();
  }
  return applied;
}
