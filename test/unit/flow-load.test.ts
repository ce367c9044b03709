import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_PATTERNS } from '../../src/callbacks/number-policy.js';
import { FLOW_SCHEMA_PATH, flowSchemaJson } from '../../src/cli/write-flow-schema.js';
import { FlowError, loadFlow, parseFlow, type FlowIssue } from '../../src/flow/load-flow.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => `${root}test/fixtures/flows/${name}`;

// The ids prompts/catalogue.yaml ships that flows may use.
const PROMPTS: ReadonlySet<string> = new Set([
  'unavailable',
  'blacklisted',
  // Issue 12: what a shed caller hears.
  'busy',
  'busy.callback',
  'menu.main',
  'unclear.retry',
  'unclear.goodbye',
  'info.business',
  'info.repair',
  'info.complaint',
  'silent.attempt1',
  'silent.attempt2',
  'silent.goodbye',
  'linger.1',
  'linger.2',
  // N15: what after-hours callers hear.
  'hours.closed',
  'hours.holiday',
  // N14: the recording announcement.
  'recording.notice',
  // N18: the language offer.
  'language.offer',
]);

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

describe('loadFlow: good flows', () => {
  it('loads the shipped hotline flow', () => {
    const flow = loadFlow(`${root}dialplans/hotline.yaml`, PROMPTS);
    expect(flow.start).toBe('answer');
    expect(flow.source).toBe(`${root}dialplans/hotline.yaml`);
    expect(flow.hotline).toMatchObject({ name: '客服热线', names: { en: 'Customer Service Hotline' }, number: '4008008000', timezone: 'Asia/Shanghai' });
    // N18: callers from abroad are English at once; others may press 8 after the greeting.
    expect(flow.steps['choose-language']).toMatchObject({ verb: 'language', options: { '8': 'en' }, next: 'office-hours' });
    // YAML 1.2 keeps unquoted dates as text, which the schema expects.
    expect(flow.hotline.holidays).toContain('2026-10-01');
    expect(flow.hotline.workdays).toContain('2026-02-28');
    expect(flow.ring).toEqual({ cadence: { onMs: 1000, offMs: 4000 }, answerAfterRings: 1 });
    expect(flow.unavailable).toEqual({ prompt: 'unavailable', then: 'hangup' });
    expect(flow.steps['main-menu']).toMatchObject({
      verb: 'menu',
      options: { '0': 'main-menu', '1': 'business', '2': 'repair', '3': 'complaint' },
      invalid: { prompt: 'unclear.retry', tries: 3, then: 'unclear-goodbye' },
    });
    expect(flow.agents.agents['1001']).toEqual({ endpoint: 'PJSIP/1001', workNumber: '1001', name: '张伟' });
    expect(Object.keys(flow.agents.groups)).toEqual(['business', 'repair']);
    expect(flow.agents.groups['repair']?.members).toEqual(['1003', '1001']);
    expect(flow.agentRing).toEqual({ cadence: { onMs: 1000, offMs: 4000 }, rings: 3 });
    // The shipped flow spells out the default list (N7), pattern for pattern.
    expect(flow.callbacks.allowedPatterns).toEqual(DEFAULT_ALLOWED_PATTERNS);
  });

  it('defaults agents, agentRing and callbacks when the flow has none', () => {
    const flow = loadFlow(fixture('minimal.yaml'), PROMPTS);
    expect(flow.agents).toEqual({ agents: {}, groups: {} });
    expect(flow.agentRing).toEqual({ cadence: { onMs: 1000, offMs: 4000 }, rings: 3 });
    expect(flow.callbacks.allowedPatterns.length).toBeGreaterThan(0);
  });

  it('loads the e2e flow with its fast timings', () => {
    const flow = loadFlow(fixture('e2e.yaml'), PROMPTS);
    expect(flow.ring.cadence).toEqual({ onMs: 300, offMs: 200 });
    expect(flow.steps['main-menu']).toMatchObject({ timeoutMs: 3000, noInput: { tries: 2 } });
  });

  it('fills defaults and starts at the first step listed', () => {
    const flow = loadFlow(fixture('minimal.yaml'), PROMPTS);
    expect(flow.start).toBe('hello');
    expect(flow.hotline).toMatchObject({ timezone: 'Asia/Shanghai', language: 'zh-CN', holidays: [] });
    expect(flow.ring.answerAfterRings).toBe(1);
    expect(flow.unavailable.prompt).toBe('unavailable');
  });

  it('takes the first step in document order even when a later id looks like a number', () => {
    const flow = parseFlow(`${HEAD}steps:\n  intro:\n    verb: answer\n    next: "1"\n  "1":\n    verb: hangup\n`, 'x', PROMPTS);
    expect(flow.start).toBe('intro');
  });

  it('returns a deeply frozen flow', () => {
    const flow = loadFlow(fixture('minimal.yaml'), PROMPTS);
    expect(Object.isFrozen(flow)).toBe(true);
    expect(Object.isFrozen(flow.steps)).toBe(true);
    expect(Object.isFrozen(flow.hotline.dayparts)).toBe(true);
    expect(Object.isFrozen(flow.hotline.holidays)).toBe(true);
  });
});

describe('loadFlow: bad flows point at file, line and path', () => {
  const cases: Array<[file: string, line: number, path: string, message: string]> = [
    ['bad-unknown-key.yaml', 10, 'steps.menu.timout', "unknown key 'timout'"],
    ['bad-unknown-target.yaml', 10, 'steps.menu.options.9', "unknown step 'operator'"],
    ['bad-missing-prompt.yaml', 9, 'steps.intro.prompt.1', "unknown prompt 'info.weather'"],
    ['bad-digit.yaml', 10, 'steps.menu.options.10', 'a menu key is one of 0-9, * or #'],
    ['bad-verb.yaml', 9, 'steps.bye.verb', "unknown verb 'hangupp'"],
    ['bad-syntax.yaml', 10, '', 'All mapping items must start at the same column'],
    // A missing key points at the map that lacks it.
    ['bad-missing-field.yaml', 6, 'steps.menu.invalid', "missing required key 'invalid'"],
    ['bad-timezone.yaml', 4, 'hotline.timezone', 'not an IANA time zone'],
  ];

  it.each(cases)('%s', (name, line, path, message) => {
    const file = fixture(name);
    const issues = issuesOf(() => loadFlow(file, PROMPTS));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file, line, path });
    expect(issues[0]?.message).toContain(message);
  });

  it('formats the error message as file:line:column path: message', () => {
    const file = fixture('bad-unknown-key.yaml');
    expect(() => loadFlow(file, PROMPTS)).toThrow(`${file}:10:5 steps.menu.timout: unknown key 'timout'`);
  });

  it('collects every issue in one error, in file order', () => {
    const flow = (timezone: string, tries: number, extra: string) =>
      [
        HEAD.trimEnd(),
        `  timezone: ${timezone}`,
        'start: nowhere',
        'steps:',
        '  menu:',
        '    verb: menu',
        '    prompt: menu.nope',
        '    options: { 1: gone, "*": menu }',
        `    invalid: { then: menu, tries: ${tries} }`,
        '    noInput: { then: menu }',
        extra,
      ].join('\n');
    // Cross checks need a well-formed flow to walk, so schema issues are reported on their own.
    const schema = issuesOf(() => parseFlow(flow('Mars/Olympus', 0, '    extra: 1'), 'f.yaml', PROMPTS));
    expect(schema.map((i) => `${i.line} ${i.path}`)).toEqual([
      '4 hotline.timezone',
      '11 steps.menu.invalid.tries',
      '13 steps.menu.extra',
    ]);

    const cross = issuesOf(() => parseFlow(flow('UTC', 2, ''), 'f.yaml', PROMPTS));
    expect(cross.map((i) => `${i.line} ${i.path}: ${i.message}`)).toEqual([
      "5 start: unknown step 'nowhere'",
      "9 steps.menu.prompt: unknown prompt 'menu.nope'",
      "10 steps.menu.options.1: unknown step 'gone'",
    ]);
  });

  it('points a defaulted prompt that is missing at the map that would hold it', () => {
    const issues = issuesOf(() =>
      parseFlow(`${HEAD}steps:\n  bye:\n    verb: hangup\n`, 'f.yaml', new Set(['menu.main'])),
    );
    expect(issues).toEqual([
      { file: 'f.yaml', line: 1, column: 1, path: 'unavailable.prompt', message: "unknown prompt 'unavailable'" },
      // N11: the refusal a listed caller hears, defaulted too.
      { file: 'f.yaml', line: 1, column: 1, path: 'blacklist.prompt', message: "unknown prompt 'blacklisted'" },
      // Issue 12: what Asterisk plays to a shed caller, defaulted too.
      { file: 'f.yaml', line: 1, column: 1, path: 'overload.prompt', message: "unknown prompt 'busy'" },
    ]);
  });

  it('issue 12: the overload section: unknown prompts, a callback offer without the callbacks service, a window past N5', () => {
    const text = `${HEAD}deadAirBudgetMs: 4000\noverload:\n  prompt: busy.typo\n  callback:\n    prompt: sorry.typo\n    timeoutMs: 4500\nsteps:\n  bye:\n    verb: hangup\n`;
    const issues = issuesOf(() => parseFlow(text, 'f.yaml', PROMPTS, { services: new Set(['agents']) }));
    expect(issues.map((i) => `${i.line} ${i.path}: ${i.message}`)).toEqual([
      "6 overload.prompt: unknown prompt 'busy.typo'",
      // A map's issue points at its first line.
      '8 overload.callback: a callback offer needs the callbacks service, which this controller does not wire',
      "8 overload.callback.prompt: unknown prompt 'sorry.typo'",
      '9 overload.callback.timeoutMs: a listening window of 4500 ms exceeds the dead-air budget of 4000 ms (N5)',
    ]);
    // The defaults: the busy apology, no callback offer.
    expect(parseFlow(`${HEAD}steps:\n  bye:\n    verb: hangup\n`, 'f.yaml', PROMPTS).overload).toEqual({ prompt: 'busy', callback: false });
    const offered = parseFlow(`${HEAD}overload:\n  callback: {}\nsteps:\n  bye:\n    verb: hangup\n`, 'f.yaml', PROMPTS).overload;
    expect(offered).toEqual({ prompt: 'busy', callback: { prompt: 'busy.callback', reason: 'unanswered-query', tries: 2, timeoutMs: 5000 } });
  });

  it('N11: a blacklist refusal prompt that does not exist is refused at its line', () => {
    const issues = issuesOf(() =>
      parseFlow(`${HEAD}blacklist:\n  prompt: refusal.typo\nsteps:\n  bye:\n    verb: hangup\n`, 'f.yaml', new Set([...PROMPTS, 'unavailable'])),
    );
    expect(issues.map((i) => `${i.line} ${i.path}: ${i.message}`)).toEqual(["5 blacklist.prompt: unknown prompt 'refusal.typo'"]);
  });

  it('rejects a flow without steps and an empty file', () => {
    expect(issuesOf(() => parseFlow(`${HEAD}steps: {}\n`, 'f.yaml', PROMPTS))).toMatchObject([
      { line: 4, path: 'steps', message: 'a flow needs at least one step' },
    ]);
    expect(issuesOf(() => parseFlow('# nothing yet\n', 'f.yaml', PROMPTS))).toMatchObject([
      { line: 1, path: '', message: expect.stringContaining('empty') as unknown },
    ]);
  });

  it('points a group member that is not an agent at its line', () => {
    const text = [
      HEAD.trimEnd(),
      'agents:',
      '  agents:',
      '    "1001": { endpoint: PJSIP/1001, workNumber: "1001", name: Zhang }',
      '  groups:',
      '    repair:',
      '      name: 故障报修',
      '      members:',
      '        - "1001"',
      '        - "1009"',
      'steps:',
      '  bye:',
      '    verb: hangup',
      '',
    ].join('\n');
    expect(issuesOf(() => parseFlow(text, 'f.yaml', PROMPTS))).toEqual([
      { file: 'f.yaml', line: 12, column: 11, path: 'agents.groups.repair.members.1', message: "unknown agent '1009'" },
    ]);
  });

  // The verbs of N6/N12/N13 name agent groups; a typo there would only show as a failed
  // transfer (or a ticket owned by nobody) on a live call.
  const GROUP_PROMPTS: ReadonlySet<string> = new Set([...PROMPTS, 'group.repair', 'repeat.ask']);
  const groupFlow = (transferGroup: string, ticketGroup: string, routeGroup: string, routeTarget = 'fix') =>
    [
      HEAD.trimEnd(), // lines 1-3
      'agents:', // line 4
      '  agents:',
      '    "1001": { endpoint: PJSIP/1001, workNumber: "1001", name: Zhang }',
      '  groups:',
      '    repair: { name: 故障报修, members: ["1001"] }', // line 8
      'steps:',
      '  again:', // line 10
      '    verb: repeat-caller',
      '    routes:',
      `      ${routeGroup}: ${routeTarget}`, // line 13
      '    next: issue',
      '  issue:',
      '    verb: create-ticket',
      `    group: ${ticketGroup}`, // line 17
      '    next: fix',
      '  fix:',
      '    verb: transfer',
      `    group: ${transferGroup}`, // line 21
      '    target: group.repair',
      '    next: bye',
      '    failed: bye',
      '  bye:',
      '    verb: hangup',
      '',
    ].join('\n');

  it('N6/N12/N13: an unknown agent group in a transfer, a create-ticket or a repeat-caller route is rejected', () => {
    // The same flow with known groups loads: the check looks at agents.groups, not at a fixed list.
    expect(parseFlow(groupFlow('repair', 'repair', 'repair'), 'f.yaml', GROUP_PROMPTS).steps['fix']).toMatchObject({
      group: 'repair',
    });

    const issues = issuesOf(() => parseFlow(groupFlow('reapir', 'complaint', 'busness'), 'f.yaml', GROUP_PROMPTS));
    expect(issues.map((i) => `${i.file}:${i.line} ${i.path}: ${i.message}`)).toEqual([
      "f.yaml:13 steps.again.routes.busness: unknown agent group 'busness' (not in agents.groups)",
      "f.yaml:17 steps.issue.group: unknown agent group 'complaint' (not in agents.groups)",
      "f.yaml:21 steps.fix.group: unknown agent group 'reapir' (not in agents.groups)",
    ]);
    // Group fields point at the group name itself.
    expect(issues.find((i) => i.path === 'steps.fix.group')?.column).toBe(12);
    expect(issues.find((i) => i.path === 'steps.issue.group')?.column).toBe(12);
    // A route's group is its key: the column points at the key, not at the step it leads to.
    expect(issues.find((i) => i.path === 'steps.again.routes.busness')?.column).toBe(7);
  });

  it('N6: without an agents section every group is unknown', () => {
    const text = `${HEAD}steps:\n  fix:\n    verb: transfer\n    group: repair\n    target: group.repair\n    next: fix\n    failed: fix\n`;
    expect(issuesOf(() => parseFlow(text, 'f.yaml', GROUP_PROMPTS))).toEqual([
      { file: 'f.yaml', line: 7, column: 12, path: 'steps.fix.group', message: "unknown agent group 'repair' (not in agents.groups)" },
    ]);
  });

  it('N12: a repeat-caller route to an unknown step is rejected at the route', () => {
    const issues = issuesOf(() => parseFlow(groupFlow('repair', 'repair', 'repair', 'fxi'), 'f.yaml', GROUP_PROMPTS));
    expect(issues).toEqual([
      { file: 'f.yaml', line: 13, column: 15, path: 'steps.again.routes.repair', message: "unknown step 'fxi'" },
    ]);
  });

  it('rejects agent rings past the 3rd (N1)', () => {
    const text = `${HEAD}agentRing:\n  rings: 4\nsteps:\n  bye:\n    verb: hangup\n`;
    expect(issuesOf(() => parseFlow(text, 'f.yaml', PROMPTS))).toMatchObject([{ line: 5, path: 'agentRing.rings' }]);
  });

  it('reports a missing verb and duplicate keys', () => {
    expect(issuesOf(() => parseFlow(`${HEAD}steps:\n  bye:\n    next: bye\n`, 'f.yaml', PROMPTS))).toMatchObject([
      { line: 6, path: 'steps.bye.verb', message: expect.stringContaining("missing required key 'verb'") as unknown },
    ]);
    const dup = `${HEAD}steps:\n  bye:\n    verb: hangup\n    verb: hangup\n`;
    expect(issuesOf(() => parseFlow(dup, 'f.yaml', PROMPTS))).toMatchObject([
      { line: 7, message: expect.stringContaining('unique') as unknown },
    ]);
  });
});

describe('flow.schema.json', () => {
  it('is up to date with src/flow/schema.ts (run npm run schema)', () => {
    expect(readFileSync(FLOW_SCHEMA_PATH, 'utf8')).toBe(flowSchemaJson());
  });
});
