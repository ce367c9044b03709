// End-to-end files run in parallel on one sandbox Asterisk, each in its own lane: a vitest worker
// (VITEST_POOL_ID) runs one file at a time, and its lane has its own ARI application for the
// controller, its own application for the scripted callers and its own entry context, generated
// exactly like the real entry (src/asterisk/render-config.ts entryContext). Files that need the
// real entry (SIP callers, the demo's default application) run alone afterwards (vitest.config.ts:
// the e2e-alone project) and use the generated `hotline` application and `hotline-inbound`.
export const MAX_LANES = 4;

/** This worker's lane, 1..MAX_LANES. */
export function laneNumber(): number {
  const id = Number(process.env.VITEST_POOL_ID ?? '1');
  if (!Number.isInteger(id) || id < 1 || id > MAX_LANES) {
    throw new Error(`VITEST_POOL_ID ${process.env.VITEST_POOL_ID} is outside the ${MAX_LANES} lanes: keep maxWorkers of the e2e project at ${MAX_LANES} or less`);
  }
  return id;
}

export interface Lane {
  /** The controller's ARI application (ARI_APP). */
  app: string;
  /** The scripted callers' ARI application. */
  callerApp: string;
  /** The entry context callers dial the hotline number in. */
  context: string;
}

export function laneNames(n: number): Lane {
  return { app: `hotline-lane-${n}`, callerApp: `hotline-test-caller-${n}`, context: `hotline-lane-${n}` };
}

/** The generated entry and the default application, as a caller from outside the tests meets them. */
export const REAL_ENTRY: Lane = { app: 'hotline', callerApp: 'hotline-test-caller', context: 'hotline-inbound' };

/** The lane of this file: its own names in the parallel project, the real entry in e2e-alone. */
export function currentLane(): Lane {
  if (process.env.HOTLINE_E2E_ALONE === '1') return REAL_ENTRY;
  return laneNames(laneNumber());
}

/**
 * Hangs up whatever an earlier file left in this lane (its controller's and its callers'
 * channels), so the next controller does not adopt it; other lanes' calls are not touched.
 */
export async function clearLane(callers: { rest(method: string, path: string): Promise<unknown> }): Promise<void> {
  const lane = currentLane();
  const channels = (await callers.rest('GET', '/channels')) as Array<{ id: string; dialplan?: { context?: string; app_name?: string; app_data?: string } }>;
  const ours = channels.filter(({ dialplan }) => {
    const app = dialplan?.app_name === 'Stasis' ? (dialplan.app_data ?? '').split(',')[0] : undefined;
    return app === lane.app || app === lane.callerApp || dialplan?.context === lane.context;
  });
  await Promise.all(ours.map((c) => callers.rest('DELETE', `/channels/${c.id}`).catch(() => undefined)));
}
