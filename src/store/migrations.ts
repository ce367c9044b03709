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
    // N11: listed numbers, patterns and withheld caller IDs. An entry is never deleted and never
    // changed but for its removal, once (who, why, when): the triggers refuse anything else.
    // blacklist_audit keeps every add, removal and flood block with the entry as it was,
    // append-only. The partial index serves the per-call lookup of a number's entry.
    up: `
      CREATE TABLE blacklist (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        kind           TEXT NOT NULL CHECK (kind IN ('exact', 'pattern', 'anonymous')),
        value          TEXT NOT NULL CHECK ((kind = 'anonymous') = (value = '')),
        reason         TEXT NOT NULL,
        added_by       TEXT NOT NULL,
        created_at     INTEGER NOT NULL,
        expires_at     INTEGER,
        removed_at     INTEGER,
        removed_by     TEXT,
        removed_reason TEXT
      );
      CREATE INDEX blacklist_in_force ON blacklist (kind, value) WHERE removed_at IS NULL;
      CREATE TRIGGER blacklist_no_delete BEFORE DELETE ON blacklist
      BEGIN
        SELECT RAISE(ABORT, 'blacklist entries are kept: mark them removed');
      END;
      CREATE TRIGGER blacklist_removal_only BEFORE UPDATE ON blacklist
      WHEN OLD.removed_at IS NOT NULL
        OR NEW.id IS NOT OLD.id OR NEW.kind IS NOT OLD.kind OR NEW.value IS NOT OLD.value
        OR NEW.reason IS NOT OLD.reason OR NEW.added_by IS NOT OLD.added_by
        OR NEW.created_at IS NOT OLD.created_at OR NEW.expires_at IS NOT OLD.expires_at
      BEGIN
        SELECT RAISE(ABORT, 'a blacklist entry changes only by its removal, once');
      END;

      CREATE TABLE blacklist_audit (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        entry_id   INTEGER NOT NULL REFERENCES blacklist (id),
        action     TEXT NOT NULL CHECK (action IN ('add', 'remove', 'auto-add')),
        at         INTEGER NOT NULL,
        by         TEXT NOT NULL,
        reason     TEXT NOT NULL,
        kind       TEXT NOT NULL,
        value      TEXT NOT NULL,
        expires_at INTEGER
      );
      CREATE INDEX blacklist_audit_entry ON blacklist_audit (entry_id, id);
      ${appendOnly('blacklist_audit')}
    `,
  },
  {
    version: 10,
    name: 'service hours overrides and holiday calendar',
    // N15: holidays and make-up workdays imported from iCalendar files, one row per local date
    // (merged with the flow file's lists, which win); a removed day keeps its row (removed_at).
    // Operator overrides (force open or closed until expires_at) are an audit trail: rows are
    // never deleted, and the one change allowed is clearing an override still in force, once.
    up: `
      CREATE TABLE calendar_days (
        date        TEXT PRIMARY KEY CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
        kind        TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
        name        TEXT NOT NULL DEFAULT '',
        source      TEXT NOT NULL,
        imported_at INTEGER NOT NULL,
        removed_at  INTEGER
      );

      CREATE TABLE hours_overrides (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        state      TEXT NOT NULL CHECK (state IN ('open', 'closed')),
        reason     TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL CHECK (expires_at > created_at),
        cleared_at INTEGER,
        cleared_by TEXT,
        CHECK ((cleared_at IS NULL) = (cleared_by IS NULL))
      );
      CREATE INDEX hours_overrides_in_force ON hours_overrides (expires_at) WHERE cleared_at IS NULL;
      CREATE TRIGGER hours_overrides_no_delete BEFORE DELETE ON hours_overrides
      BEGIN
        SELECT RAISE(ABORT, 'hours_overrides keeps every override: DELETE is not allowed');
      END;
      CREATE TRIGGER hours_overrides_clear_only BEFORE UPDATE ON hours_overrides
      WHEN OLD.cleared_at IS NOT NULL OR NEW.cleared_at IS NULL OR NEW.id IS NOT OLD.id
        OR NEW.state IS NOT OLD.state OR NEW.reason IS NOT OLD.reason OR NEW.created_by IS NOT OLD.created_by
        OR NEW.created_at IS NOT OLD.created_at OR NEW.expires_at IS NOT OLD.expires_at
      BEGIN
        SELECT RAISE(ABORT, 'hours_overrides keeps every override: only clearing one still in force is allowed');
      END;
    `,
  },
  {
    version: 11,
    name: 'flow versions',
    // Every flow that loads is kept. Two tables, because two readers want different things: a
    // call row wants one stable id per content (the same text loaded twice is the same version,
    // so "which calls ran this flow" is one id), an operator wants every load event (who put
    // which text in force, when, how). flow_versions holds each distinct text once, by its
    // sha-256, with how it first came in; flow_loads has a row per load (start, SIGHUP, API).
    // Both are append-only (N14): a version's text and a load's facts never change.
    // calls.flow_version has no foreign key, like call_events.call_id: a call row must never be
    // refused over its version. The column is named by_whom: BY is an SQL keyword.
    up: `
      CREATE TABLE flow_versions (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        hash      TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
        content   TEXT NOT NULL,
        source    TEXT NOT NULL,
        loaded_at INTEGER NOT NULL,
        loaded_by TEXT NOT NULL CHECK (loaded_by IN ('start', 'sighup', 'api')),
        by_whom   TEXT,
        note      TEXT
      );

      CREATE TABLE flow_loads (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        version   INTEGER NOT NULL REFERENCES flow_versions (id),
        source    TEXT NOT NULL,
        loaded_at INTEGER NOT NULL,
        loaded_by TEXT NOT NULL CHECK (loaded_by IN ('start', 'sighup', 'api')),
        by_whom   TEXT,
        note      TEXT
      );
      CREATE INDEX flow_loads_version ON flow_loads (version, id);

      ${appendOnly('flow_versions')}
      ${appendOnly('flow_loads')}

      ALTER TABLE calls ADD COLUMN flow_version INTEGER;
    `,
  },
  {
    version: 12,
    name: 'recordings',
    // N14: one row per recording, linked to its call: the file's name in Asterisk's recording
    // directory, what was recorded (mode, who, the agent), when and how long, and its end:
    // done, failed, or deleted (when, why, by whom; the row stays as the audit of the file).
    // call_id has no foreign key: the calls row is written by the batching recorder and can sit
    // in its buffer when the recording starts; the daily retention job deletes recordings whose
    // call row is gone instead, so a recording never outlives its call.
    up: `
      CREATE TABLE recordings (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        call_id       TEXT NOT NULL,
        name          TEXT NOT NULL UNIQUE,
        format        TEXT NOT NULL,
        mode          TEXT NOT NULL CHECK (mode IN ('call', 'agent')),
        who           TEXT NOT NULL CHECK (who IN ('caller', 'caller+agent')),
        agent         TEXT,
        started_at    INTEGER NOT NULL,
        ended_at      INTEGER,
        duration_ms   INTEGER,
        bytes         INTEGER,
        status        TEXT NOT NULL DEFAULT 'recording' CHECK (status IN ('recording', 'done', 'failed', 'deleted')),
        cause         TEXT,
        deleted_at    INTEGER,
        delete_reason TEXT,
        deleted_by    TEXT
      );
      CREATE INDEX recordings_call ON recordings (call_id, id);
      CREATE INDEX recordings_status ON recordings (status, started_at);
    `,
  },
  {
    version: 13,
    name: 'callback language',
    // N18: a callback greets the callee in the language of the call that asked for it (null:
    // the flow's language, as for requests made before this column).
    up: `ALTER TABLE callbacks ADD COLUMN language TEXT;`,
  },
  {
    version: 14,
    name: 'revisits of resolved complaints',
    // N16: the daily job calls back the callers of resolved complaints. callbacks.ticket is the
    // ticket a callback is about (the whisper and the revisit's survey name it). revisits has
    // one row per ticket the job ever decided on, its primary key the "never twice": a ticket
    // resolved, reopened and resolved again is revisited once. A row has its callback, or why
    // there is none (skipped: a number the hotline may not call back). revisit_runs logs each
    // daily run (up to when it looked, from when, what it did); the next run looks from there.
    // ticket_history_status serves "resolved since the last run". Both tables are append-only.
    up: `
      ALTER TABLE callbacks ADD COLUMN ticket TEXT;
      CREATE TABLE revisits (
        ticket       TEXT PRIMARY KEY REFERENCES tickets (number),
        callback_id  INTEGER REFERENCES callbacks (id),
        skipped      TEXT,
        resolved_at  INTEGER NOT NULL,
        scheduled_at INTEGER NOT NULL,
        CHECK ((callback_id IS NULL) <> (skipped IS NULL))
      );
      ${appendOnly('revisits')}
      CREATE TABLE revisit_runs (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        ran_at    INTEGER NOT NULL,
        since     INTEGER NOT NULL,
        scheduled INTEGER NOT NULL,
        skipped   INTEGER NOT NULL
      );
      ${appendOnly('revisit_runs')}
      CREATE INDEX ticket_history_status ON ticket_history (status, at);
    `,
  },
  {
    version: 15,
    name: 'caller calls covering indexes',
    // N12 asks once per call how often the number called today and the group of its newest
    // earlier call that reached an agent. On (caller, started_at) alone the count read every
    // matching row from the table (for call_id <> ?) and the group query sorted every one of
    // them (ORDER BY started_at DESC, call_id DESC): a number that calls all day (the load
    // bench's one SIPp caller) made each call dearer than the last. The count now reads the
    // index alone; the group query walks the partial index of calls that reached an agent,
    // newest first, and stops at the first.
    up: `
      DROP INDEX caller_calls_caller;
      CREATE INDEX caller_calls_caller ON caller_calls (caller, started_at, call_id);
      CREATE INDEX caller_calls_grouped ON caller_calls (caller, started_at, call_id)
        WHERE grp IS NOT NULL AND grp <> '';
    `,
  },
  {
    version: 16,
    name: 'resume point of a live call',
    // An adopted call (the controller crashed or restarted) resumes where it was, not at the
    // flow's first step: the step it last entered, and the facts its later steps read (language,
    // menu keys, ticket, recording consent, group, agent) as JSON. Columns of the calls row,
    // updated through the batching recorder: one statement per batch and call at most, no event
    // row per step (issue 12 counts CPU per call).
    up: `
      ALTER TABLE calls ADD COLUMN resume_step TEXT;
      ALTER TABLE calls ADD COLUMN resume_facts TEXT CHECK (resume_facts IS NULL OR json_valid(resume_facts));
    `,
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
