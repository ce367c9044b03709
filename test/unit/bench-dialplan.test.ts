// npm run bench:load adds its dialplan with Asterisk's CLI, which takes numbered priorities only
// (bench/load/dialplan.ts): the generated entry is numbered and its Goto/GotoIf labels resolved.
// The numbered entry must behave exactly as the generated one: both run through the test
// interpreter of the entry dialplan (support/dialplan.ts) with the controller there, away, and
// back after a gap.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entryContext, SHED_LABEL } from '../../src/asterisk/render-config.js';
import { loadFlow } from '../../src/flow/load-flow.js';
import type { Flow, Ring } from '../../src/flow/schema.js';
import { loadCatalogue } from '../../src/prompts/catalogue.js';
import {
  addCommands,
  arrivalDialplan,
  bareDialplan,
  BENCH_ENTRIES,
  cliQuote,
  type Extension,
  floorDialplan,
  parseDialplan,
  resolveLabels,
  SYSTEMS,
} from '../../bench/load/dialplan.js';
import { parseExtension, type Priority as Step, runExtension, type StasisAt } from './support/dialplan.js';

const benchFlow = loadFlow('bench/load/flow.yaml', loadCatalogue('prompts/catalogue.yaml').ids, { onWarning: () => undefined });
const { context, number } = BENCH_ENTRIES.controller;
const generated = (flow: Flow) => entryContext(context, 'hotline-bench', flow);

/** The numbered extension for the interpreter: numbers become labels it can read (letters only). */
const word = (n: number | string) => `p${[...String(n)].map((d) => 'abcdefghij'[Number(d)]).join('')}`;
function asSteps(ext: Extension): Step[] {
  return ext.priorities.map((p) => {
    let args = p.data;
    if (p.app === 'Goto') args = word(p.data);
    if (p.app === 'GotoIf') {
      const q = args.lastIndexOf('?');
      args = `${args.slice(0, q + 1)}${args.slice(q + 1).split(':').map(word).join(':')}`;
    }
    return { label: word(p.n), app: p.app, args };
  });
}
const numbered = (flow: Flow) => resolveLabels(parseDialplan(generated(flow))[0]!);

describe('the bench dialplan (bench:load)', () => {
  it('numbers the generated entry 1, 2, 3 … and keeps where each label was', () => {
    const [ext, ...others] = parseDialplan(generated(benchFlow));
    expect(others).toEqual([]);
    expect(ext!.context).toBe(context);
    expect(ext!.exten).toBe(number);
    expect(ext!.priorities.map((p) => p.n)).toEqual(ext!.priorities.map((_, i) => i + 1));
    const labels = Object.fromEntries(ext!.priorities.flatMap((p) => (p.label ? [[p.label, p.n]] : [])));
    expect(Object.keys(labels)).toEqual(expect.arrayContaining(['stasis', 'retry', 'again', 'unavailable', SHED_LABEL, 'shedwait', 'shedanswer']));
    expect(ext!.priorities[labels.stasis! - 1]).toMatchObject({ app: 'Stasis', data: 'hotline-bench,talk-detect' });
  });

  it('sends every Goto and GotoIf to an existing priority number', () => {
    const ext = numbered(benchFlow);
    const last = ext.priorities.length;
    const targets = ext.priorities.flatMap((p) =>
      p.app === 'Goto' ? [p.data] : p.app === 'GotoIf' ? p.data.slice(p.data.lastIndexOf('?') + 1).split(':') : [],
    );
    expect(targets.length).toBeGreaterThan(4);
    for (const t of targets) {
      expect(t).toMatch(/^\d+$/);
      expect(Number(t)).toBeGreaterThanOrEqual(1);
      expect(Number(t)).toBeLessThanOrEqual(last);
    }
  });

  const down: StasisAt = () => 'FAILED';
  const backAt = (ms: number): StasisAt => (t) => (t >= ms ? 'TAKEN' : 'FAILED');

  it.each([
    ['the controller there', backAt(0)],
    ['the controller away', down],
    ['the controller back after 0.7 s', backAt(700)],
  ] as const)('behaves as the generated entry with %s', (_, stasis) => {
    const original = runExtension(parseExtension(generated(benchFlow), context, number), stasis);
    expect(runExtension(asSteps(numbered(benchFlow)), stasis)).toEqual(original);
  });

  it('behaves as the generated entry for every ring the schema allows and any gap, from the start and from the shed label', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 40_000 }),
        (onMs, offMs, answerAfterRings, back) => {
          const ring: Ring = { cadence: { onMs, offMs }, answerAfterRings };
          const flow = { ...benchFlow, ring };
          const original = parseExtension(generated(flow), context, number);
          const ext = numbered(flow);
          const shedAt = ext.priorities.find((p) => p.label === SHED_LABEL)!.n;
          expect(runExtension(asSteps(ext), backAt(back))).toEqual(runExtension(original, backAt(back)));
          const fromShed = runExtension(original, down, { start: SHED_LABEL, vars: { HOTLINE_WAITED: '0' } });
          expect(runExtension(asSteps(ext), down, { start: word(shedAt), vars: { HOTLINE_WAITED: '0' } })).toEqual(fromShed);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a Goto to a label the extension does not have', () => {
    const text = '[x]\nexten => 1,1,NoOp()\n same => n(here),GotoIf($[1 > 0]?here:nowhere)\n';
    expect(() => resolveLabels(parseDialplan(text)[0]!)).toThrow(/no label "nowhere"/);
    expect(() => parseDialplan('exten => 1,1,NoOp()')).toThrow(/outside any \[context\]/);
    expect(() => parseDialplan('[x]\n same => n,NoOp()')).toThrow(/"same" before any "exten"/);
    expect(() => parseDialplan('[x]\nexten => 1,n,NoOp()')).toThrow(/needs a priority before it/);
  });

  it('quotes each CLI argument: the CLI reads \\ as an escape inside double quotes', () => {
    expect(cliQuote('a b')).toBe('"a b"');
    expect(cliQuote('GotoIf($["${S}" = "FAILED"]?7)')).toBe('"GotoIf($[\\"${S}\\" = \\"FAILED\\"]?7)"');
    expect(cliQuote('a\\b')).toBe('"a\\\\b"');
  });

  it('adds each priority with `replace`, so adding again changes nothing', () => {
    const commands = addCommands(generated(benchFlow));
    expect(commands).toHaveLength(numbered(benchFlow).priorities.length);
    expect(commands[0]).toBe(`dialplan add extension "${number},1,NoOp(hotline call)" into ${context} replace`);
    expect(commands.find((c) => c.includes('Stasis('))).toBe(`dialplan add extension "${number},4,Stasis(hotline-bench,talk-detect)" into ${context} replace`);
  });

  it('the floor answers and plays the greeting, then the menu; the bare entry only enters its app', () => {
    const floor = addCommands(floorDialplan(BENCH_ENTRIES.dialplan, { greeting: ['hotline/zh-CN/salute.noon', 'hotline/zh-CN/greeting.body'], menu: ['hotline/zh-CN/menu.main'] }));
    expect(floor).toEqual([
      'dialplan add extension "4008009002,1,Answer()" into hotline-bench-dialplan replace',
      'dialplan add extension "4008009002,2,Playback(hotline/zh-CN/salute.noon&hotline/zh-CN/greeting.body)" into hotline-bench-dialplan replace',
      'dialplan add extension "4008009002,3,Playback(hotline/zh-CN/menu.main)" into hotline-bench-dialplan replace',
      'dialplan add extension "4008009002,4,Hangup()" into hotline-bench-dialplan replace',
    ]);
    expect(addCommands(bareDialplan(BENCH_ENTRIES.bare, 'hotline-bench-bare'))).toEqual([
      'dialplan add extension "4008009003,1,Stasis(hotline-bench-bare)" into hotline-bench-bare replace',
      'dialplan add extension "4008009003,2,Hangup()" into hotline-bench-bare replace',
    ]);
  });

  it('reaches each system from the generated arrival context by a number of its own, not the real hotline number', () => {
    const commands = addCommands(arrivalDialplan(SYSTEMS.map((s) => BENCH_ENTRIES[s])));
    expect(commands).toEqual(SYSTEMS.map((s) => `dialplan add extension "${BENCH_ENTRIES[s].number},1,Goto(${BENCH_ENTRIES[s].context},${BENCH_ENTRIES[s].number},1)" into hotline-inbound replace`));
    expect(new Set(SYSTEMS.map((s) => BENCH_ENTRIES[s].number)).size).toBe(3);
    const shipped = loadFlow('dialplans/hotline.yaml', loadCatalogue('prompts/catalogue.yaml').ids, { onWarning: () => undefined });
    expect(SYSTEMS.map((s) => BENCH_ENTRIES[s].number)).not.toContain(shipped.hotline.number);
    expect(benchFlow.hotline.number).toBe(BENCH_ENTRIES.controller.number);
  });
});
