// `npm run bench:load -- [flags]`: what to run. Every run is bounded, so the flags bound the
// whole bench: about repetitions × rates × systems × (seconds + hold + a few s), plus the settle
// after the last run (the settles of the others overlap the next system's run).
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { SYSTEMS, type SystemName } from './dialplan.js';
import { PRIORITIES } from './priority.js';

// A comma-separated flag as a list of items.
const csv = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter((x) => x !== '') : v), z.array(item).min(1));

const Options = z
  .object({
    rates: csv(z.coerce.number().int().min(1).max(1000)).default([20, 50, 100, 150]).describe('calls per second, one run of each system per rate'),
    seconds: z.coerce.number().int().min(1).max(600).default(20).describe('how long SIPp places calls at each rate'),
    hold: z.coerce.number().int().min(1).max(120).default(10).describe('how long each caller stays after the answer, s'),
    repetitions: z.coerce.number().int().min(1).max(10).default(1).describe('every rate and system again, in another order (2 for a verdict that must hold twice: about 17.5 min here)'),
    settle: z.coerce.number().int().min(0).max(300).default(30).describe('after a run, how long until its channels still up are counted, s'),
    systems: csv(z.enum(SYSTEMS as [SystemName, ...SystemName[]])).default([...SYSTEMS]).describe('which systems to run'),
    maxCalls: z.coerce.number().int().min(1).max(10_000).default(1200).describe("the controller's HOTLINE_MAX_CALLS: past it callers are shed"),
    priority: z
      .enum(PRIORITIES)
      .default('realtime')
      .describe("the CPU priority of the controller and the bare app (README: CPU priority): normal, high (nice -10) or realtime (SCHED_RR 1)"),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info').describe("the controller's LOG_LEVEL (its log goes to a file)"),
    out: z.string().min(1).default('reports/bench-load.json').describe('the JSON report'),
  })
  .strict();
export type BenchOptions = z.output<typeof Options>;

const FLAGS = {
  rates: 'rates',
  seconds: 'seconds',
  hold: 'hold',
  repetitions: 'repetitions',
  settle: 'settle',
  systems: 'systems',
  'max-calls': 'maxCalls',
  priority: 'priority',
  'log-level': 'logLevel',
  out: 'out',
} as const satisfies Record<string, keyof BenchOptions>;

export class UsageError extends Error {}

/** The flags, checked; a UsageError names every bad one. `--help` gives the usage as the error. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: 'string' }] as const)), help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage()}`);
  }
  if (parsed.values.help) throw new UsageError(usage());
  const input = Object.fromEntries(
    Object.entries(FLAGS).flatMap(([flag, key]) => {
      const v = parsed.values[flag as keyof typeof parsed.values];
      return typeof v === 'string' ? [[key, v]] : [];
    }),
  );
  const result = Options.safeParse(input);
  if (!result.success) {
    const flagOf = (key: PropertyKey | undefined) => Object.entries(FLAGS).find(([, k]) => k === key)?.[0] ?? String(key);
    throw new UsageError(`${result.error.issues.map((i) => `--${flagOf(i.path[0])}: ${i.message}`).join('\n')}\n\n${usage()}`);
  }
  return result.data;
}

export function usage(): string {
  const shape = Options.shape;
  const lines = Object.entries(FLAGS).map(([flag, key]) => {
    const schema = shape[key];
    const def = JSON.stringify(schema.parse(undefined));
    return `  --${flag.padEnd(12)} ${schema.description ?? ''} (default ${def.replace(/^\[|\]$/g, '').replace(/"/g, '')})`;
  });
  return `usage: npm run bench:load -- [flags]\n${lines.join('\n')}`;
}
