// A reload parses the flow in a worker thread (the event loop of live calls keeps running):
// the result is the flow loadFlow gives in the main thread, frozen; a broken file is refused
// with the same file:line issues, and its warnings reach the operator.
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock/clock.js';
import { loadFlowOffThread } from '../../src/flow/load-flow-off-thread.js';
import { FlowError, loadFlow, type FlowIssue } from '../../src/flow/load-flow.js';
import { SERVICE_NAMES } from '../../src/flow/services.js';
import { catalogueIds } from './support/fake-call.js';

const deps = { clock: systemClock, signal: new AbortController().signal };

describe('flow reload off the main thread (N14)', () => {
  it('loads the shipped flow in a worker: equal to the main-thread load, and frozen', async () => {
    const services = new Set(SERVICE_NAMES);
    const here = loadFlow('dialplans/hotline.yaml', catalogueIds(), { services });
    const there = await loadFlowOffThread('dialplans/hotline.yaml', catalogueIds(), { services }, deps);
    expect(there).toEqual(here);
    expect(Object.isFrozen(there)).toBe(true);
    expect(Object.isFrozen(there.steps)).toBe(true);
  }, 30_000);

  it('a broken flow is refused with its file:line issues; warnings of a good one reach onWarning', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'reload-'));
    const broken = path.join(dir, 'broken.yaml');
    writeFileSync(broken, 'hotline: { name: X, number: "100" }\nsteps:\n  a: { verb: answer, next: nowhere }\n');
    const err = await loadFlowOffThread(broken, catalogueIds(), {}, deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlowError);
    expect((err as FlowError).issues).toEqual([
      expect.objectContaining({ file: broken, line: 3, path: 'steps.a.next', message: "unknown step 'nowhere'" }),
    ]);

    const lonely = path.join(dir, 'lonely.yaml');
    writeFileSync(lonely, 'hotline: { name: X, number: "100" }\nsteps:\n  a: { verb: hangup }\n  b: { verb: hangup }\n');
    const warnings: FlowIssue[] = [];
    const flow = await loadFlowOffThread(lonely, catalogueIds(), { onWarning: (w) => warnings.push(w) }, deps);
    expect(flow.start).toBe('a');
    expect(warnings.map((w) => [w.line, w.path])).toEqual([[4, 'steps.b']]);
  }, 30_000);

  it('a controller that stops during a reload drops it', async () => {
    const stopping = new AbortController();
    const loading = loadFlowOffThread('dialplans/hotline.yaml', catalogueIds(), {}, { clock: systemClock, signal: stopping.signal });
    stopping.abort();
    await expect(loading).rejects.toThrow('the controller stopped during a flow reload');
  });
});
