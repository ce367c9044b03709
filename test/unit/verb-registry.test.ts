// Verbs describe themselves: the registry (src/flow/verbs/index.ts) lists every verb module's
// definition, the flow schema's step union is built from it, and what each definition declares
// (targets, prompts, listening windows, agent groups, key edges, needed services) is what the
// loader, the N5 dead-air check and the N6 key paths read.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { KeyPath } from '../../src/flow/define-verb.js';
import { FlowError, loadFlow, parseFlow, type FlowIssue } from '../../src/flow/load-flow.js';
import { Step, type Flow, type Step as StepT } from '../../src/flow/schema.js';
import { SERVICE_NAMES, wiredServices, type ServiceName } from '../../src/flow/services.js';
import { definitionOf, verbDefinitions } from '../../src/flow/verbs/index.js';
import { catalogueIds } from './support/fake-call.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const VERBS_DIR = `${root}src/flow/verbs/`;

function issuesOf(load: () => unknown): FlowIssue[] {
  try {
    load();
  } catch (e) {
    if (e instanceof FlowError) return e.issues;
    throw e;
  }
  throw new Error('expected a FlowError');
}

const HEAD = 'hotline:\n  name: Test line\n  number: "100"\n';
const GROUPS = `agents:
  agents:
    a1: { endpoint: PJSIP/1001, workNumber: "1001", name: Zhang }
  groups:
    repair: { name: Repair, members: [a1] }
`;

// Every verb, with every optional part that names a step, a prompt, a window or a group.
const EVERY_VERB = parseFlow(
  `${HEAD}${GROUPS}steps:
  answer: { verb: answer, next: welcome }
  welcome: { verb: greet, next: listen }
  listen: { verb: silent-line, attempts: [silent.attempt1, silent.attempt2], next: again, onSilence: repair-desk }
  again: { verb: repeat-caller, routes: { repair: repair-desk }, next: main }
  main:
    verb: menu
    prompt: menu.main
    options: { "1": info, "2": repair-desk, "3": ticket, "4": status, "5": offer, "9": wrong, "7": gate }
    invalid: { prompt: unclear.retry, then: unclear }
    noInput: { then: unclear }
  info: { verb: play, prompt: [info.business, info.repair], next: bye }
  unclear: { verb: play, prompt: unclear.goodbye, next: end }
  repair-desk: { verb: transfer, group: repair, target: group.repair, next: bye, failed: offer }
  ticket: { verb: create-ticket, group: repair, next: bye }
  status: { verb: ticket-status, next: bye, failed: bye }
  offer: { verb: capture-number, reason: transfer-failed, next: bye, failed: bye }
  bye: { verb: goodbye, linger: { resume: main }, next: end }
  wrong: { verb: wrong-number }
  gate: { verb: hours, open: main, closed: offer, holiday: unclear }
  end: { verb: hangup }
`,
  'every-verb.yaml',
  catalogueIds(),
);

const FLOWS: Flow[] = [
  EVERY_VERB,
  ...['dialplans/hotline.yaml', ...['minimal', 'caller-care', 'e2e', 'transfer', 'survey', 'queue', 'language', 'recording', 'revisit'].map((f) => `test/fixtures/flows/${f}.yaml`)].map(
    (file) => loadFlow(`${root}${file}`, catalogueIds()),
  ),
];
const STEPS: Array<[string, StepT]> = FLOWS.flatMap((flow) => Object.entries(flow.steps).map(([id, step]) => [`${flow.source}:${id}`, step] as [string, StepT]));

// ---- the behaviour before the registry: the switches of schema.ts, load-flow.ts, key-path.ts ----

function oldTargets(step: StepT): string[] {
  switch (step.verb) {
    case 'menu':
      return [...Object.values(step.options), step.invalid.then, step.noInput.then];
    case 'goodbye': {
      const targets = step.next ? [step.next] : [];
      if (step.linger && step.linger.resume) targets.push(step.linger.resume);
      return targets;
    }
    case 'silent-line':
      return step.onSilence ? [step.next, step.onSilence] : [step.next];
    // Since the registry: the hold queue's callback step (N5) and the survey (N16).
    case 'transfer':
      return [
        step.next,
        step.failed,
        ...(step.survey !== undefined ? [step.survey] : []),
        ...(step.queue && step.queue.callback !== undefined ? [step.queue.callback] : []),
      ];
    // Since the registry: N8's callee keys a better hour (reschedule-callback).
    case 'capture-number':
    case 'ticket-status':
    case 'reschedule-callback':
      return [step.next, step.failed];
    case 'repeat-caller':
      return [step.next, ...Object.values(step.routes)];
    // Since the registry: N11's wrong-number phrase, next optional.
    case 'wrong-number':
      return step.next === undefined ? [] : [step.next];
    // Since the registry: N15's service hours branch.
    case 'hours':
      return [step.open, step.closed, ...(step.holiday === undefined ? [] : [step.holiday])];
    case 'hangup':
      return [];
    default:
      return [step.next];
  }
}

function oldPrompts(step: StepT): string[] {
  switch (step.verb) {
    case 'menu':
      return [step.prompt, step.invalid.prompt, step.noInput.prompt];
    case 'play':
      return Array.isArray(step.prompt) ? step.prompt : [step.prompt];
    case 'silent-line':
      return [...step.attempts, step.goodbye];
    case 'goodbye':
      return step.linger ? [...step.linger.prompts] : [];
    case 'transfer':
      return [step.target];
    case 'repeat-caller':
      return [step.prompt];
    case 'survey':
      return [step.prompt, step.thanks];
    case 'language':
      return step.offer === undefined ? [] : [step.offer];
    case 'record':
      return [step.prompt];
    case 'reschedule-callback':
      return [step.prompt, step.refused];
    default:
      return [];
  }
}

function oldWindows(step: StepT): Array<{ key: string; ms: number }> {
  switch (step.verb) {
    case 'menu':
    case 'capture-number':
    case 'repeat-caller':
    case 'create-ticket':
    case 'ticket-status':
    case 'survey':
    case 'reschedule-callback':
      return [{ key: 'timeoutMs', ms: step.timeoutMs }];
    case 'language':
      return step.offer === undefined ? [] : [{ key: 'timeoutMs', ms: step.timeoutMs }];
    case 'record':
      return [{ key: 'declineWaitMs', ms: step.declineWaitMs }];
    case 'transfer':
      return step.queue ? [{ key: 'queue.offerListenMs', ms: step.queue.offerListenMs }] : [];
    case 'silent-line':
      return [
        { key: 'firstListenMs', ms: step.firstListenMs },
        { key: 'listenMs', ms: step.listenMs },
        { key: 'pauseMs', ms: step.pauseMs },
      ];
    case 'goodbye':
      return step.linger ? [{ key: 'linger.waitMs', ms: step.linger.waitMs }] : [];
    default:
      return [];
  }
}

function oldGroups(step: StepT): Array<{ path: string[]; group: string; isKey?: true }> {
  switch (step.verb) {
    case 'transfer':
      return [{ path: ['group'], group: step.group }];
    case 'create-ticket':
      return step.group === undefined ? [] : [{ path: ['group'], group: step.group }];
    case 'repeat-caller':
      return Object.keys(step.routes).map((group) => ({ path: ['routes', group], group, isKey: true as const }));
    default:
      return [];
  }
}

function oldEdges(step: StepT): Array<{ to: string; key: string | null }> {
  switch (step.verb) {
    case 'menu':
      return Object.entries(step.options).map(([key, to]) => ({ to, key }));
    case 'silent-line':
    case 'repeat-caller':
      return [{ to: step.next, key: null }];
    // The survey needs the agent to hang up first and the callback offer a minute of waiting:
    // no key path leads there.
    case 'transfer':
      return [
        { to: step.next, key: null },
        { to: step.failed, key: null },
      ];
    // A caller told the keys calls back in service hours: only `open` is on a key path (N15).
    case 'hours':
      return [{ to: step.open, key: null }];
    default:
      return oldTargets(step).map((to) => ({ to, key: null }));
  }
}

// The old loader found where a step or prompt id is written by key name.
const TARGET_KEYS = new Set(['next', 'then', 'onSilence', 'resume', 'failed', 'survey', 'callback', 'open', 'closed', 'holiday']);
const isTargetPath = (p: KeyPath) => TARGET_KEYS.has(String(p.at(-1))) || p.at(-2) === 'options' || p.at(-2) === 'routes';
const isPromptPath = (p: KeyPath) =>
  p.at(-1) === 'prompt' ||
  p.at(-1) === 'goodbye' ||
  p.at(-1) === 'target' ||
  p.at(-1) === 'thanks' ||
  p.at(-1) === 'offer' ||
  p.at(-1) === 'refused' ||
  ['prompt', 'attempts', 'prompts'].includes(String(p.at(-2)));

function valueAt(value: unknown, path: KeyPath): unknown {
  let node = value;
  for (const seg of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, seg)) return undefined;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return node;
}

const sortedIds = (ids: string[]) => [...ids].sort();

describe('the verb registry', () => {
  it('lists every verb module once, each exporting one definition, under its own verb name', async () => {
    const modules = readdirSync(VERBS_DIR).filter((f) => f.endsWith('.ts') && f !== 'index.ts');
    const registered = new Set<unknown>(verbDefinitions());
    expect(registered.size).toBe(verbDefinitions().length);
    const exported: unknown[] = [];
    for (const file of modules) {
      const mod = (await import(`${VERBS_DIR}${file}`)) as Record<string, unknown>;
      const definitions = Object.values(mod).filter((v) => registered.has(v));
      expect(definitions, file).toHaveLength(1);
      const definition = definitions[0] as { verb: string };
      expect(`${definition.verb}.ts`, 'a verb module is named after its verb').toBe(file);
      exported.push(...definitions);
    }
    expect(exported).toHaveLength(verbDefinitions().length);
  });

  it('no verb module imports schema.ts at run time (the step union is built from the verbs: a cycle)', () => {
    for (const file of readdirSync(VERBS_DIR).filter((f) => f.endsWith('.ts'))) {
      const valueImports = readFileSync(`${VERBS_DIR}${file}`, 'utf8')
        .split('\n')
        .filter((line) => /^import (?!type )/.test(line) && line.includes("'../schema.js'"));
      expect(valueImports, file).toEqual([]);
    }
  });

  it('the flow schema accepts exactly the registered verbs, in registry order', () => {
    const verbs = verbDefinitions().map((d) => d.verb);
    expect(Step.options.map((o) => o.shape.verb.value)).toEqual(verbs);
    expect(verbs).toEqual([
      'capture-number', 'answer', 'greet', 'play', 'menu', 'silent-line',
      'goodbye', 'hangup', 'transfer', 'repeat-caller', 'create-ticket', 'ticket-status', 'survey', 'hours', 'language',
      'wrong-number', 'record', 'reschedule-callback',
    ]);
    for (const verb of verbs) expect(definitionOf({ verb } as StepT).verb).toBe(verb);
  });

  it('the test flows use every verb', () => {
    const used = new Set(STEPS.map(([, step]) => step.verb));
    expect([...used].sort()).toEqual(verbDefinitions().map((d) => d.verb).sort());
  });

  it('declares the services each verb needs', () => {
    const needs = Object.fromEntries(verbDefinitions().map((d) => [d.verb, [...d.needs]]));
    expect(needs).toEqual({
      answer: [], greet: [], play: [], menu: [], 'silent-line': [], goodbye: [], hangup: [],
      transfer: ['agents'],
      'capture-number': ['callbacks'],
      'repeat-caller': ['callerHistory'],
      'create-ticket': ['tickets'],
      'ticket-status': ['tickets'],
      survey: ['surveys'],
      hours: ['hours'],
      language: [],
      'wrong-number': [],
      record: ['recordings'],
      'reschedule-callback': ['callbacks'],
    });
    for (const need of Object.values(needs).flat()) expect(SERVICE_NAMES).toContain(need);
  });
});

describe('what each definition declares agrees with the loader before the registry', () => {
  it.each(STEPS)('%s: targets, each where the step writes it', (_, step) => {
    const targets = definitionOf(step).targets(step);
    expect(sortedIds(targets.map((t) => t.step))).toEqual(sortedIds(oldTargets(step)));
    for (const { path, step: id } of targets) {
      expect(valueAt(step, path)).toBe(id);
      expect(isTargetPath(path)).toBe(true);
    }
  });

  it.each(STEPS)('%s: prompts, each where the step writes it', (_, step) => {
    const prompts = definitionOf(step).prompts(step);
    expect(sortedIds(prompts.map((p) => p.prompt))).toEqual(sortedIds(oldPrompts(step)));
    for (const { path, prompt } of prompts) {
      expect(valueAt(step, path)).toBe(prompt);
      expect(isPromptPath(path)).toBe(true);
    }
  });

  it.each(STEPS)('%s: N5 listening windows', (_, step) => {
    const windows = definitionOf(step).windows(step);
    expect(windows.map(({ path, ms }) => ({ key: path.join('.'), ms }))).toEqual(oldWindows(step));
    for (const { path, ms } of windows) expect(valueAt(step, path)).toBe(ms);
  });

  it.each(STEPS)('%s: agent groups', (_, step) => {
    const groups = definitionOf(step).groups(step).map(({ path, group, isKey }) => ({ path: [...path], group, ...(isKey ? { isKey } : {}) }));
    expect(groups).toEqual(oldGroups(step));
  });

  it.each(STEPS)('%s: N6 key edges', (_, step) => {
    expect(definitionOf(step).keyEdges(step)).toEqual(oldEdges(step));
  });
});

describe('a verb whose service is not wired fails at load (not mid-call)', () => {
  const TRANSFER = `${HEAD}${GROUPS}steps:
  fix:
    verb: transfer
    group: repair
    target: group.repair
    next: bye
    failed: bye
  bye: { verb: hangup }
`;
  const without = (...missing: ServiceName[]) => new Set(SERVICE_NAMES.filter((s) => !missing.includes(s)));

  it('transfer without the agents service: an issue at the step\'s verb key, with file:line', () => {
    const issues = issuesOf(() => parseFlow(TRANSFER, 'flow.yaml', catalogueIds(), { services: without('agents') }));
    expect(issues).toEqual([
      {
        file: 'flow.yaml',
        line: 11, // `    verb: transfer`
        column: 11,
        path: 'steps.fix.verb',
        message: "verb 'transfer' needs the agents service, which this controller does not wire",
      },
    ]);
  });

  it('loads with every service wired, and unchecked when no set is given', () => {
    expect(parseFlow(TRANSFER, 'flow.yaml', catalogueIds(), { services: new Set(SERVICE_NAMES) }).steps['fix']?.verb).toBe('transfer');
    expect(parseFlow(TRANSFER, 'flow.yaml', catalogueIds()).steps['fix']?.verb).toBe('transfer');
  });

  it('lists every step whose service is missing, together with the other issues', () => {
    const services = wiredServices({}); // nothing wired
    expect(services.size).toBe(0);
    const issues = issuesOf(() => parseFlow(`${HEAD}${GROUPS}steps:
  offer: { verb: capture-number, reason: complaint, next: ticket, failed: nowhere }
  ticket: { verb: create-ticket, next: status }
  status: { verb: ticket-status, next: bye, failed: bye }
  bye: { verb: hangup }
`, 'f.yaml', catalogueIds(), { services }));
    expect(issues.map((i) => `${i.line} ${i.path}: ${i.message}`)).toEqual([
      "10 steps.offer.verb: verb 'capture-number' needs the callbacks service, which this controller does not wire",
      "10 steps.offer.failed: unknown step 'nowhere'",
      "11 steps.ticket.verb: verb 'create-ticket' needs the tickets service, which this controller does not wire",
      "12 steps.status.verb: verb 'ticket-status' needs the tickets service, which this controller does not wire",
    ]);
  });
});

describe('an unknown verb', () => {
  it('is reported at its line with every registered verb as the allowed list', () => {
    const issues = issuesOf(() => loadFlow(`${root}test/fixtures/flows/bad-verb.yaml`, catalogueIds()));
    const allowed = verbDefinitions().map((d) => d.verb).join(', ');
    expect(issues).toEqual([
      expect.objectContaining({ line: 9, path: 'steps.bye.verb', message: `unknown verb 'hangupp'; use one of ${allowed}` }),
    ]);
  });
});
