// Issue 11 end to end: flows posted to the running controller. A flow with an error is refused
// with the loader's file:line issues and the running flow keeps answering; a good one is put in
// force for the next call, whose row names the new version; a call in progress when a flow is
// swapped in finishes on the version it started with.
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataOf, types, waitForEvent } from './support/call-helpers.js';
import { freshCaller } from './support/test-controller.js';
import { useHotline } from './support/use-hotline.js';

const FIXTURE = 'test/fixtures/flows/e2e.yaml';
const ORIGINAL = readFileSync(FIXTURE, 'utf8');
// Menu keys 1 and 2 swapped: which flow a call ran shows in its menu.choice target.
const SWAPPED = ORIGINAL.replace('1: business\n      2: repair', '1: repair\n      2: business');
// Option 3 goes to a step that does not exist.
const BROKEN = ORIGINAL.replace('2: repair\n', '2: repair\n      3: nowhere\n');

// A good post rewrites the flow file: the controller runs on a copy, never on the fixture.
const FLOW_FILE = join(mkdtempSync(join(tmpdir(), 'hotline-flow-api-')), 'hotline.yaml');
copyFileSync(FIXTURE, FLOW_FILE);

interface FlowIssueBody {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

describe('issue 11: the flow API on a running controller', () => {
  const h = useHotline(FLOW_FILE);

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(h.hotline.controller.httpUrl + path, {
      ...init,
      headers: { Authorization: `Bearer ${h.hotline.token}`, ...(init.headers as Record<string, string> | undefined) },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const postFlow = (text: string) => api('/api/flow?by=e2e', { method: 'POST', headers: { 'Content-Type': 'text/yaml' }, body: text });

  /** Dials, presses 1 at the menu, and returns the ended call row and its events. */
  async function callAndPress1(onMenu?: () => Promise<void>) {
    const number = freshCaller();
    const caller = await h.callers.dial(number);
    await caller.answered();
    await waitForEvent(h.hotline, number, 'menu.prompted');
    if (onMenu) await onMenu();
    await caller.press('1');
    await caller.ended();
    const call = await h.hotline.endedCall(number);
    return { call, events: await h.hotline.events(call.id) };
  }

  it('a flow posted with an error is refused (422, file:line) and the running flow keeps answering', async () => {
    const running = (await api('/api/flow')).body.flow as { version: number; hash: string };
    expect(running.version).toBe(1);

    const refused = await postFlow(BROKEN);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toBe('flow-invalid');
    const { issues } = refused.body.details as { issues: FlowIssueBody[] };
    expect(issues).toEqual([
      expect.objectContaining({ file: FLOW_FILE, path: 'steps.main-menu.options.3', message: "unknown step 'nowhere'" }),
    ]);
    expect(issues[0]!.line).toBeGreaterThan(1);
    expect(refused.body.message).toBe(`${FLOW_FILE}:${issues[0]!.line}:${issues[0]!.column} steps.main-menu.options.3: unknown step 'nowhere'`);
    expect(readFileSync(FLOW_FILE, 'utf8')).toBe(ORIGINAL);
    expect((await api('/api/flow')).body.flow).toMatchObject({ version: 1, hash: running.hash });

    // A call placed afterwards runs the old flow to its end.
    const { call, events } = await callAndPress1();
    expect(types(events)).toEqual(
      expect.arrayContaining(['call.answered', 'greeting.played', 'menu.prompted', 'menu.choice', 'prompt.played', 'goodbye.played', 'call.hangup']),
    );
    expect(dataOf(events, 'menu.choice')).toMatchObject({ step: 'main-menu', digit: '1', target: 'business' });
    expect(dataOf(events, 'prompt.played')).toMatchObject({ prompts: ['info.business'] });
    expect(call).toMatchObject({ outcome: 'completed', hangupBy: 'system', flowVersion: 1 });
  });

  it('a good flow posted: 201, the next call runs it and its row names the new version; GET /api/flow/versions lists both', async () => {
    const accepted = await postFlow(SWAPPED);
    expect(accepted).toMatchObject({ status: 201, body: { version: 2, created: true, dryRun: false } });
    expect(readFileSync(FLOW_FILE, 'utf8')).toBe(SWAPPED);

    const { call, events } = await callAndPress1();
    expect(dataOf(events, 'menu.choice')).toMatchObject({ digit: '1', target: 'repair' });
    expect(dataOf(events, 'prompt.played')).toMatchObject({ prompts: ['info.repair'] });
    expect(call.flowVersion).toBe(2);
    expect((await api(`/api/calls/${call.id}`)).body.call).toMatchObject({ flowVersion: 2 });

    const versions = (await api('/api/flow/versions')).body.versions as { id: number; loadedBy: string; by: string | null }[];
    expect(versions.map((v) => [v.id, v.loadedBy, v.by])).toEqual([
      [2, 'api', 'e2e'],
      [1, 'start', null],
    ]);
    expect((await api('/api/flow/versions/2')).body.version).toMatchObject({ id: 2, content: SWAPPED });
  });

  it('a call in progress when a flow is swapped in finishes on the version it started with', async () => {
    // Version 2 (keys swapped) runs; the original text goes back in while the caller is at the menu.
    const { call, events } = await callAndPress1(async () => {
      const back = await postFlow(ORIGINAL);
      expect(back).toMatchObject({ status: 200, body: { version: 1, created: false } });
    });
    expect(dataOf(events, 'menu.choice')).toMatchObject({ digit: '1', target: 'repair' });
    expect(call.flowVersion).toBe(2);

    // The next call runs version 1 again.
    const next = await callAndPress1();
    expect(dataOf(next.events, 'menu.choice')).toMatchObject({ digit: '1', target: 'business' });
    expect(next.call.flowVersion).toBe(1);
  });
});
