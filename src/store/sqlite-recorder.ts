// The Recorder backed by SQLite. Calls never wait for the disk and never see a store error:
// rows go to an in-memory buffer that is written in one transaction per batch. Time and the
// flush timer come from the Clock; the timer's signal is the recorder's own, aborted by close().
import BetterSqlite3 from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { Database } from './db-types.js';
import { EVENT_RULES, type CallEnd, type CallStart, type EventData, type EventType, type Recorder } from './events.js';

export interface SqliteRecorderOptions {
  logger: Pick<Logger, 'error' | 'warn'>;
  /** Stamps events recorded without a time, and runs the flush and retry timer. */
  clock: Pick<Clock, 'now' | 'timer'>;
  /** How long a row may wait in the buffer before it is written. */
  flushIntervalMs?: number;
  /** Buffer size that triggers an immediate write. */
  maxBatch?: number;
  /**
   * Rows kept while the database refuses writes. Beyond it the oldest rows are dropped (and
   * counted): an outage must not grow the process's memory without limit.
   */
  maxBuffered?: number;
}

export interface RecorderStats {
  buffered: number;
  written: number;
  batches: number;
  failures: number;
  /** Rows dropped because the buffer was full during an outage. */
  dropped: number;
  /** Rows the schema refused (a constraint failed): they can never be written, so they are logged and skipped. */
  rejected: number;
}

export interface SqliteRecorder extends Recorder {
  stats(): RecorderStats;
}

// Flat rows, so that a logged row keeps `caller`/`called` one level down, where the logger masks them.
type Row =
  | { kind: 'call.start'; id: string; channelId: string; caller: string; called: string; startedAt: number; flowVersion: number | null }
  | { kind: 'call.answer'; callId: string; answeredAt: number; delayMs: number }
  | {
      kind: 'call.end';
      callId: string;
      endedAt: number;
      hangupBy: CallEnd['hangupBy'];
      hangupCause: number | null;
      outcome: string;
      maxGapMs: number | null;
      maxDeadAirMs: number | null;
    }
  | { kind: 'event'; callId: string; ts: number; type: EventType; rule: string | null; data: string }
  | StepRow;

// The facts are serialised when the row is written: a call's later step replaces them in the
// buffer, and only the last one of a batch is worth the JSON.
interface StepRow {
  kind: 'call.step';
  callId: string;
  step: string;
  facts: Readonly<Record<string, unknown>>;
}

const MAX_RETRY_DELAY_MS = 5000;

export function createSqliteRecorder(db: Database, options: SqliteRecorderOptions): SqliteRecorder {
  const { logger, clock } = options;
  const flushIntervalMs = options.flushIntervalMs ?? 50;
  const maxBatch = Math.max(1, options.maxBatch ?? 200);
  const maxBuffered = Math.max(maxBatch, options.maxBuffered ?? 10_000);

  const insertCall = db.prepare(
    // A call adopted after a restart is started again with the same id; the first row wins.
    `INSERT INTO calls (id, channel_id, caller, called, started_at, flow_version)
     VALUES (@id, @channelId, @caller, @called, @startedAt, @flowVersion)
     ON CONFLICT (id) DO NOTHING`,
  );
  const answerCall = db.prepare('UPDATE calls SET answered_at = ?, answer_delay_ms = ? WHERE id = ?');
  const endCall = db.prepare(
    `UPDATE calls SET ended_at = ?, hangup_by = ?, hangup_cause = ?, outcome = ?, max_gap_ms = ?, max_dead_air_ms = ?
     WHERE id = ?`,
  );
  const stepCall = db.prepare('UPDATE calls SET resume_step = ?, resume_facts = ? WHERE id = ?');
  const insertEvent = db.prepare(
    'INSERT INTO call_events (call_id, ts, type, rule, data) VALUES (?, ?, ?, ?, ?)',
  );

  function apply(row: Row): number {
    switch (row.kind) {
      case 'call.start':
        return insertCall.run(row).changes;
      case 'call.answer':
        return answerCall.run(row.answeredAt, row.delayMs, row.callId).changes;
      case 'call.end':
        return endCall.run(
          row.endedAt, row.hangupBy, row.hangupCause, row.outcome, row.maxGapMs, row.maxDeadAirMs, row.callId,
        ).changes;
      case 'event':
        return insertEvent.run(row.callId, row.ts, row.type, row.rule, row.data).changes;
      case 'call.step':
        return stepCall.run(row.step, serialize(row.callId, row.kind, row.facts), row.callId).changes;
    }
  }

  interface BatchResult {
    rejected: { row: Row; err: unknown }[];
    missingCall: Row[];
  }

  const writeBatch = db.transaction((rows: readonly Row[]): BatchResult => {
    const result: BatchResult = { rejected: [], missingCall: [] };
    for (const row of rows) {
      try {
        const changes = apply(row);
        if (changes === 0 && row.kind !== 'call.start' && row.kind !== 'event') result.missingCall.push(row);
      } catch (err) {
        // A constraint failure aborts only its statement; the transaction goes on. Retrying such a
        // row would fail forever and hold back every row behind it, so it is set aside. Any other
        // error (busy, disk full, I/O) rolls the whole batch back to be retried.
        if (err instanceof BetterSqlite3.SqliteError && err.code.startsWith('SQLITE_CONSTRAINT')) {
          result.rejected.push({ row, err });
        } else {
          throw err;
        }
      }
    }
    return result;
  });

  let buffer: Row[] = [];
  // Each call's resume point still in the buffer: a later step of the call updates that row in
  // place, so a call costs one UPDATE per batch however many steps it went through meanwhile.
  const pendingSteps = new Map<string, StepRow>();
  let timer: TimerHandle | undefined;
  // Owned by the recorder: close() aborts it, so no timer outlives the recorder.
  const lifetime = new AbortController();
  let failStreak = 0;
  let dropLogged = false;
  let closed = false;
  const counts = { written: 0, batches: 0, failures: 0, dropped: 0, rejected: 0 };

  function schedule(delayMs: number): void {
    if (timer !== undefined || closed) return;
    timer = clock.timer(delayMs, lifetime.signal, () => {
      timer = undefined;
      try {
        write();
      } catch (err) {
        // write() handles store errors itself; this is a bug, and a timer callback must not throw.
        logger.error({ err }, 'recorder: scheduled write failed');
      }
    });
  }

  function cancelTimer(): void {
    timer?.cancel();
    timer = undefined;
  }

  function write(): boolean {
    if (buffer.length === 0) return true;
    const rows = buffer;
    let result: BatchResult;
    try {
      result = writeBatch(rows);
    } catch (err) {
      failStreak += 1;
      counts.failures += 1;
      // Back off so that a locked or full disk costs a log line every few seconds, not 20 a second.
      const retryMs = Math.min(flushIntervalMs * 2 ** failStreak, MAX_RETRY_DELAY_MS);
      logger.error(
        { err, buffered: rows.length, dropped: counts.dropped, failStreak, retryMs },
        'recorder: write failed; rows kept for the next attempt',
      );
      schedule(retryMs);
      return false;
    }
    // The transaction runs synchronously, so nothing was buffered meanwhile.
    buffer = [];
    pendingSteps.clear();
    counts.batches += 1;
    counts.written += rows.length - result.rejected.length;
    counts.rejected += result.rejected.length;
    if (failStreak > 0) logger.warn({ failStreak, written: rows.length }, 'recorder: writes resumed');
    failStreak = 0;
    dropLogged = false;
    for (const { row, err } of result.rejected) {
      logger.error({ err, row }, 'recorder: row refused by the schema; skipped');
    }
    for (const row of result.missingCall) {
      logger.warn({ row }, 'recorder: update for a call that was never started');
    }
    return true;
  }

  function push(row: Row, urgent: boolean): void {
    buffer.push(row);
    if (buffer.length > maxBuffered) {
      const dropped = buffer.shift();
      if (dropped?.kind === 'call.step' && pendingSteps.get(dropped.callId) === dropped) pendingSteps.delete(dropped.callId);
      counts.dropped += 1;
      if (!dropLogged) {
        dropLogged = true;
        logger.error({ maxBuffered }, 'recorder: buffer full while the database refuses writes; dropping oldest rows');
      }
    }
    if (closed) {
      // After close() there is no timer: write through, so late rows still reach the disk.
      write();
    } else if ((urgent || buffer.length >= maxBatch) && failStreak === 0) {
      // While writes fail, the back-off timer alone retries: a busy database would otherwise
      // block the event loop for busy_timeout on every event.
      write();
    } else {
      schedule(flushIntervalMs);
    }
  }

  function serialize(callId: string, type: EventType | StepRow['kind'], data: unknown): string {
    try {
      const json = JSON.stringify(data);
      if (json !== undefined) return json;
    } catch (err) {
      logger.error({ err, callId, type }, 'recorder: event data is not serializable; stored without it');
      return JSON.stringify({ unserializable: true });
    }
    return 'null';
  }

  return {
    callStarted(call: CallStart): void {
      push(
        {
          kind: 'call.start',
          id: call.id,
          channelId: call.channelId,
          caller: call.caller,
          called: call.called,
          startedAt: call.startedAt,
          flowVersion: call.flowVersion ?? null,
        },
        false,
      );
    },

    callAnswered(callId: string, answeredAt: number, delayMs: number): void {
      push({ kind: 'call.answer', callId, answeredAt, delayMs }, false);
    },

    callEnded(callId: string, end: CallEnd): void {
      // A finished call is complete on disk: reports and the API see it at once.
      push(
        {
          kind: 'call.end',
          callId,
          endedAt: end.endedAt,
          hangupBy: end.hangupBy,
          hangupCause: end.hangupCause,
          outcome: end.outcome,
          maxGapMs: end.maxGapMs,
          maxDeadAirMs: end.maxDeadAirMs,
        },
        true,
      );
    },

    event<T extends EventType>(callId: string, type: T, data: EventData[T], ts?: number): void {
      push(
        { kind: 'event', callId, ts: ts ?? clock.now(), type, rule: EVENT_RULES[type], data: serialize(callId, type, data) },
        false,
      );
    },

    callStep(callId: string, step: string, facts: Readonly<Record<string, unknown>>): void {
      const pending = pendingSteps.get(callId);
      if (pending) {
        pending.step = step;
        pending.facts = facts;
        return;
      }
      const row: StepRow = { kind: 'call.step', callId, step, facts };
      pendingSteps.set(callId, row);
      push(row, false);
    },

    flush(): void {
      cancelTimer();
      // On failure write() has logged it and re-armed the retry timer (none after close()).
      write();
    },

    close(): void {
      cancelTimer();
      if (closed) return;
      closed = true;
      lifetime.abort(new Error('recorder closed'));
      if (!write()) {
        logger.error({ buffered: buffer.length }, 'recorder: closed with rows not written');
      }
    },

    stats(): RecorderStats {
      return { buffered: buffer.length, ...counts };
    },
  };
}
