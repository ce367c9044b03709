// Issue 11 at the controller: the flow loaded at start is stored and named by the running flow;
// a reload (SIGHUP) and a posted flow are stored too and swapped in one step; a broken flow
// leaves the running flow object itself in force (calls keep answering on it); loads are
// serialised, so the last one asked for is the one in force.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { startController, type Controller } from '../../src/controller.js';
import { flowHash } from '../../src/flow/flow-version-store.js';
import { FlowError } from '../../src/flow/load-flow.js';
import { unreachableAsteriskConfig } from './support/unreachable-config.js';

const FIXTURE = 'test/fixtures/flows/e2e.yaml';
const ORIGINAL = readFileSync(FIXTURE, 'utf8');
// The same flow with menu keys 1 and 2 swapped.
const SWAPPED = ORIGINAL.replace('1: business\n      2: repair', '1: repair\n      2: business');
// Option 3 goes to a step that does not exist.
const BROKEN = ORIGINAL.replace('2: repair\n', '2: repair\n      3: nowhere\n');
const TOKEN = 'a-token-of-sixteen-chars';

let dir: string;
let flowFile: string;
let controller: Controller;

beforeAll(async () => {
  expect(SWAPPED).not.toBe(ORIGINAL);
  expect(BROKEN).not.toBe(ORIGINAL);
  dir = mkdtempSync(path.join(os.tmpdir(), 'flow-install-'));
  flowFile = path.join(dir, 'hotline.yaml');
  copyFileSync(FIXTURE, flowFile);
  // Nothing listens on port 9 of loopback: ARI and AMI stay unreachable (as in controller-stop).
  const config = unreachableAsteriskConfig({ API_TOKEN: TOKEN, HOTLINE_DB: path.join(dir, 'hotline.db'), FLOW_FILE: flowFile });
  controller = await startController(config, { logger: pino({ level: 'silent' }), clock: new VirtualClock() });
});

afterAll(async () => {
  await controller?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const api = async (pathname: string, init: RequestInit = {}) => {
  const res = await fetch(controller.httpUrl + pathname, {
    ...init,
    headers: { Authorization: `Bearer ${TOKEN}`, ...(init.headers as Record<string, string> | undefined) },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('flow versions at the controller (issue 11)', () => {
  it('the flow loaded at start is stored and the running flow names its version', async () => {
    expect(controller.currentFlow().version).toEqual({ id: 1, hash: flowHash(ORIGINAL) });
    expect((await api('/api/flow')).body.flow).toMatchObject({ version: 1, loadedBy: 'start', source: flowFile });
  });

  it('a broken flow posted is refused (422, file:line) and the running flow object stays in force, the file untouched', async () => {
    const running = controller.currentFlow();
    const res = await api('/api/flow', { method: 'POST', headers: { 'Content-Type': 'text/yaml' }, body: BROKEN });
    expect(res.status).toBe(422);
    expect(res.body.error).toBe('flow-invalid');
    expect(res.body.message).toMatch(new RegExp(`^${flowFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+ steps\\.main-menu\\.options\\.3: unknown step 'nowhere'$`));
    // The same object: a call placed now runs exactly the flow that ran before.
    expect(controller.currentFlow()).toBe(running);
    expect(readFileSync(flowFile, 'utf8')).toBe(ORIGINAL);
    const err = await controller.installFlow(BROKEN).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlowError);
    expect((err as FlowError).issues[0]).toMatchObject({ file: flowFile, path: 'steps.main-menu.options.3' });
    expect(controller.currentFlow()).toBe(running);
    expect(((await api('/api/flow/versions')).body.versions as unknown[]).length).toBe(1);
  });

  it('a good flow posted is written, stored and swapped in; the old object is unchanged for the calls on it', async () => {
    const old = controller.currentFlow();
    const res = await api('/api/flow?by=ops', { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: SWAPPED });
    expect(res).toMatchObject({ status: 201, body: { version: 2, created: true, hash: flowHash(SWAPPED) } });
    const now = controller.currentFlow();
    expect(now).not.toBe(old);
    expect(now.version).toEqual({ id: 2, hash: flowHash(SWAPPED) });
    expect(now.steps['main-menu']).toMatchObject({ options: { 1: 'repair', 2: 'business' } });
    expect(old.steps['main-menu']).toMatchObject({ options: { 1: 'business', 2: 'repair' } });
    expect(old.version?.id).toBe(1);
    expect(readFileSync(flowFile, 'utf8')).toBe(SWAPPED);
  });

  it('SIGHUP: a reload of the edited file is stored as a sighup load; the same text again reuses its version', async () => {
    writeFileSync(flowFile, ORIGINAL);
    const flow = await controller.reloadFlow();
    expect(flow).toBe(controller.currentFlow());
    expect(flow.version).toEqual({ id: 1, hash: flowHash(ORIGINAL) });
    const loads = (await api('/api/flow/loads')).body.loads as { version: number; loadedBy: string; by: string | null }[];
    expect(loads.map((l) => [l.version, l.loadedBy, l.by])).toEqual([
      [1, 'sighup', null],
      [2, 'api', 'ops'],
      [1, 'start', null],
    ]);
    // A file broken on disk: the reload is refused, nothing stored, the running flow stays.
    writeFileSync(flowFile, BROKEN);
    await expect(controller.reloadFlow('sighup')).rejects.toBeInstanceOf(FlowError);
    expect(controller.currentFlow()).toBe(flow);
    expect(((await api('/api/flow/loads')).body.loads as unknown[]).length).toBe(3);
    writeFileSync(flowFile, ORIGINAL);
  });

  it('race: a large flow then a small one, asked for at once: loaded one at a time, the last asked for is in force', async () => {
    // 1500 more steps (unreachable: warnings only): its parse takes much longer than the small one's.
    const filler = Array.from({ length: 1500 }, (_, i) => `  filler-${i}:\n    verb: play\n    prompt: info.business\n    next: closing\n`).join('');
    const large = ORIGINAL.replace('\nsteps:\n', `\nsteps:\n${filler}`);
    expect(Buffer.byteLength(large)).toBeLessThan(256 * 1024);
    const first = controller.installFlow(large);
    const second = controller.installFlow(SWAPPED);
    const [a, b] = await Promise.all([first, second]);
    // The small one (a version already stored) was loaded after the large one.
    expect(a).toMatchObject({ created: true, version: 3 });
    expect(b).toMatchObject({ created: false, version: 2 });
    expect(a.load!.id).toBeLessThan(b.load!.id);
    expect(controller.currentFlow().version?.hash).toBe(flowHash(SWAPPED));
    expect(readFileSync(flowFile, 'utf8')).toBe(SWAPPED);
    const loads = (await api('/api/flow/loads?limit=2')).body.loads as { hash: string }[];
    expect(loads.map((l) => l.hash)).toEqual([flowHash(SWAPPED), flowHash(large)]);
  }, 30_000);
});
