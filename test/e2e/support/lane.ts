// End-to-end files run in parallel on one sandbox Asterisk, each in its own lane: its own ARI
// application for the controller, its own application for the scripted callers and its own
// entry context, generated exactly like the real entry (src/asterisk/render-config.ts
// entryContext). Files that need the real entry (SIP callers, the demo's default application)
// run alone afterwards (vitest.config.ts: the e2e-alone project) and use the generated `hotline`
// application and `hotline-inbound`.
//
// A file's process claims a free lane with a lock file (created exclusively, holding its pid;
// a lock whose process is gone is taken over), held until the process exits. Vitest's
// VITEST_POOL_ID is not used: after another project has run, two concurrent workers were seen to
// get the same id, and two controllers on one application take each other's calls.
import { closeSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Entry contexts installed by the global setup; more than the e2e project's workers, so two runs can share the sandbox. */
export const MAX_LANES = 8;

const LOCKS = join(process.env.HOTLINE_SANDBOX_CACHE ?? '/var/cache/hotline-sandbox', 'run', 'e2e-lanes');

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

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes lane n when it is free, or when its holder is gone; true when this process holds it now.
 * A dead holder's lock is taken over through a file named after that holder, created
 * exclusively and never removed during the run: of the processes that found the same dead
 * holder, exactly one creates it (unlinking the lock and creating it again would let two
 * processes that both read the dead holder each think the lane is theirs).
 */
function tryClaim(n: number): boolean {
  const file = join(LOCKS, `lane-${n}.lock`);
  const hold = () => {
    process.once('exit', () => {
      try {
        if (Number(readFileSync(file, 'utf8').trim()) === process.pid) unlinkSync(file);
      } catch {
        // Already gone.
      }
    });
    return true;
  };
  // The lock appears with its pid already in it: written to a private file, then linked into
  // place (link fails if the lock exists). Creating it empty and writing the pid afterwards let
  // another process read "" in between, take it for a dead holder and share the lane.
  const mine = join(LOCKS, `lane-${n}.${process.pid}.tmp`);
  writeFileSync(mine, String(process.pid));
  try {
    linkSync(mine, file);
    return hold();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(mine, { force: true });
  }
  const holder = Number(readFileSync(file, 'utf8').trim());
  if (holder === process.pid) return true;
  // A lock is never seen without a pid (see above); anything unreadable counts as held.
  if (!(Number.isInteger(holder) && holder > 0) || alive(holder)) return false;
  try {
    closeSync(openSync(join(LOCKS, `lane-${n}.taken-from-${holder}`), 'wx'));
  } catch {
    return false; // another process took this lane over from the same dead holder
  }
  // Replaced by rename, so a reader sees the old pid or the new one, never an empty file.
  writeFileSync(mine, String(process.pid));
  renameSync(mine, file);
  return hold();
}

/** Locks of processes that are gone (a run killed midway), cleared before a run starts. */
export function clearDeadLanes(): void {
  mkdirSync(LOCKS, { recursive: true });
  for (const name of readdirSync(LOCKS)) {
    const path = join(LOCKS, name);
    // lane-N.lock holds its pid; lane-N.taken-from-PID and lane-N.PID.tmp name theirs.
    const pid = Number(name.endsWith('.lock') ? readFileSync(path, 'utf8').trim() : (/(?:taken-from-|\.)(\d+)(?:\.tmp)?$/.exec(name)?.[1] ?? NaN));
    if (!(Number.isInteger(pid) && pid > 0 && alive(pid))) rmSync(path, { force: true });
  }
}

let claimed: Lane | undefined;

/** The lane of this file: a claimed lane in the parallel project, the real entry in e2e-alone. */
export function currentLane(): Lane {
  if (process.env.HOTLINE_E2E_ALONE === '1') return REAL_ENTRY;
  if (claimed) return claimed;
  mkdirSync(LOCKS, { recursive: true });
  for (let n = 1; n <= MAX_LANES; n++) {
    if (tryClaim(n)) return (claimed = laneNames(n));
  }
  throw new Error(`all ${MAX_LANES} e2e lanes are held by running processes (${LOCKS}); stop the other test runs`);
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
