// CPU per call, function by function: each hot spot of the 50 calls/s profile (issue 12) measured
// before and after its fix, side by side in the same run (ops/s, more is better). The "before"
// versions are copies of the replaced code, kept here only to be measured. `npm run bench:cpu`.
import { performance } from 'node:perf_hooks';
import { localDate, localTime } from '../src/calendar/local-time.js';

const MIN_MS = Number(process.env.BENCH_MS ?? 500);

/** Ops per second of `body`, after a warm-up, over at least MIN_MS. */
function opsPerSecond(body: (i: number) => unknown): number {
  for (let i = 0; i < 1000; i++) body(i);
  let n = 0;
  let batch = 100;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < MIN_MS) {
    for (let i = 0; i < batch; i++) body(n + i);
    n += batch;
    batch = Math.min(batch * 2, 100_000);
    elapsed = performance.now() - start;
  }
  return (n / elapsed) * 1000;
}

interface Case {
  name: string;
  before: (i: number) => unknown;
  after: (i: number) => unknown;
}

const fmt = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 }).padStart(12);

function report(cases: Case[]): void {
  const only = process.argv[2];
  console.log(`${'case'.padEnd(44)}${'before ops/s'.padStart(14)}${'after ops/s'.padStart(14)}  speed-up`);
  for (const c of cases) {
    if (only && !c.name.includes(only)) continue;
    const before = opsPerSecond(c.before);
    const after = opsPerSecond(c.after);
    console.log(`${c.name.padEnd(44)}  ${fmt(before)}  ${fmt(after)}  ×${(after / before).toFixed(1)}`);
  }
}

// ---- calendar: a new Intl.DateTimeFormat per call vs. one per zone ----

const ZONE = 'Asia/Shanghai';
const T0 = Date.UTC(2026, 4, 1, 9, 30);
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function localTimeBefore(atMs: number, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    weekday: 'short',
    hourCycle: 'h23',
  }).formatToParts(atMs);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    date: `${get('year')}-${get('month')}-${get('day')}`,
    minutes: Number(get('hour')) * 60 + Number(get('minute')),
    weekday: WEEKDAYS.indexOf(get('weekday')),
  };
}

function localDateBefore(atMs: number, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    calendar: 'gregory',
    numberingSystem: 'latn',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  }).formatToParts(atMs);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

const cases: Case[] = [
  {
    name: 'calendar: localTime',
    before: (i) => localTimeBefore(T0 + i * 61_000, ZONE),
    after: (i) => localTime(T0 + i * 61_000, ZONE),
  },
  {
    name: 'calendar: localDate',
    before: (i) => localDateBefore(T0 + i * 61_000, ZONE),
    after: (i) => localDate(T0 + i * 61_000, ZONE),
  },
];

report(cases);
