// N16: "a daily job schedules revisit calls for resolved complaints". Once a day, at the flow's
// `callbacks.revisit.time` in the hotline's time zone, it takes the complaints (tickets of the
// revisit group) resolved since its last run and stores for each one a callback with reason
// `revisit`, due `afterHours` after the resolution, once per ticket (revisit-store's unique key).
// The callback scheduler dials it like any other callback, inside the callback hours (a revisit
// that falls due at night moves to the next opening, N15), and the callee starts at the revisit
// greeting. The job has no timer of its own: the scheduler's tick (node-cron, every second) asks
// it whether a run is due, so the only node-cron task stays the scheduler's, a controller that
// was down at that time catches up at its first tick, and unit tests drive it on a VirtualClock.
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
  since: number;
  scheduled: number;
  skipped: number;
}

export class RevisitJob {
  /** The last run (from the store once, then kept); undefined until read. */
  private last: number | null | undefined;
  /** When the next run is due, for the settings it was computed with. */
  private next: { key: string; at: number } | undefined;

  constructor(private readonly deps: RevisitJobDeps) {}

  /** Runs when a run is due at `now` (the daily time has passed since the last run); else does nothing. */
  runIfDue(now: number, flow: Flow): RevisitRunResult | undefined {
    const config = flow.callbacks.revisit;
    if (!config || this.deps.signal.aborted) return undefined;
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

  /** One run: every complaint resolved since the last run gets its revisit, once. */
  runOnce(now: number, flow: Flow): RevisitRunResult | undefined {
    const config = flow.callbacks.revisit;
    if (!config) return undefined;
    const { store, record, logger } = this.deps;
    this.last ??= store.lastRun();
    const since = this.last ?? now - FIRST_LOOKBACK_MS;
    let scheduled = 0;
    let skipped = 0;
    for (const complaint of store.resolvedComplaints(config.group, since, now)) {
      const on = complaint.callId ?? `ticket-${complaint.ticket}`;
      // N7: a revisit calls the number that raised the complaint, if the hotline may call it.
      const checked = checkCallbackNumber(complaint.caller ?? '', flow.callbacks.allowedPatterns);
      if (!checked.ok) {
        skipped += 1;
        record(on, 'revisit.skipped', { ticket: complaint.ticket, reason: checked.reason });
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
      if (!row) continue; // scheduled meanwhile: never twice
      scheduled += 1;
      record(on, 'revisit.scheduled', {
        ticket: complaint.ticket,
        callback: row.id,
        resolvedAt: complaint.resolvedAt,
        dueAt: row.nextAttemptAt ?? dueAt,
        promisedBy: row.promisedBy,
        reason: row.reason,
      });
    }
    store.noteRun({ ranAt: now, since, scheduled, skipped });
    this.last = now;
    logger.info({ since, scheduled, skipped, group: config.group }, 'revisits: daily run done');
    return { since, scheduled, skipped };
  }
}
