// Issue 11, the flow API in-process: a real express app on an ephemeral port, a real flow
// installer (worker-thread parse, atomic file write, SQLite versions) on a temp copy of a flow
// file. A posted flow is refused with the loader's own file:line issues and then nothing has
// changed: not the running flow object, not the file, not the stored versions.
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { createFlowInstaller, type FlowInstaller } from '../../src/flow/flow-installer.js';
import { createFlowVersionStore, flowHash, type FlowVersionStore } from '../../src/flow/flow-version-store.js';
import { FLOW_LIMITS } from '../../src/flow/flow-yaml.js';
import { FlowError, formatIssue, parseFlow, type FlowIssue } from '../../src/flow/load-flow.js';
import type { Flow } from '../../src/flow/schema.js';
import { SERVICE_NAMES } from '../../src/flow/services.js';
import { createHttpApp } from '../../src/http/app.js';
import { createCallQueries } from '../../src/store/call-queries.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { catalogueIds } from '../unit/support/fake-call.js';

const TOKEN = 'test-token-0123456789';
const services = new Set(SERVICE_NAMES);
const MINIMAL = readFileSync('test/fixtures/flows/minimal.yaml', 'utf8');
const BROKEN = readFileSync('test/fixtures/flows/bad-unknown-target.yaml', 'utf8');
const BAD_SYNTAX = readFileSync('test/fixtures/flows/bad-syntax.yaml', 'utf8');
const GOOD = MINIMAL.replace('name: Test line', 'name: Second line');
// Step b is reached by nothing: a warning, not an error.
const LONELY = 'hotline: { name: X, number: "100" }\nsteps:\n  a: { verb: hangup }\n  b: { verb: hangup }\n';

let dir: string;
let flowFile: string;
let db: Database;
let store: FlowVersionStore;
let installer: FlowInstaller;
let flow: Flow;
let applied = 0;
let server: Server;
let base: string;

async function post(text: string, query = '', type = 'text/yaml', token = TOKEN) {
  const res = await fetch(`${base}/flow${query}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, ...(type ? { 'Content-Type': type } : {}) },
    // Bytes, not a string: fetch would add text/plain to a string body without a type.
    body: new TextEncoder().encode(text),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function get(pathname: string, token = TOKEN) {
  const res = await fetch(base + pathname, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** What the loader says about a text read as the flow file. */
function loaderError(text: string): FlowError {
  try {
    parseFlow(text, flowFile, catalogueIds(), { services, onWarning: () => undefined });
  } catch (e) {
    if (e instanceof FlowError) return e;
    throw e;
  }
  throw new Error('the loader took it');
}

/** The state a refused post must leave untouched. */
function snapshot() {
  return { flow, applied, file: readFileSync(flowFile, 'utf8'), versions: store.list({ limit: 500 }), loads: store.loads({ limit: 500 }) };
}

function expectUnchanged(before: ReturnType<typeof snapshot>) {
  const now = snapshot();
  expect(now.flow).toBe(before.flow);
  expect(now.applied).toBe(before.applied);
  expect(now.file).toBe(before.file);
  expect(now.versions).toEqual(before.versions);
  expect(now.loads).toEqual(before.loads);
  // No temp file left behind by a write that did not happen.
  expect(readdirSync(dir)).toEqual(['flow.yaml']);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'flow-api-'));
  flowFile = path.join(dir, 'flow.yaml');
  copyFileSync('test/fixtures/flows/minimal.yaml', flowFile);
  db = openDatabase(':memory:');
  store = createFlowVersionStore(db);
  const clock = new VirtualClock();
  installer = createFlowInstaller({
    flowFile,
    promptIds: catalogueIds(),
    services,
    timeScale: 1,
    store,
    clock,
    signal: new AbortController().signal,
    logger: pino({ level: 'silent' }),
    onWarning: () => undefined,
    apply: (next) => {
      flow = next;
      applied += 1;
    },
  });
  const text = readFileSync(flowFile, 'utf8');
  flow = installer.started(parseFlow(text, flowFile, catalogueIds(), { services }), text);
  const app = createHttpApp({
    queries: createCallQueries(db),
    health: () => ({ ari: true, ami: true, activeCalls: 0 }),
    apiToken: TOKEN,
    logger: pino({ level: 'silent' }),
    flow: { versions: store, running: () => installer.running(), install: (t, o) => installer.install(t, o) },
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the flow API (issue 11)', () => {
  it('GET /api/flow: the flow loaded at start is version 1, loaded by start; ?content=1 adds its text', async () => {
    expect(flow.version).toEqual({ id: 1, hash: flowHash(MINIMAL) });
    const res = await get('/flow');
    expect(res.status).toBe(200);
    expect(res.body.flow).toMatchObject({ version: 1, hash: flowHash(MINIMAL), loadId: 1, loadedBy: 'start', by: null, source: flowFile });
    expect(res.body.flow).not.toHaveProperty('content');
    expect(((await get('/flow?content=1')).body.flow as { content: string }).content).toBe(MINIMAL);
    expect((await get('/flow?contents=1')).body.error).toBe('invalid-request');
  });

  it('every route needs the token', async () => {
    expect((await post(GOOD, '', 'text/yaml', 'wrong-token-0123456789')).status).toBe(401);
    for (const p of ['/flow', '/flow/versions', '/flow/versions/1', '/flow/loads']) expect((await get(p, 'nope')).status).toBe(401);
    expect(store.list({ limit: 10 })).toHaveLength(1);
  });

  it('a broken flow: 422 flow-invalid with the loader\'s file:line issues, and nothing changes', async () => {
    const before = snapshot();
    const res = await post(BROKEN);
    expect(res.status).toBe(422);
    const expected = loaderError(BROKEN);
    expect(res.body).toEqual({
      error: 'flow-invalid',
      message: expected.message,
      details: { issues: expected.issues, warnings: [...expected.warnings] },
    });
    // Named as the flow file, with line and column, like the loader at start.
    const issues = (res.body.details as { issues: FlowIssue[] }).issues;
    expect(issues).toEqual([
      { file: flowFile, line: 10, column: 10, path: 'steps.menu.options.9', message: "unknown step 'operator'" },
    ]);
    expect(res.body.message).toBe(`${flowFile}:10:10 steps.menu.options.9: unknown step 'operator'`);
    expectUnchanged(before);

    const syntax = await post(BAD_SYNTAX);
    expect(syntax.status).toBe(422);
    expect(syntax.body.message).toBe(loaderError(BAD_SYNTAX).message);
    expect((syntax.body.details as { issues: FlowIssue[] }).issues[0]).toMatchObject({ file: flowFile, line: 10 });
    expect((await post('')).body).toMatchObject({ error: 'flow-invalid', message: expect.stringContaining('the flow file is empty') as string });
    expectUnchanged(before);
  });

  it('415 for a body that is not YAML text, 413 past the loader\'s size limit, 400 for a misspelt option', async () => {
    const before = snapshot();
    const json = await post(JSON.stringify({ flow: GOOD }), '', 'application/json');
    expect(json.status).toBe(415);
    expect(json.body).toMatchObject({ error: 'unsupported-media-type', details: { accepted: 'text/yaml, application/yaml, text/plain' } });
    expect((await post(GOOD, '', '')).status).toBe(415);
    expect((await post(GOOD, '', 'text/yaml; charset=latin-9')).body.error).toBe('unsupported-media-type');

    const huge = `${MINIMAL}\n# ${'x'.repeat(FLOW_LIMITS.bytes)}\n`;
    const big = await post(huge);
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ error: 'flow-too-large', details: { limit: FLOW_LIMITS.bytes } });
    expect(big.body.message).toContain(`at most ${FLOW_LIMITS.bytes} bytes`);

    // `dryrun` for `dryRun` would otherwise put in force a flow that was meant to be checked.
    expect((await post(GOOD, '?dryrun=1')).body.error).toBe('invalid-request');
    expect((await post(GOOD, '?dryRun=yes')).body.error).toBe('invalid-request');
    expect((await post(GOOD, `?by=${'x'.repeat(65)}`)).body.error).toBe('invalid-request');
    expectUnchanged(before);
  });

  it('?dryRun=1 only validates: 200 with the hash, the known version if any, nothing written', async () => {
    const before = snapshot();
    const dry = await post(GOOD, '?dryRun=1');
    expect(dry).toEqual({
      status: 200,
      body: { dryRun: true, version: null, hash: flowHash(GOOD), created: false, loadedAt: null, warnings: [] },
    });
    expect((await post(MINIMAL, '?dryRun=true')).body).toMatchObject({ dryRun: true, version: 1 });
    expect((await post(BROKEN, '?dryRun=1')).status).toBe(422);
    expectUnchanged(before);
  });

  it('a good flow: 201, written to the flow file, stored, swapped in; the same text again is 200 and the same version', async () => {
    const old = flow;
    const res = await post(GOOD, '?by=alice&note=new%20name', 'text/plain; charset=utf-8');
    expect(res).toEqual({
      status: 201,
      body: { dryRun: false, version: 2, hash: flowHash(GOOD), created: true, loadedAt: expect.any(Number) as number, warnings: [] },
    });
    expect(flow).not.toBe(old);
    expect(flow.hotline.name).toBe('Second line');
    expect(flow.version).toEqual({ id: 2, hash: flowHash(GOOD) });
    expect(flow.source).toBe(flowFile);
    expect(Object.isFrozen(flow)).toBe(true);
    // The old object is untouched: a call that started on it finishes on it.
    expect(old.hotline.name).toBe('Test line');
    expect(old.version?.id).toBe(1);
    expect(readFileSync(flowFile, 'utf8')).toBe(GOOD);
    expect(readdirSync(dir)).toEqual(['flow.yaml']);
    expect((await get('/flow')).body.flow).toMatchObject({ version: 2, loadedBy: 'api', by: 'alice', note: 'new name', source: 'api' });

    const again = await post(GOOD, '', 'application/yaml');
    expect(again).toMatchObject({ status: 200, body: { version: 2, created: false } });
    expect(store.get(2)).toMatchObject({ loads: 2, content: GOOD });
  });

  it('warnings of a flow that loads come back with it, at their line', async () => {
    const res = await post(LONELY);
    expect(res.status).toBe(201);
    expect(res.body.warnings).toEqual([expect.objectContaining({ file: flowFile, line: 4, path: 'steps.b' })]);
  });

  it('GET /api/flow/versions lists them newest first, pages with limit/before; /versions/:id has the text', async () => {
    const list = await get('/flow/versions');
    const versions = list.body.versions as { id: number; hash: string; loads: number }[];
    expect(versions.map((v) => v.id)).toEqual([3, 2, 1]);
    expect(versions.map((v) => v.hash)).toEqual([flowHash(LONELY), flowHash(GOOD), flowHash(MINIMAL)]);
    expect(versions[0]).not.toHaveProperty('content');
    expect(((await get('/flow/versions?limit=1&before=3')).body.versions as { id: number }[]).map((v) => v.id)).toEqual([2]);
    expect((await get('/flow/versions/1')).body.version).toMatchObject({ id: 1, content: MINIMAL, loadedBy: 'start' });
    expect(await get('/flow/versions/99')).toEqual({
      status: 404,
      body: { error: 'flow-version-not-found', message: 'no flow version with id 99' },
    });
    expect((await get('/flow/versions/abc')).body.error).toBe('invalid-request');
    expect((await get('/flow/versions?limit=0')).body.error).toBe('invalid-request');
    expect((await get('/flow/versions?limt=2')).body.error).toBe('invalid-request');
    const loads = (await get('/flow/loads')).body.loads as { version: number; loadedBy: string }[];
    expect(loads.map((l) => [l.version, l.loadedBy])).toEqual([[3, 'api'], [2, 'api'], [2, 'api'], [1, 'start']]);
  });

  it('race: posts at once are put in force one at a time; the file and the running flow agree at the end', async () => {
    const texts = ['A', 'B', 'C', 'D'].map((n) => MINIMAL.replace('name: Test line', `name: Line ${n}`));
    const answers = await Promise.all([...texts.map((t) => post(t)), post(BROKEN)]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 201, 201, 422]);
    const file = readFileSync(flowFile, 'utf8');
    expect(flow.version?.hash).toBe(flowHash(file));
    expect((await get('/flow')).body.flow).toMatchObject({ version: flow.version?.id, hash: flowHash(file) });
    expect(texts).toContain(file);
    expect(readdirSync(dir)).toEqual(['flow.yaml']);
  });
});

describe('POST /api/flow, property (route over an in-process loader)', () => {
  // The route's mapping only: install parses in-process (no worker), so many bodies run fast.
  const FILE = 'dialplans/hotline.yaml';
  let stubServer: Server;
  let stubBase: string;
  beforeAll(async () => {
    const memory = openDatabase(':memory:');
    const versions = createFlowVersionStore(memory);
    const app = createHttpApp({
      queries: createCallQueries(memory),
      health: () => ({ ari: true, ami: true, activeCalls: 0 }),
      apiToken: TOKEN,
      logger: pino({ level: 'silent' }),
      limits: { requests: { limit: 100_000 } },
      flow: {
        versions,
        running: () => {
          throw new Error('not used');
        },
        install: (text) => {
          parseFlow(text, FILE, catalogueIds(), { services, onWarning: () => undefined });
          return Promise.resolve({ dryRun: true, version: null, hash: flowHash(text), created: false, load: null, warnings: [] });
        },
      },
    });
    stubServer = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    stubBase = `http://127.0.0.1:${(stubServer.address() as AddressInfo).port}/api`;
  });
  afterAll(() => new Promise<void>((resolve) => stubServer.close(() => resolve())));

  // Valid flows with random edits (characters inserted or removed), and arbitrary text.
  const edited = fc
    .array(fc.tuple(fc.nat({ max: MINIMAL.length }), fc.nat({ max: 3 }), fc.constantFrom('', ' ', ':', '-', '\n', '{', '"', 'x', '9', '&a', '*a', '\t')), {
      maxLength: 4,
    })
    .map((edits) => edits.reduce((t, [at, cut, insert]) => t.slice(0, at) + insert + t.slice(at + cut), MINIMAL));
  const body = fc.oneof(edited, fc.string({ maxLength: 200 }), fc.string({ maxLength: 200, unit: 'grapheme' }));

  it('any body: 200 or 422 flow-invalid whose message is the loader\'s issues, each at the flow file with line and column', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const res = await fetch(`${stubBase}/flow`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'text/yaml; charset=utf-8' },
          body: text,
        });
        const answer = (await res.json()) as { error?: string; message?: string; details?: { issues: FlowIssue[]; warnings: FlowIssue[] } };
        expect([200, 422]).toContain(res.status);
        if (res.status === 422) {
          expect(answer.error).toBe('flow-invalid');
          const { issues, warnings } = answer.details!;
          expect(issues.length).toBeGreaterThan(0);
          for (const issue of issues) {
            expect(issue.file).toBe(FILE);
            expect(issue.line).toBeGreaterThanOrEqual(1);
            expect(issue.column).toBeGreaterThanOrEqual(1);
          }
          expect(answer.message).toBe([...issues.map(formatIssue), ...warnings.map((w) => formatIssue({ ...w, message: `warning: ${w.message}` }))].join('\n'));
        }
      }),
      { numRuns: 150 },
    );
  });
});
