// npm run bench:load's flags (bench/load/options.ts) and the order of its runs
// (bench/load/schedule.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SYSTEMS, type SystemName } from '../../bench/load/dialplan.js';
import { parseOptions, UsageError } from '../../bench/load/options.js';
import { atPriority } from '../../bench/load/priority.js';
import { schedule } from '../../bench/load/schedule.js';
import { controllerNodeFlags } from '../../bench/load/systems.js';

describe('parseOptions (bench:load)', () => {
  it('defaults to the issue’s bench: 20, 50, 100, 150 calls/s, 20 s each, one repetition (under 15 min from a fresh clone), all three systems', () => {
    expect(parseOptions([])).toEqual({
      rates: [20, 50, 100, 150],
      seconds: 20,
      hold: 10,
      repetitions: 1,
      settle: 30,
      systems: ['controller', 'dialplan', 'bare'],
      maxCalls: 1200,
      priority: 'realtime',
      logLevel: 'info',
      out: 'reports/bench-load.json',
    });
  });

  it('reads a smoke run’s flags', () => {
    const o = parseOptions(['--rates', '5', '--seconds', '10', '--repetitions', '1', '--systems', 'dialplan, controller', '--max-calls=300']);
    expect(o).toMatchObject({ rates: [5], seconds: 10, repetitions: 1, systems: ['dialplan', 'controller'], maxCalls: 300 });
    expect(parseOptions(['--priority', 'normal']).priority).toBe('normal');
  });

  it('starts the ARI systems at the priority asked for, the same command otherwise (README: CPU priority)', () => {
    const argv = ['/usr/bin/node', '--import', 'tsx', 'src/main.ts'];
    expect(atPriority('normal', argv)).toEqual(argv);
    expect(atPriority('high', argv)).toEqual(['nice', '-n', '-10', ...argv]);
    expect(atPriority('realtime', argv)).toEqual(['chrt', '--rr', '1', ...argv]);
  });

  it('runs the controller with the Node flags npm start gives it (package.json config.nodeFlags)', () => {
    expect(controllerNodeFlags()).toEqual(['--max-semi-space-size=2']);
  });

  it('names every bad flag, and refuses unknown ones and positionals', () => {
    const message = (argv: string[]) => {
      try {
        parseOptions(argv);
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    const bad = message(['--rates', '20,fast', '--seconds', '0', '--systems', 'asterisk', '--max-calls=-1', '--priority', 'nice']);
    expect(bad).toMatch(/^--rates: /m);
    expect(bad).toMatch(/^--seconds: /m);
    expect(bad).toMatch(/^--systems: /m);
    expect(bad).toMatch(/^--max-calls: /m);
    expect(bad).toMatch(/^--priority: /m);
    expect(bad).toContain('usage: npm run bench:load -- [flags]');
    expect(message(['--rate', '5'])).toMatch(/Unknown option '--rate'/);
    expect(message(['5'])).toMatch(/positional/);
    expect(message(['--rates', ''])).toMatch(/^--rates: /m);
    expect(message(['--help'])).toMatch(/^usage: .*\n {2}--rates {8}calls per second/);
  });
});

describe('schedule (bench:load)', () => {
  it('runs every system once per rate and repetition, rotating who goes first', () => {
    const runs = schedule({ repetitions: 2, rates: [20, 50], systems: SYSTEMS });
    expect(runs.map((r) => `${r.repetition}/${r.rate}/${r.system}`)).toEqual([
      '1/20/controller', '1/20/dialplan', '1/20/bare',
      '1/50/dialplan', '1/50/bare', '1/50/controller',
      '2/20/dialplan', '2/20/bare', '2/20/controller',
      '2/50/bare', '2/50/controller', '2/50/dialplan',
    ]);
  });

  it('for any rates, repetitions and systems: each (repetition, rate) has each system exactly once, and consecutive rates start differently', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.shuffledSubarray([...SYSTEMS] as SystemName[], { minLength: 1 }),
        (rates, repetitions, systems) => {
          const runs = schedule({ repetitions, rates, systems });
          expect(runs).toHaveLength(rates.length * repetitions * systems.length);
          for (let rep = 1; rep <= repetitions; rep++) {
            rates.forEach((rate, i) => {
              const group = runs.filter((r) => r.repetition === rep && r.rate === rate).map((r) => r.system);
              expect([...group].sort()).toEqual([...systems].sort());
              const next = rates[i + 1];
              if (next !== undefined && systems.length > 1) {
                expect(runs.find((r) => r.repetition === rep && r.rate === next)!.system).not.toBe(group[0]);
              }
            });
          }
        },
      ),
    );
  });
});
