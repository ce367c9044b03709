// Puts flows in force, one at a time (issue 11): the flow loaded at start, a reload of the file
// (SIGHUP), a text posted to the API. Each is parsed off the main thread (live calls are not
// held up), recorded as a version with its load event, then swapped in one step through
// `apply`; calls in progress keep the flow object they started with. Anything that fails
// (a FlowError with every issue, a worker that dies, the store, the file) changes nothing.
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock/clock.js';
import { flowHash, type FlowLoad, type FlowLoadedBy, type FlowVersionRef, type FlowVersionStore, type RecordedLoad } from './flow-version-store.js';
import { deepFreeze, type FlowIssue } from './load-flow.js';
import { readFlowOffThread, type FlowInput } from './load-flow-off-thread.js';
import { scaleTimings } from './scale-timings.js';
import type { Flow } from './schema.js';
import type { ServiceName } from './services.js';

export interface FlowInstallerDeps {
  /** The flow file: reloads read it, an installed text replaces it (so a restart keeps it). */
  flowFile: string;
  promptIds: ReadonlySet<string>;
  services: ReadonlySet<ServiceName>;
  /** FLOW_TIME_SCALE, applied to every flow put in force. */
  timeScale: number;
  store: FlowVersionStore;
  clock: Clock;
  /** The service's signal: a load under way when the controller stops is dropped. */
  signal: AbortSignal;
  logger: Pick<Logger, 'info'>;
  /** Warnings of each flow put in force (steps nothing reaches), for the operator's log. */
  onWarning: (warning: FlowIssue) => void;
  /** Puts a checked, versioned flow in force, in one synchronous step. */
  apply: (flow: Flow) => void;
}

export interface InstallOptions {
  /** Who (the API's `by`), kept with the load. */
  by?: string;
  note?: string;
  /** Only validate: nothing is written, stored or swapped. */
  dryRun?: boolean;
}

export interface InstallResult {
  dryRun: boolean;
  /** The version id (for a dry run: of the same text loaded before, else null). */
  version: number | null;
  hash: string;
  /** A new version row was added (never on a dry run). */
  created: boolean;
  /** The load event (null on a dry run). */
  load: FlowLoad | null;
  warnings: FlowIssue[];
}

export interface RunningFlow {
  version: FlowVersionRef;
  /** The load event that put it in force. */
  load: FlowLoad;
}

export interface FlowInstaller {
  /**
   * Records the flow loaded at start (in the main thread, before the database opened) and
   * returns it with its version; `text` is what was parsed.
   */
  started(flow: Flow, text: string): Flow;
  /** Loads the flow file again; on error the running flow stays and the promise rejects. */
  reload(loadedBy: Exclude<FlowLoadedBy, 'start'>, who?: Pick<InstallOptions, 'by' | 'note'>): Promise<Flow>;
  /**
   * Validates a flow text with the loader's checks (issues name the flow file), then writes it
   * to the flow file, records it and puts it in force. A FlowError rejects and changes nothing.
   */
  install(text: string, options?: InstallOptions): Promise<InstallResult>;
  /** The flow in force, as recorded. */
  running(): RunningFlow;
}

export function createFlowInstaller(deps: FlowInstallerDeps): FlowInstaller {
  const { flowFile, store, clock } = deps;
  let current: RunningFlow | undefined;
  // One load at a time: two posts (or a post and a SIGHUP) cannot interleave their check, file
  // write and swap. A failed one does not stop the next.
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const run = tail.then(job, job);
    tail = run.catch(() => undefined);
    return run;
  };

  const check = (input: FlowInput, logWarnings: boolean) =>
    readFlowOffThread(
      input,
      deps.promptIds,
      { services: deps.services, ...(logWarnings ? { onWarning: deps.onWarning } : {}) },
      { clock, signal: deps.signal },
    );

  /** Scales, stamps and swaps a recorded flow in. */
  function put(flow: Flow, recorded: RecordedLoad): Flow {
    const next = deepFreeze({ ...scaleTimings(flow, deps.timeScale), version: recorded.version });
    deps.apply(next);
    current = { version: recorded.version, load: recorded.load };
    return next;
  }

  return {
    started(flow, text) {
      const recorded = store.record({ content: text, source: flowFile, loadedBy: 'start', at: clock.now() });
      // Already scaled by whoever loaded it: only the version is added.
      const next = deepFreeze({ ...flow, version: recorded.version });
      current = { version: recorded.version, load: recorded.load };
      return next;
    },

    reload(loadedBy, who = {}) {
      return serial(async () => {
        const loaded = await check({ file: flowFile }, true);
        const recorded = store.record({ content: loaded.text, source: flowFile, loadedBy, by: who.by, note: who.note, at: clock.now() });
        const flow = put(loaded.flow, recorded);
        deps.logger.info({ flow: flowFile, version: recorded.version.id, loadedBy }, 'flow reloaded');
        return flow;
      });
    },

    install(text, options = {}) {
      return serial(async () => {
        const dryRun = options.dryRun === true;
        // Parsed as the flow file: the issues read file:line like the loader's at start.
        const loaded = await check({ text, source: flowFile }, !dryRun);
        if (dryRun) {
          const hash = flowHash(text);
          const known = store.findByHash(hash);
          return { dryRun, version: known?.id ?? null, hash, created: false, load: null, warnings: loaded.warnings };
        }
        // The file is replaced inside the store's transaction: if either fails, neither changed.
        const recorded = store.record(
          { content: text, source: 'api', loadedBy: 'api', by: options.by, note: options.note, at: clock.now() },
          { alongside: () => writeFileAtomic(flowFile, text) },
        );
        put(loaded.flow, recorded);
        deps.logger.info({ flow: flowFile, version: recorded.version.id, created: recorded.created, by: options.by }, 'flow installed');
        return {
          dryRun,
          version: recorded.version.id,
          hash: recorded.version.hash,
          created: recorded.created,
          load: recorded.load,
          warnings: loaded.warnings,
        };
      });
    },

    running() {
      if (!current) throw new Error('no flow has been recorded yet (started() comes first)');
      return current;
    },
  };
}

/**
 * Replaces the file's content in one step: a temp file in the same folder, flushed to disk, then
 * renamed over it, so a crash leaves the old flow or the new one, never half of one. A symlinked
 * flow file keeps its link (the file it points at is replaced) and its permissions.
 */
export function writeFileAtomic(file: string, text: string): void {
  let target = path.resolve(file);
  try {
    target = realpathSync(target);
  } catch {
    // Not there yet: written where it was named.
  }
  let mode = 0o644;
  try {
    mode = statSync(target).mode & 0o777;
  } catch {
    // A new file gets the default.
  }
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}.tmp`);
  try {
    const fd = openSync(temp, 'wx', mode);
    try {
      writeFileSync(fd, text, 'utf8');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
