// A flow file is read within limits (src/flow/flow-yaml.ts): size, nesting depth, aliases and
// what aliases expand to. Each limit is a FlowError at the offending line, found before anything
// in the parser can recurse or go quadratic; a reload runs on the event loop of every live call.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FLOW_LIMITS } from '../../src/flow/flow-yaml.js';
import { FlowError, loadFlow, parseFlow, type FlowIssue } from '../../src/flow/load-flow.js';
import { catalogueIds } from './support/fake-call.js';

const HEAD = 'hotline:\n  name: Test line\n  number: "100"\n';
const STEPS = 'steps:\n  a: { verb: answer, next: bye }\n  bye: { verb: hangup }\n';

function issuesOf(text: string): FlowIssue[] {
  try {
    parseFlow(text, 'f.yaml', catalogueIds(), { onWarning: () => undefined });
  } catch (e) {
    if (e instanceof FlowError) return e.issues;
    throw e;
  }
  throw new Error('expected a FlowError');
}

/** Milliseconds a load takes (the best of three: a busy host adds noise, not cost). */
function timeOf(text: string): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    try {
      parseFlow(text, 'f.yaml', catalogueIds(), { onWarning: () => undefined });
    } catch (e) {
      if (!(e instanceof FlowError)) throw e;
    }
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** A valid flow of about `bytes` bytes: answer, then a chain of play steps, then hangup. */
function bigFlow(bytes: number): string {
  const parts = [`${HEAD}steps:\n  answer: { verb: answer, next: s0 }\n`];
  let size = parts[0]!.length;
  for (let i = 0; ; i++) {
    const line = `  s${i}: { verb: play, prompt: info.business, next: s${i + 1} }\n`;
    if (size + line.length + 40 > bytes) {
      parts.push(`  s${i}: { verb: hangup }\n`);
      return parts.join('');
    }
    parts.push(line);
    size += line.length;
  }
}

describe('flow file limits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flow-limits-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`size: more than ${FLOW_LIMITS.bytes} bytes is refused at 1:1, counted in bytes (UTF-8), not characters`, () => {
    const over = `${HEAD}${STEPS}#${'x'.repeat(FLOW_LIMITS.bytes)}\n`;
    expect(issuesOf(over)).toEqual([
      {
        file: 'f.yaml',
        line: 1,
        column: 1,
        path: '',
        message: `the flow file is ${Buffer.byteLength(over)} bytes; a flow file may have at most ${FLOW_LIMITS.bytes} bytes (256 KB)`,
      },
    ]);
    // 客 is 3 bytes: a third of the limit in characters is over it in bytes.
    const chinese = `${HEAD}${STEPS}#${'客'.repeat(Math.ceil(FLOW_LIMITS.bytes / 3))}\n`;
    expect(chinese.length).toBeLessThan(FLOW_LIMITS.bytes);
    expect(issuesOf(chinese)[0]?.message).toContain('a flow file may have at most');
  });

  it('size: loadFlow refuses a larger file before reading it', () => {
    const file = join(dir, 'big.yaml');
    const text = `${HEAD}${STEPS}#${'x'.repeat(FLOW_LIMITS.bytes)}\n`;
    writeFileSync(file, text);
    expect(() => loadFlow(file, catalogueIds())).toThrow(`${file}:1:1 the flow file is ${Buffer.byteLength(text)} bytes`);
  });

  it('size: a valid flow just under the limit loads, in well under a second', () => {
    const text = bigFlow(FLOW_LIMITS.bytes);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(FLOW_LIMITS.bytes);
    expect(Buffer.byteLength(text)).toBeGreaterThan(FLOW_LIMITS.bytes - 100);
    const flow = parseFlow(text, 'f.yaml', catalogueIds());
    expect(flow.stepOrder.length).toBeGreaterThan(4000);
    expect(timeOf(text)).toBeLessThan(1000);
  });

  it('depth: 3,000 nested sequences (6 KB) are a FlowError at the first one too deep, not a stack overflow', () => {
    const text = `${HEAD}${STEPS}x: ${'['.repeat(3000)}${']'.repeat(3000)}\n`;
    expect(issuesOf(text)).toEqual([
      // x is on line 7, its first bracket at column 4; the file's map is level 1, so the 64th bracket is level 65.
      { file: 'f.yaml', line: 7, column: 67, path: '', message: `collections nested more than ${FLOW_LIMITS.depth} deep; a flow needs a handful of levels` },
    ]);
    expect(timeOf(text)).toBeLessThan(100);
  });

  it('depth: block nesting (compact "- - -" and indentation) and flow maps are counted the same way', () => {
    const compact = `${HEAD}${STEPS}x:\n${'- '.repeat(5000)}x\n`;
    expect(issuesOf(compact)).toMatchObject([{ line: 8, message: expect.stringContaining('nested more than 64 deep') as unknown }]);
    const indented = `${HEAD}${STEPS}x:\n${Array.from({ length: 200 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')} 1\n`;
    expect(issuesOf(indented)).toMatchObject([{ line: 8 + 63, message: expect.stringContaining('nested more than 64 deep') as unknown }]);
    const maps = `${HEAD}${STEPS}x: ${'{a: '.repeat(2000)}1${'}'.repeat(2000)}\n`;
    expect(issuesOf(maps)).toMatchObject([{ line: 7, message: expect.stringContaining('nested more than 64 deep') as unknown }]);
  });

  it('depth: nesting within the limit is only a schema matter', () => {
    const text = `${HEAD}${STEPS}x: ${'['.repeat(60)}${']'.repeat(60)}\n`;
    expect(issuesOf(text)).toMatchObject([{ line: 7, path: 'x', message: "unknown key 'x'" }]);
  });

  it(`aliases: more than ${FLOW_LIMITS.aliases} are refused at the first one over, quickly (8,000 took 3.3 s)`, () => {
    const holidays = (n: number) => `${HEAD}  holidays: [&d "2026-01-01"${', *d'.repeat(n)}]\n${STEPS}`;
    // The first alias is at column 31 (`  holidays: [&d "2026-01-01", *d`), each next one 4 further.
    expect(issuesOf(holidays(8000))).toEqual([
      { file: 'f.yaml', line: 4, column: 31 + 4 * 100, path: '', message: 'more than 100 aliases (*d is one too many)' },
    ]);
    expect(timeOf(holidays(20_000))).toBeLessThan(300);
    // 100 are fine: a flow may share a value that often.
    const flow = parseFlow(holidays(100), 'f.yaml', catalogueIds());
    expect(flow.hotline.holidays).toHaveLength(101);
  });

  it('aliases: a bomb of nested aliases is refused at the alias that expands the flow past the limit', () => {
    const text = `${HEAD}${STEPS}x:
  a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
`;
    // b adds 10 × 10 nodes, c 10 × 110, and each *c in d 1110: the 8th passes 10,000.
    expect(issuesOf(text)).toEqual([
      {
        file: 'f.yaml',
        line: 11,
        column: 10 + 7 * 4,
        path: '',
        message: `aliases expand the flow by more than ${FLOW_LIMITS.aliasNodes} nodes (*c stands for 1111)`,
      },
    ]);
  });

  it('aliases: a merge-key bomb is refused at its alias too (it was located at 1:1)', () => {
    const text = `${HEAD}${STEPS}x:
  a: &a { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10 }
  b: &b { <<: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a], z: 1 }
  c: &c { <<: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b], y: 1 }
  d: &d { <<: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c], w: 1 }
`;
    // Each merged *c stands for c's 2155 nodes: the 4th in d passes 10,000.
    expect(issuesOf(text)).toMatchObject([
      { line: 11, column: 16 + 3 * 4, message: `aliases expand the flow by more than ${FLOW_LIMITS.aliasNodes} nodes (*c stands for 2155)` },
    ]);
  });

  it('aliases: unknown ones and ones inside the node they name are located', () => {
    expect(issuesOf(`${HEAD}${STEPS}x: [*nope]\n`)).toMatchObject([{ line: 7, column: 5, message: 'unknown alias *nope' }]);
    expect(issuesOf(`${HEAD}${STEPS}x: &x [1, *x]\n`)).toMatchObject([
      { line: 7, column: 11, message: 'alias *x stands for a node that contains it' },
    ]);
  });

  it('merge keys still share retry blocks', () => {
    const flow = parseFlow(
      `${HEAD}steps:
  a: { verb: answer, next: menu }
  menu:
    verb: menu
    prompt: menu.main
    options: { "1": bye }
    invalid: &retry { then: bye, tries: 2 }
    noInput: { <<: *retry, tries: 4 }
  bye: { verb: hangup }
`,
      'f.yaml',
      catalogueIds(),
    );
    expect(flow.steps['menu']).toMatchObject({ invalid: { then: 'bye', tries: 2 }, noInput: { then: 'bye', tries: 4 } });
  });

  it('duplicate keys are found in linear time, and a file of them lists 50 and how many more', () => {
    const dup = `${HEAD}steps:\n  bye:\n    verb: hangup\n    verb: hangup\n`;
    expect(issuesOf(dup)).toMatchObject([{ line: 7, column: 5, message: 'Map keys must be unique' }]);
    const many = `${HEAD}${STEPS}x:\n${'  k: v\n'.repeat(30_000)}`;
    const issues = issuesOf(many);
    expect(issues).toHaveLength(51);
    expect(issues.at(-1)).toMatchObject({ line: 59, message: 'and 29949 more problems from here on' });
  });

  it('a second YAML document is refused where it starts', () => {
    expect(issuesOf(`${HEAD}${STEPS}---\nother: 1\n`)).toMatchObject([
      { line: 7, column: 1, message: 'a flow file holds one YAML document (a second one starts here)' },
    ]);
  });

  it('every issue has a line and a column of at least 1, even at the very start of the file', () => {
    for (const text of ['[', ']', '{', '*a', '&a', '!x 1', ': :', '- - - -\n  -', '\t', '"', "'", '%YAML 1.2\n---\n---\n']) {
      for (const issue of issuesOf(text)) {
        expect(issue.line, JSON.stringify(text)).toBeGreaterThanOrEqual(1);
        expect(issue.column, JSON.stringify(text)).toBeGreaterThanOrEqual(1);
      }
    }
  });
});
