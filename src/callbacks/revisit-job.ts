// N16: "a daily job schedules revisit calls for resolved complaints". Once a day, at the flow's
// `callbacks.revisit.time` in the hotline's time zone, it takes the complaints (tickets of the
// revisit group) resolved since its last run and stores for each one a callback with reason
// `revisit`, due `afterHours` after the resolution, once per ticket (revisit-store's unique key).
// The callback scheduler dials it like any other callback, inside the callback hours (a revisit
// that falls due at night moves to the next opening, N15), and the callee starts at the revisit
// greeting. The job has no timer of its own: the scheduler's tick (node-cron, every second) asks
// it whether a run is due, so the only node-cron task stays the scheduler's, a controller that
// was down at that time catches up at its first tick, and unit tests drive it on a VirtualClock.
// A run handles BATCH complaints per tick, so a long list never holds up the calls' event loop.
import type { Logger } from 'pino';
import { nextWallClock } from '../calendar/local-time.js';
import type { Flow } from '../flow/schema.js';
import type { EventData, EventType } from '../store/events.js';
import { checkCallbackNumber } from './number-policy.js';
import type { RevisitStore } from './revisit-store.js';

const HOUR_MS = 3_600_000;
/** The first run ever looks back one day. */
const FIRST_LOOKBACK_MS = 24 * HOUR_MS;

export interface RevisitJobDeps {
  store: RevisitStore;
  /** Logs an event on a call's record (the call that created the ticket). */
  record: <T extends EventType>(callId: string, type: T, data: EventData[T]) => void;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** The service's signal: no run starts after it aborts. */
  signal: AbortSignal;
}

export interface RevisitRunResult {
  /** The run looks at resolutions from here… */
  since: number;
  /** …to here (the time it started). */
  until: number;
  scheduled: number;
  skipped: number;
  /** False while complaints are left for the next ticks (BATCH at a time). */
  done: boolean;
}

/**
 * Complaints handled per tick: each is a small immediate transaction (about 0.14 ms on a file
 * database), and the tick runs on the event loop that plays every call's prompts. A long list
 * (after a controller was down for days) goes out over a few seconds instead of one long pause.
 */
export const BATCH = 50;

export class RevisitJob {
  /** The last run (from the store once, then kept); undefined until read. */
  private last: number | null | undefined;
  /** When the next run is due, for the settings it was computed with. */
  private next: { key: string; at: number } | undefined;
  /** The run under way, when its complaints did not fit in one tick. */
  private current: RevisitRunResult | undefined;

  constructor(private readonly deps: RevisitJobDeps) {}

  /**
   * Runs when a run is due at `now` (the daily time has passed since the last run), or goes on
   * with the run under way; else does nothing.
   */
  runIfDue(now: number, flow: Flow): RevisitRunResult | undefined {
    const config = flow.callbacks.revisit;
    if (!config || this.deps.signal.aborted) return undefined;
    if (this.current) return this.runOnce(now, flow);
    this.last ??= this.deps.store.lastRun();
    const last = this.last;
    // Never run: at once (a new installation, or the first start after an upgrade).
    if (last !== null) {
      const key = `${config.time}|${flow.hotline.timezone}|${last}`;
      if (this.next?.key !== key) this.next = { key, at: nextWallClock(last, config.time, flow.hotline.timezone) };
      if (now < this.next.at) return undefined;
    }
    return this.runOnce(now, flow);
  }

  /**
   * A run, BATCH complaints at a time: every complaint resolved since the last run, up to the
   * time this run started, gets its revisit once. The run is noted (and the next one looks from
   * its start) when nothing is left.
   */
  runOnce(now: number, flow: Flow): RevisitRunResult | undefined {
    const config = flow.callbacks.revisit;
    if (!config) return undefined;
    const { store, record, logger } = this.deps;
    this.last ??= store.lastRun();
    const run = (this.current ??= { since: this.last ?? now - FIRST_LOOKBACK_MS, until: now, scheduled: 0, skipped: 0, done: false });
    const batch = store.resolvedComplaints(config.group, run.since, run.until, BATCH);
    for (const complaint of batch) {
      const on = complaint.callId ?? `ticket-${complaint.ticket}`;
      // N7: a revisit calls the number that raised the complaint, if the hotline may call it.
      const checked = checkCallbackNumber(complaint.caller ?? '', flow.callbacks.allowedPatterns);
      if (!checked.ok) {
        if (store.skip(complaint.ticket, complaint.resolvedAt, checked.reason, now)) {
          run.skipped += 1;
          record(on, 'revisit.skipped', { ticket: complaint.ticket, reason: checked.reason });
        }
        continue;
      }
      const dueAt = Math.max(now, complaint.resolvedAt + config.afterHours * HOUR_MS);
      const row = store.schedule(complaint.ticket, complaint.resolvedAt, {
        callId: complaint.callId,
        number: checked.number,
        reason: 'revisit',
        group: config.group,
        now,
        dueAt,
        ticket: complaint.ticket,
      });
      if (!row) continue; // decided on meanwhile: never twice
      run.scheduled += 1;
      record(on, 'revisit.scheduled', {
        ticket: complaint.ticket,
        callback: row.id,
        resolvedAt: complaint.resolvedAt,
        dueAt: row.nextAttemptAt ?? dueAt,
        promisedBy: row.promisedBy,
        reason: row.reason,
      });
    }
    if (batch.length === BATCH) return { ...run }; // more at the next tick
    run.done = true;
    this.current = undefined;
    store.noteRun({ ranAt: run.until, since: run.since, scheduled: run.scheduled, skipped: run.skipped });
    this.last = run.until;
    logger.info({ since: run.since, scheduled: run.scheduled, skipped: run.skipped, group: config.group }, 'revisits: daily run done');
    return { ...run };
  }
}
