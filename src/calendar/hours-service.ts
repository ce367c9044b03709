// N15 as the rest of the controller asks it: "open now?" for a flow, with everything that counts
// put together: the flow's `hours` and calendar lists, the days imported into the store, and the
// operator override in force. The `hours` verb, the callback scheduler (N8) and the HTTP API all
// read the state through this one service, so they cannot disagree. The flow is passed in, not
// held: a call keeps the flow it started with across reloads.
import type { HoursStore, OverrideRow } from './hours-store.js';
import { callbackSchedule, hoursCalendar, serviceState, type HoursCalendar, type HoursStatus } from './service-hours.js';
import type { ServiceHoursConfig } from './service-hours-config.js';

/** What of a flow the hours read (the Flow type satisfies it). */
export interface HoursFlow {
  hotline: { timezone: string; holidays: readonly string[]; workdays: readonly string[] };
  hours?: ServiceHoursConfig;
}

export interface HoursCheck extends HoursStatus {
  /** The operator override in force, when there is one (it decided the state). */
  override: OverrideRow | null;
}

export interface HoursService {
  /** N15: open, closed or holiday at `at`, and the next change. */
  status(at: number, flow: HoursFlow): HoursCheck;
  /**
   * N8: whether callbacks may be dialled at `at` (the `hours.callbacks` schedule, else the
   * service hours). An override counts here too: forcing the hotline closed stops the dialling,
   * forcing it open lets the callbacks go out.
   */
  callbackStatus(at: number, flow: HoursFlow): HoursCheck;
  /** The flow's holidays and make-up workdays merged with the imported ones (the flow file wins a date both name). */
  calendar(flow: HoursFlow): HoursCalendar;
}

/** The service over a store; without one (tools, tests) the flow file alone decides. */
export function createHoursService(store?: Pick<HoursStore, 'days' | 'activeOverride'>): HoursService {
  const calendar = (flow: HoursFlow) => hoursCalendar(flow.hotline, store?.days() ?? []);
  const check = (at: number, flow: HoursFlow, schedule: ServiceHoursConfig): HoursCheck => {
    const override = store?.activeOverride(at) ?? null;
    return { ...serviceState(at, schedule, calendar(flow), override), override };
  };
  return {
    status: (at, flow) => check(at, flow, flow.hours),
    callbackStatus: (at, flow) => check(at, flow, callbackSchedule(flow.hours)),
    calendar,
  };
}
