// N14: recordings are kept for the flow's `recording.retentionDays` and never outlive their
// call row. A daily job (at RUN_AT, hotline time, and once when the controller starts, so a
// controller that was down catches up) deletes the audio of every recording past its retention
// and of every recording whose call row is gone, marks their rows deleted (when, why, by
// 'retention-job'), logs `recording.deleted` on the recording's call, and closes the rows of
// recordings a stopped controller left open. Scheduled on the injected Clock (not node-cron):
// one timer to the next run, so unit tests run days of it on a VirtualClock.
import type { Logger } from 'pino';
import { clockMinutes } from '../calendar/local-time.js';
import type { Clock } from '../clock/clock.js';
import type { EventData, EventType } from '../store/events.js';
import type { RecordingFiles } from './recording-files.js';
import type { RecordingPolicy } from './recording-policy.js';
import type { RecordingRow, RecordingStore } from './recording-store.js';

/** When the daily run starts, in the hotline's time zone: the quiet hours of a hotline. */
export const RUN_AT = '03:30';
const DAY_MS = 86_400_000;
/** The recorder may still hold a new call's row in its buffer: a younger recording is no orphan. */
export const ORPHAN_GRACE_MS = 3_600_000;
/**
 * A recording still marked recording after this long was left by a controller that stopped:
 * Asterisk has ended it (no recording runs longer than recording.maxMinutes' largest value,
 * 600 minutes) and nobody will report its end.
 */
export const STALE_MS = 11 * 3_600_000;
const BATCH = 200;

export interface RetentionJobDeps {
  store: RecordingStore;
  files: RecordingFiles;
  /** The flow in force: its retention (a reload may change it). */
  policy: () => RecordingPolicy;
  /** The hotline's time zone (for RUN_AT). */
  timeZone: () => string;
  /** Logs an event on a call's record. */
  record: <T extends EventType>(callId: string, type: T, data: EventData[T]) => void;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** The service's signal: no run starts after it aborts, and a run in progress stops. */
  signal: AbortSignal;
}

export interface RetentionResult {
  /** Rows left open by a stopped controller, now closed from their files. */
  closed: number;
  /** Deleted: past the retention period. */
  expired: number;
  /** Deleted: their call row is gone. */
  orphaned: number;
  /** Could not be deleted (the file could not be removed): tried again at the next run. */
  failed: number;
}

export class RecordingRetentionJob {
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: RetentionJobDeps) {}

  /** Runs now (catching up), then every day at RUN_AT hotline time. */
  start(): void {
    this.trigger();
  }

  /** Resolves once the run in progress, if any, has ended. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** For the controller's stop: the service's signal stops the loops and the next runs; this waits for the current one. */
  stop(): Promise<void> {
    return this.idle();
  }

  /** Milliseconds from now to the next RUN_AT in the hotline's time zone. */
  msUntilNextRun(): number {
    const { clock } = this.deps;
    const { minutes } = clock.local(this.deps.timeZone());
    const wait = (clockMinutes(RUN_AT) - minutes + 1440) % 1440 || 1440;
    return wait * 60_000 - (clock.now() % 60_000);
  }

  /** One pass: close stale rows, delete expired and orphaned recordings. */
  async runOnce(): Promise<RetentionResult> {
    const { store, clock, logger } = this.deps;
    const now = clock.now();
    const retentionDays = this.deps.policy().retentionDays;
    const result: RetentionResult = { closed: 0, expired: 0, orphaned: 0, failed: 0 };
    for (const row of store.stale(now - STALE_MS, BATCH)) {
      if (await this.close(row)) result.closed += 1;
    }
    const gone = (reason: 'retention' | 'orphan', next: (limit: number) => RecordingRow[]) =>
      this.deleteAll(reason, next, () => (reason === 'retention' ? (result.expired += 1) : (result.orphaned += 1)), () => (result.failed += 1));
    await gone('retention', (limit) => store.expired(now - retentionDays * DAY_MS, limit));
    await gone('orphan', (limit) => store.orphaned(now - ORPHAN_GRACE_MS, limit));
    logger.info({ ...result, retentionDays }, 'recording retention: daily run done');
    return result;
  }

  private trigger(): void {
    const { signal, logger } = this.deps;
    if (signal.aborted) return;
    this.running = this.runOnce()
      .catch((err: unknown) => logger.error({ err }, 'recording retention: run failed; trying again at the next run'))
      .finally(() => {
        if (!signal.aborted) this.deps.clock.timer(this.msUntilNextRun(), signal, () => this.trigger());
      });
  }

  /** Deletes what `next` lists, batch by batch, until nothing is left but rows that failed. */
  private async deleteAll(
    reason: 'retention' | 'orphan',
    next: (limit: number) => RecordingRow[],
    deleted: () => void,
    failed: () => void,
  ): Promise<void> {
    const failedIds = new Set<number>();
    for (;;) {
      const batch = next(BATCH + failedIds.size);
      const rows = batch.filter((row) => !failedIds.has(row.id));
      if (rows.length === 0) return;
      for (const row of rows) {
        if (this.deps.signal.aborted) return;
        if (await this.delete(row, reason)) deleted();
        else {
          failedIds.add(row.id);
          failed();
        }
      }
      if (batch.length < BATCH + failedIds.size) return;
    }
  }

  private async delete(row: RecordingRow, reason: 'retention' | 'orphan'): Promise<boolean> {
    const { store, files, clock, logger } = this.deps;
    let file: 'deleted' | 'missing';
    try {
      file = await files.remove(row.name, row.format);
    } catch (err) {
      logger.warn({ err, id: row.id, name: row.name }, 'recording retention: the file could not be deleted');
      return false;
    }
    const by = 'retention-job';
    const marked = store.markDeleted(row.id, { at: clock.now(), reason, by });
    if (marked) this.deps.record(row.callId, 'recording.deleted', { id: row.id, name: row.name, reason, by, file });
    return true;
  }

  /** A row its controller never closed: done if Asterisk left a file, failed if not. */
  private async close(row: RecordingRow): Promise<boolean> {
    const { store, files, clock, logger } = this.deps;
    try {
      const file = await files.inspect(row.name, row.format);
      const closed = store.finish(row.id, {
        endedAt: clock.now(),
        durationMs: file?.durationMs ?? null,
        bytes: file?.bytes ?? null,
        status: file ? 'done' : 'failed',
        cause: file ? null : 'left open by a stopped controller; no file',
      });
      return closed !== undefined;
    } catch (err) {
      logger.warn({ err, id: row.id }, 'recording retention: a stale row could not be closed');
      return false;
    }
  }
}
