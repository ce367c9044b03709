// One flow load inside the worker thread: the same read and parse as at start, its flow (with
// the text it parsed, which the flow version is made of) or its FlowError (every issue with
// file:line) posted back as plain data. The input is the flow file (a reload) or a text (the
// flow API), named by `source` so the issues read as the loader's do for that file.
import { parentPort, workerData } from 'node:worker_threads';
import { FlowError, parseFlow, readFlowFile, type FlowIssue } from './load-flow.js';
import type { ServiceName } from './services.js';

export type FlowInput = { file: string } | { text: string; source: string };

export interface FlowLoadJob {
  input: FlowInput;
  promptIds: string[];
  services?: ServiceName[];
}

const job = workerData as FlowLoadJob;
const warnings: FlowIssue[] = [];
try {
  const { input } = job;
  const [text, source] = 'file' in input ? [readFlowFile(input.file), input.file] : [input.text, input.source];
  const flow = parseFlow(text, source, new Set(job.promptIds), {
    ...(job.services ? { services: new Set(job.services) } : {}),
    onWarning: (w) => warnings.push(w),
  });
  parentPort?.postMessage({ ok: true, flow, text, warnings });
} catch (err) {
  if (err instanceof FlowError) parentPort?.postMessage({ ok: false, file: err.file, issues: err.issues, warnings: [...err.warnings] });
  else parentPort?.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err), warnings });
}
