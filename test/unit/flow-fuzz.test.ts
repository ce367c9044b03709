// The loader under fuzzing (fast-check; a failure prints its seed and the shrunk input): files
// mutated from the shipped flow and the fixtures (lines deleted, duplicated, swapped,
// re-indented; scalars changed; random YAML fragments, deep nesting and aliases inserted) either
// load or fail with a FlowError whose every issue has a line and column ≥ 1, never anything
// else, and never past a time limit per file. Bounded to a few seconds in all.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowError, parseFlow } from '../../src/flow/load-flow.js';
import { SERVICE_NAMES } from '../../src/flow/services.js';
import { catalogueIds } from './support/fake-call.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = `${root}test/fixtures/flows/`;
const SOURCES = [
  `${root}dialplans/hotline.yaml`,
  ...readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `${FIXTURES}${f}`),
].map((file) => ({ file, lines: readFileSync(file, 'utf8').split('\n') }));

/** CPU time per file; a loaded host stretches wall time, not the work. */
const LIMIT_MS = 200;

const SCALARS = [
  'answer', 'hangup', 'menu', 'play', 'transfer', 'goodbye', 'main-menu', 'closing', 'bye', 'nowhere',
  '0', '-1', '1e309', '99999999999999999999', '0x10', '.nan', '~', 'null', 'true', '""', "''", '"\\u0000"',
  '[]', '{}', '[a, b]', '{a: 1}', '*a', '&a x', '!!binary aGk=', '!tag x', '|\n  text', '>-\n  text',
  '2026-01-01', '"12:00"', '客服', '\t', '#', ': ', '- x', '? x', '<<: *a', '%', '@', '`',
];
const FRAGMENTS = [
  'x: 1', '- item', '? key\n: value', '<<: *retry', '&a {verb: hangup}', '*a', 'steps: *a', 'a: &x [*x]',
  'steps:\n  b: {verb: answer, next: b}', 'start: nowhere', 'checks: {unreachable: error}', '---', '...',
  '%YAML 1.2', '"unterminated', "'unterminated", '{a: [b, {c: d}', '[a, b', 'key: |\n  block\n  text',
  '\ufeff', '\r\n', ': : :', '- - - x', '!!map {a: 1}', '!!seq [1]', '!!str 1', '&a &b x', 'a: *nope',
];

type Mutation = (lines: string[]) => string[];

const at = (n: number, len: number) => (len === 0 ? 0 : n % len);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((i): Mutation => (ls) => ls.filter((_, j) => j !== at(i, ls.length))),
  fc.nat().map((i): Mutation => (ls) => ls.flatMap((l, j) => (j === at(i, ls.length) ? [l, l] : [l]))),
  fc.tuple(fc.nat(), fc.nat()).map(([i, k]): Mutation => (ls) => {
    const out = [...ls];
    const a = at(i, ls.length);
    const b = at(k, ls.length);
    [out[a], out[b]] = [out[b]!, out[a]!];
    return out;
  }),
  fc.tuple(fc.nat(), fc.integer({ min: -4, max: 4 })).map(([i, d]): Mutation => (ls) =>
    ls.map((l, j) => (j === at(i, ls.length) ? (d >= 0 ? ' '.repeat(d) + l : l.slice(-d)) : l)),
  ),
  // A scalar after "key: " replaced.
  fc.tuple(fc.nat(), fc.constantFrom(...SCALARS)).map(([i, v]): Mutation => (ls) =>
    ls.map((l, j) => (j === at(i, ls.length) ? l.replace(/:\s+\S.*$/, `: ${v}`) : l)),
  ),
  fc.tuple(fc.nat(), fc.constantFrom(...FRAGMENTS), fc.nat({ max: 6 })).map(([i, f, indent]): Mutation => (ls) => {
    const out = [...ls];
    out.splice(at(i, ls.length + 1), 0, ...f.split('\n').map((l) => ' '.repeat(indent) + l));
    return out;
  }),
  fc.tuple(fc.nat(), fc.string({ unit: fc.constantFrom(...'[]{}:,-?&*!|>#"\'\n abc0\t%@'), maxLength: 40 })).map(
    ([i, s]): Mutation => (ls) => {
      const out = [...ls];
      out.splice(at(i, ls.length + 1), 0, ...s.split('\n'));
      return out;
    },
  ),
  // Deep nesting: brackets, braces, compact sequences, indentation.
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 5000 }), fc.constantFrom('[', '{a: ', '- ', 'indent')).map(
    ([i, n, kind]): Mutation => (ls) => {
      const nested =
        kind === 'indent'
          ? Array.from({ length: Math.min(n, 300) }, (_, k) => `${' '.repeat(k)}k:`)
          : [`x: ${kind.repeat(n)}1${kind === '[' ? ']'.repeat(n) : kind === '{a: ' ? '}'.repeat(n) : ''}`];
      const out = [...ls];
      out.splice(at(i, ls.length + 1), 0, ...nested);
      return out;
    },
  ),
  // Aliases: an anchor and many references to it, or a nested bomb.
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 20_000 }), fc.boolean()).map(([i, n, bomb]): Mutation => (ls) => {
    const refs = bomb
      ? ['x:', '  a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]', ...'bcdefg'.split('').map((c, k) => `  ${c}: &${c} [${Array(10).fill(`*${'abcdefg'[k]}`).join(', ')}]`)]
      : [`x: [&d "2026-01-01"${', *d'.repeat(n)}]`];
    const out = [...ls];
    out.splice(at(i, ls.length + 1), 0, ...refs);
    return out;
  }),
);

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function check(text: string, source: string): void {
  const started = cpuMs();
  try {
    parseFlow(text, source, catalogueIds(), { services: new Set(SERVICE_NAMES), onWarning: () => undefined });
  } catch (e) {
    if (!(e instanceof FlowError)) throw new Error(`not a FlowError: ${String(e)}`, { cause: e });
    expect(e.issues.length).toBeGreaterThan(0);
    for (const issue of e.issues) {
      expect(issue.file).toBe(source);
      expect(issue.line).toBeGreaterThanOrEqual(1);
      expect(issue.column).toBeGreaterThanOrEqual(1);
      // A check that threw instead of reporting is a bug, even though the loader wraps it.
      expect(issue.message).not.toMatch(/^the flow could not be checked/);
    }
  }
  const spent = cpuMs() - started;
  expect(spent, `${spent.toFixed(0)} ms of CPU`).toBeLessThan(LIMIT_MS);
}

describe('the flow loader under fuzzing', () => {
  it('mutated shipped and fixture flows: a Flow or a located FlowError, each within the time limit', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (pick, mutations) => {
        const { file, lines } = SOURCES[pick % SOURCES.length]!;
        const mutated = mutations.reduce((ls, m) => m(ls), lines);
        check(mutated.join('\n'), file);
      }),
      { numRuns: 300 },
    );
  }, 20_000);

  it('arbitrary text: a Flow or a located FlowError', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: fc.constantFrom(...'[]{}:,-?&*!|>#"\'\n abc0\t%@<'), maxLength: 400 })),
        (text) => check(text, 'fuzz.yaml'),
      ),
      { numRuns: 300 },
    );
  }, 20_000);
});
