// FLOW_TIME_SCALE: every duration a flow declares (keys ending in "Ms": ring cadence, listening
// windows, timeouts, pauses) multiplied by one factor, so end-to-end tests can run the real
// protocols in less time. Talk-detection thresholds are properties of speech, not of the
// protocol, and are left alone; so are the answering-machine detection thresholds (issue 9:
// a greeting is as long as it is, and a 150 ms "greeting" limit would make every person a
// machine). 1 (the default) changes nothing.
import type { Flow } from './schema.js';

export function scaleTimings(flow: Flow, factor: number): Flow {
  if (factor === 1) return flow;
  // Only the top-level sections are exempt (a step may be called "voice" too).
  const scaled = scale(flow, factor) as Flow;
  return deepFreeze({
    ...scaled,
    voice: flow.voice,
    callbacks: { ...scaled.callbacks, answeringMachine: flow.callbacks.answeringMachine },
  });
}

function scale(value: unknown, factor: number, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => scale(v, factor));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scale(v, factor, k)]));
  }
  if (typeof value === 'number' && key.endsWith('Ms')) return Math.round(value * factor);
  return value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
