// One flow load inside the worker thread: the same loadFlow as at start, its flow or its
// FlowError (every issue with file:line) posted back as plain data.
import { parentPort, workerData } from 'node:worker_threads';
import { FlowError, loadFlow, type FlowIssue } from './load-flow.js';
import type { ServiceName } from './services.js';

export interface FlowLoadJob {
  file: string;
  promptIds: string[];
  services?: ServiceName[];
}

const job = workerData as FlowLoadJob;
const warnings: FlowIssue[] = [];
try {
  const flow = loadFlow(job.file, new Set(job.promptIds), {
    ...(job.services ? { services: new Set(job.services) } : {}),
    onWarning: (w) => warnings.push(w),
  });
  parentPort?.postMessage({ ok: true, flow, warnings });
} catch (err) {
  if (err instanceof FlowError) parentPort?.postMessage({ ok: false, file: err.file, issues: err.issues, warnings: [...err.warnings] });
  else parentPort?.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err), warnings });
}
