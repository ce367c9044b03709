// A flow reload (SIGHUP) and a flow posted to the API are parsed in a worker thread: parsing
// is synchronous and a large flow takes hundreds of milliseconds (measured: 0.22 s for a
// 256 KB flow, the largest the loader accepts), during which the event loop — every live
// call's prompts, keys and timers — would stand still. The main thread only receives the
// checked flow (or the FlowError with every issue) and freezes it. Start-up still loads in
// the main thread: no call is live yet.
import { Worker } from 'node:worker_threads';
import type { Clock } from '../clock/clock.js';
import type { FlowInput, FlowLoadJob } from './flow-load-job.js';
import { deepFreeze, FlowError, type FlowIssue, type LoadOptions } from './load-flow.js';
import type { Flow } from './schema.js';

/** A worker that has not answered by then is stopped and the reload refused. */
const LOAD_LIMIT_MS = 20_000;

type Reply =
  | { ok: true; flow: Flow; text: string; warnings: FlowIssue[] }
  | { ok: false; file?: string; issues?: FlowIssue[]; message?: string; warnings: FlowIssue[] };

export interface OffThreadDeps {
  clock: Clock;
  /** The service's signal: a reload under way when the controller stops is dropped. */
  signal: AbortSignal;
}

export type { FlowInput } from './flow-load-job.js';

/** A checked flow with the text it was parsed from and its warnings. */
export interface LoadedFlow {
  flow: Flow;
  text: string;
  warnings: FlowIssue[];
}

export function loadFlowOffThread(
  file: string,
  promptIds: ReadonlySet<string>,
  options: Pick<LoadOptions, 'services' | 'onWarning'>,
  deps: OffThreadDeps,
): Promise<Flow> {
  return readFlowOffThread({ file }, promptIds, options, deps).then((loaded) => loaded.flow);
}

/** Like loadFlowOffThread, for a file or a text, keeping the text parsed and the warnings. */
export function readFlowOffThread(
  input: FlowInput,
  promptIds: ReadonlySet<string>,
  options: Pick<LoadOptions, 'services' | 'onWarning'>,
  deps: OffThreadDeps,
): Promise<LoadedFlow> {
  const job: FlowLoadJob = {
    input,
    promptIds: [...promptIds],
    ...(options.services ? { services: [...options.services] } : {}),
  };
  return new Promise<LoadedFlow>((resolve, reject) => {
    const worker = new Worker(new URL('./flow-load-worker.mjs', import.meta.url), { workerData: job });
    const life = new AbortController();
    const onStop = () => finish(() => reject(new Error('the controller stopped during a flow reload')));
    const finish = (settle: () => void) => {
      if (life.signal.aborted) return;
      life.abort();
      deps.signal.removeEventListener('abort', onStop);
      void worker.terminate();
      settle();
    };
    worker.once('message', (reply: Reply) =>
      finish(() => {
        if (reply.ok) {
          for (const w of reply.warnings) options.onWarning?.(w);
          resolve({ flow: deepFreeze(reply.flow), text: reply.text, warnings: reply.warnings });
        } else if (reply.issues && reply.file) {
          reject(new FlowError(reply.file, reply.issues, reply.warnings));
        } else {
          reject(new Error(`flow reload failed: ${reply.message ?? 'unknown error'}`));
        }
      }),
    );
    worker.once('error', (err) => finish(() => reject(err)));
    worker.once('exit', (code) => finish(() => reject(new Error(`the flow loader thread exited (code ${code}) without an answer`))));
    deps.clock.timer(LOAD_LIMIT_MS, life.signal, () =>
      finish(() => reject(new Error(`the flow file took over ${LOAD_LIMIT_MS} ms to load; the running flow stays`))),
    );
    if (deps.signal.aborted) onStop();
    else deps.signal.addEventListener('abort', onStop, { once: true });
  });
}
