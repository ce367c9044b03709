// N5, checked before any call: the loader refuses a flow with a listening window (menu timeout,
// silent-line listening or pause, linger wait) longer than the flow's dead-air budget, with
// file:line:column and the dotted path of the offending key.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FlowError, formatIssue, loadFlow, parseFlow, type FlowIssue } from '../../src/flow/load-flow.js';
import { loadCatalogue } from '../../src/prompts/catalogue.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PROMPTS = loadCatalogue(`${root}prompts/catalogue.yaml`).ids;

function issuesOf(text: string): FlowIssue[] {
  try {
    parseFlow(text, 'flow.yaml', PROMPTS);
  } catch (e) {
    if (e instanceof FlowError) return e.issues;
    throw e;
  }
  throw new Error('expected a FlowError');
}

/** 1-based line and column of the first occurrence of `needle` (at its `offset`th character). */
function where(text: string, needle: string, offset = 0): { line: number; column: number } {
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`'${needle}' not in the text`);
  const before = text.slice(0, index + offset).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

const flow = (budget: string, steps: string) => `hotline:
  name: Test line
  number: "100"
${budget}steps:
${steps}  bye:
    verb: hangup
`;

const MENU_8000 = `  main:
    verb: menu
    prompt: menu.main
    options:
      1: bye
    timeoutMs: 8000
    invalid: { then: bye }
    noInput: { then: bye }
`;

describe('dead-air check (N5)', () => {
  it('N5: a menu timeout of 8000 ms is refused under the default 5000 ms budget, with file:line and path', () => {
    const text = flow('', MENU_8000);
    const issues = issuesOf(text);
    expect(issues).toEqual([
      {
        file: 'flow.yaml',
        ...where(text, 'timeoutMs: 8000', 'timeoutMs: '.length),
        path: 'steps.main.timeoutMs',
        message: 'a listening window of 8000 ms exceeds the dead-air budget of 5000 ms (N5)',
      },
    ]);
    expect(issues[0]!.line).toBe(10);
    expect(formatIssue(issues[0]!)).toBe(
      'flow.yaml:10:16 steps.main.timeoutMs: a listening window of 8000 ms exceeds the dead-air budget of 5000 ms (N5)',
    );
  });

  it('N5: an explicit deadAirBudgetMs of 5000 refuses the same menu; the message names N5', () => {
    const issues = issuesOf(flow('deadAirBudgetMs: 5000\n', MENU_8000));
    expect(issues.map((i) => i.path)).toEqual(['steps.main.timeoutMs']);
    expect(issues[0]!.message).toMatch(/\(N5\)$/);
  });

  it('N5: a deadAirBudgetMs of 10000 accepts the 8000 ms menu timeout', () => {
    const loaded = parseFlow(flow('deadAirBudgetMs: 10000\n', MENU_8000), 'flow.yaml', PROMPTS);
    expect(loaded.deadAirBudgetMs).toBe(10_000);
    expect(loaded.steps['main']).toMatchObject({ timeoutMs: 8000 });
  });

  it('N5: a window equal to the budget is accepted', () => {
    expect(() => parseFlow(flow('', MENU_8000.replace('8000', '5000')), 'flow.yaml', PROMPTS)).not.toThrow();
  });

  it('N5: a default window over a smaller budget is refused at the step (the key is not written)', () => {
    const text = flow('deadAirBudgetMs: 3000\n', '  main:\n    verb: menu\n    prompt: menu.main\n    options: { 1: bye }\n    invalid: { then: bye }\n    noInput: { then: bye }\n');
    const issues = issuesOf(text);
    expect(issues).toEqual([
      {
        file: 'flow.yaml',
        ...where(text, 'verb: menu'),
        path: 'steps.main.timeoutMs',
        message: 'a listening window of 5000 ms exceeds the dead-air budget of 3000 ms (N5)',
      },
    ]);
  });

  it('N5: a silent-line listenMs of 6000 is refused at steps.<id>.listenMs', () => {
    const text = flow('', '  listen:\n    verb: silent-line\n    listenMs: 6000\n    next: bye\n');
    expect(issuesOf(text)).toEqual([
      {
        file: 'flow.yaml',
        ...where(text, '6000'),
        path: 'steps.listen.listenMs',
        message: 'a listening window of 6000 ms exceeds the dead-air budget of 5000 ms (N5)',
      },
    ]);
  });

  it('N5: silent-line firstListenMs and pauseMs are windows too, each reported', () => {
    const text = flow('', '  listen:\n    verb: silent-line\n    firstListenMs: 7000\n    pauseMs: 5500\n    next: bye\n');
    expect(issuesOf(text).map((i) => [i.line, i.path])).toEqual([
      [7, 'steps.listen.firstListenMs'],
      [8, 'steps.listen.pauseMs'],
    ]);
  });

  it('N5: a goodbye linger.waitMs over the budget is refused at steps.<id>.linger.waitMs', () => {
    const text = flow('', '  closing:\n    verb: goodbye\n    linger:\n      waitMs: 8000\n    next: bye\n');
    expect(issuesOf(text)).toEqual([
      {
        file: 'flow.yaml',
        ...where(text, '8000'),
        path: 'steps.closing.linger.waitMs',
        message: 'a listening window of 8000 ms exceeds the dead-air budget of 5000 ms (N5)',
      },
    ]);
  });

  it('N5: linger: false has no window to check', () => {
    const text = flow('deadAirBudgetMs: 1000\n', '  closing:\n    verb: goodbye\n    linger: false\n    next: bye\n');
    expect(() => parseFlow(text, 'flow.yaml', PROMPTS)).not.toThrow();
  });

  it('N5: retries do not multiply: 9 tries × a 5000 ms timeout is accepted under a 5000 ms budget', () => {
    const text = flow(
      '',
      '  main:\n    verb: menu\n    prompt: menu.main\n    options: { 1: bye }\n    timeoutMs: 5000\n' +
        '    invalid: { tries: 9, then: bye }\n    noInput: { tries: 9, then: bye }\n',
    );
    const loaded = parseFlow(text, 'flow.yaml', PROMPTS);
    expect(loaded.steps['main']).toMatchObject({ timeoutMs: 5000, noInput: { tries: 9 } });
  });

  it('N5: every window over the budget is reported at once, in line order', () => {
    const text = flow(
      '',
      MENU_8000 + '  listen:\n    verb: silent-line\n    listenMs: 6000\n    next: bye\n' +
        '  closing:\n    verb: goodbye\n    linger: { waitMs: 9000 }\n',
    );
    expect(issuesOf(text).map((i) => i.path)).toEqual([
      'steps.main.timeoutMs',
      'steps.listen.listenMs',
      'steps.closing.linger.waitMs',
    ]);
  });

  it('N5: the shipped hotline flow passes the check', () => {
    expect(() => loadFlow(`${root}dialplans/hotline.yaml`, PROMPTS)).not.toThrow();
  });
});
