// CPU per call, function by function: each hot spot of the 50 calls/s profile (issue 12) measured
// before and after its fix, side by side in the same run (ops/s, more is better). The "before"
// versions are copies of the replaced code, kept here only to be measured. `npm run bench:cpu`.
import { setMaxListeners } from 'node:events';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { AMI_EVENTS } from '../src/ami/ami-events.js';
import { AmiMonitor } from '../src/ami/ami-monitor.js';
import { ChannelWaiters } from '../src/ari/channel-waiters.js';
import { ChannelGoneError } from '../src/ari/types.js';
import BetterSqlite3 from 'better-sqlite3';
import { createCallerHistory } from '../src/store/caller-history.js';
import { MIGRATIONS, runMigrations } from '../src/store/migrations.js';
import { localDate, localTime } from '../src/calendar/local-time.js';
import { childSignal, ChildSignals, doneReason, systemClock } from '../src/clock/clock.js';
import { createLogger } from '../src/log/logger.js';

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

// ---- AMI: every call-class event vs. only those the monitor reads (manager.conf eventfilter) ----
//
// A model of one bench call's caller leg as AMI sends it to a user reading system,call: a channel
// snapshot (~20 headers) per event. The real count varies with talk bursts and legs; the figure
// is the parsing cost per call through asterisk-manager and the AmiMonitor, socket included.

function amiEvent(name: string, id: number, extra: Record<string, string> = {}): string {
  const headers: Record<string, string> = {
    Event: name,
    Privilege: 'call,all',
    Channel: `PJSIP/sipp-${String(id).padStart(8, '0')}`,
    ChannelState: '6',
    ChannelStateDesc: 'Up',
    CallerIDNum: '13800138000',
    CallerIDName: '<unknown>',
    ConnectedLineNum: '<unknown>',
    ConnectedLineName: '<unknown>',
    Language: 'zh',
    AccountCode: '',
    Context: 'hotline-inbound',
    Exten: '4000',
    Priority: '3',
    Uniqueid: `1767000000.${id}`,
    Linkedid: `1767000000.${id}`,
    ...extra,
  };
  return `${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n`;
}

const CALL_EVENTS = [
  'Newchannel',
  'Newstate',
  'NewConnectedLine',
  'Newstate',
  'NewCallerid',
  'ChannelTalkingStart',
  'ChannelTalkingStop',
  'ChannelTalkingStart',
  'ChannelTalkingStop',
  'HangupRequest',
  'SoftHangupRequest',
  'Hangup',
];
const kept = new Set<string>(AMI_EVENTS);

function amiStream(calls: number, filtered: boolean): string {
  let out = '';
  for (let id = 0; id < calls; id++) {
    for (const name of CALL_EVENTS) {
      if (filtered && !kept.has(name)) continue;
      out += amiEvent(name, id, name === 'Hangup' ? { Cause: '16', 'Cause-txt': 'Normal Clearing' } : name.endsWith('Request') ? { Cause: '16' } : {});
    }
  }
  return out + amiEvent('Hangup', calls, { Uniqueid: 'end', Cause: '16', 'Cause-txt': 'Normal Clearing' });
}

/** Calls per second the AmiMonitor gets through, the stream written by a local fake Asterisk. */
async function amiCallsPerSecond(filtered: boolean, calls: number, rounds: number): Promise<number> {
  const stream = amiStream(calls, filtered);
  let client: net.Socket | undefined;
  const server = net.createServer((socket) => {
    client = socket;
    socket.write('Asterisk Call Manager/11.0.0\r\n');
    socket.on('data', (d) => {
      const id = /actionid: (\S+)/i.exec(String(d))?.[1] ?? '';
      socket.write(`Response: Success\r\nActionID: ${id}\r\nMessage: Authentication accepted\r\n\r\n`);
      socket.write('Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const monitor = new AmiMonitor({ host: '127.0.0.1', port, user: 'bench', secret: 'bench' }, createLogger({ level: 'silent' }), systemClock);
  await new Promise<void>((resolve) => {
    monitor.once('up', resolve);
    monitor.start();
  });
  let total = 0;
  for (let r = 0; r < rounds + 1; r++) {
    const done = new Promise<void>((resolve) => {
      const onHangup = (id: string) => {
        if (id !== 'end') return;
        monitor.off('hangup', onHangup);
        resolve();
      };
      monitor.on('hangup', onHangup);
    });
    const start = performance.now();
    client?.write(stream);
    await done;
    if (r > 0) total += performance.now() - start; // round 0 warms up
  }
  monitor.stop();
  client?.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return ((calls * rounds) / total) * 1000;
}

// ---- ARI adapter: a channel ends with 500 live calls, each playing (and one in 5 recorded) ----

const LIVE = 500;
type Settle = (outcome: string) => void;

/** The adapter's waiters before the index: every channel end scans every live call's. */
class ScannedWaiters {
  readonly playbacks = new Map<string, { channelId: string; settle: Settle }>();
  readonly recordings = new Map<string, { channelId?: string; settle: Settle }>();
  settlePlaybacksOf(channelId: string): void {
    for (const [playbackId, waiter] of [...this.playbacks]) {
      if (waiter.channelId === channelId) {
        this.playbacks.delete(playbackId);
        waiter.settle('gone');
      }
    }
    for (const [name, waiter] of [...this.recordings]) {
      if (waiter.channelId !== channelId) continue;
      this.recordings.delete(name);
      waiter.settle('gone');
    }
  }
}

const noop: Settle = () => undefined;
const scanned = new ScannedWaiters();
const indexed = { playbacks: new ChannelWaiters<string>(), recordings: new ChannelWaiters<string>() };
for (let c = 0; c < LIVE; c++) {
  scanned.playbacks.set(`pb-${c}`, { channelId: `ch-${c}`, settle: noop });
  indexed.playbacks.add(`pb-${c}`, `ch-${c}`, noop);
  if (c % 5 === 0) {
    scanned.recordings.set(`rec-${c}`, { channelId: `ch-${c}`, settle: noop });
    indexed.recordings.add(`rec-${c}`, `ch-${c}`, noop);
  }
}

cases.push({
  name: `ari: a channel ends, ${LIVE} live calls`,
  // Each op ends one call's channel and starts the next call's playback, so 500 stay live.
  before: (i) => {
    const c = i % LIVE;
    scanned.settlePlaybacksOf(`ch-${c}`);
    scanned.playbacks.set(`pb-${c}`, { channelId: `ch-${c}`, settle: noop });
  },
  after: (i) => {
    const c = i % LIVE;
    indexed.playbacks.settleChannel(`ch-${c}`, 'gone');
    indexed.recordings.settleChannel(`ch-${c}`, 'gone');
    indexed.playbacks.add(`pb-${c}`, `ch-${c}`, noop);
  },
});

// ---- N12 caller history: the schema before migration 15 vs. after, same rows ----
//
// A day of the load bench: 20,000 calls from its one SIPp number, one in 10 reaching an agent,
// and 20,000 calls from 10,000 other numbers. Asked for the bench's number and for another's.

function historyAt(version: number) {
  const db = new BetterSqlite3(':memory:');
  runMigrations(db, { migrations: MIGRATIONS.slice(0, version) });
  const history = createCallerHistory(db);
  const day = Date.UTC(2026, 4, 1);
  for (let n = 0; n < 20_000; n++) {
    history.noteCall({ id: `bench-${n}`, caller: '13800138000', startedAt: day + n * 20 });
    if (n % 10 === 0) history.noteBridged(`bench-${n}`, 'billing');
    history.noteCall({ id: `other-${n}`, caller: `139${String(n % 10_000).padStart(8, '0')}`, startedAt: day + n * 20 + 7 });
  }
  return { history, day };
}

const oldHistory = historyAt(14);
const newHistory = historyAt(15);
const ask = (h: typeof oldHistory, caller: string) => (i: number) =>
  h.history.earlierToday(caller, h.day, { id: `asking-${i}`, startedAt: h.day + 400_000 + (i % 1000) });
cases.push(
  {
    name: 'N12: earlierToday, the bench number',
    before: ask(oldHistory, '13800138000'),
    after: ask(newHistory, '13800138000'),
  },
  {
    name: 'N12: earlierToday, a number of 2 calls',
    before: ask(oldHistory, '13900000042'),
    after: ask(newHistory, '13900000042'),
  },
);

// ---- ChannelGoneError: with a stack trace vs. without, made 12 frames deep ----

class ChannelGoneErrorBefore extends Error {
  constructor(
    readonly channelId: string,
    readonly operation: string,
    detail: string,
  ) {
    super(`channel ${channelId} gone during ${operation}: ${detail}`);
    this.name = 'ChannelGoneError';
  }
}

/** Makes an error `depth` frames down, as the adapter does under the events socket's dispatch. */
function deep(depth: number, make: () => Error): Error {
  return depth === 0 ? make() : deep(depth - 1, make);
}

cases.push({
  name: 'ChannelGoneError, 12 frames deep',
  before: (i) => deep(12, () => new ChannelGoneErrorBefore(`ch-${i}`, 'request', 'it left the application')),
  after: (i) => deep(12, () => new ChannelGoneError(`ch-${i}`, 'request', 'it left the application')),
});

// ---- signals: a channel's life and a request's attempt, with 500 live channels ----

/** The adapter's stop signal with 500 live channels, and 150 ending ones' grace timers (3 s at 50 calls/s). */
function stopSignalWith500(made: 'listeners' | 'fan-out') {
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const fanOut = new ChildSignals(stop.signal);
  const child = made === 'listeners' ? () => childSignal(stop.signal) : () => fanOut.child();
  for (let c = 0; c < LIVE; c++) child();
  for (let c = 0; c < 150; c++) systemClock.timer(60_000, stop.signal, () => undefined);
  return { stop: stop.signal, child };
}
const oldStop = stopSignalWith500('listeners');
const newStop = stopSignalWith500('fan-out');
const channelComesAndGoes = (s: typeof oldStop) => () => {
  // Its life (adopt), then its end: the life aborted, a grace timer on the stop signal.
  const life = s.child();
  life.abort();
  systemClock.timer(2000, s.stop, () => undefined).cancel();
};
cases.push({
  name: 'signals: a channel comes and goes, 500 live',
  before: channelComesAndGoes(oldStop),
  after: channelComesAndGoes(newStop),
});

cases.push({
  name: "signals: a wait ends, Error('done') reason",
  before: () => new AbortController().abort(new Error('done')),
  after: () => new AbortController().abort(doneReason()),
});

/** What a transport does with an attempt's signal: listens while the request is out. */
function transportHolds(signal: AbortSignal): void {
  const onAbort = () => undefined;
  signal.addEventListener('abort', onAbort, { once: true });
  signal.removeEventListener('abort', onAbort);
}
const channelLife = new AbortController().signal;
cases.push({
  name: "signals: one request's attempt",
  before: () => {
    const attempt = childSignal(channelLife);
    systemClock.timer(5000, attempt.signal, () => attempt.abort(new Error('timeout')));
    transportHolds(attempt.signal);
    attempt.abort();
  },
  after: () => {
    const attempt = new AbortController();
    const onCaller = () => attempt.abort(channelLife.reason);
    channelLife.addEventListener('abort', onCaller, { once: true });
    const timer = systemClock.timer(5000, attempt.signal, () => attempt.abort(new Error('timeout')));
    transportHolds(attempt.signal);
    timer.cancel();
    channelLife.removeEventListener('abort', onCaller);
  },
});

report(cases);
if (!process.argv[2] || 'ami: calls parsed'.includes(process.argv[2])) {
  const before = await amiCallsPerSecond(false, 500, 6);
  const after = await amiCallsPerSecond(true, 500, 6);
  const name = `ami: calls parsed (${CALL_EVENTS.length} -> ${CALL_EVENTS.filter((e) => kept.has(e)).length} events)`;
  console.log(`${name.padEnd(44)}  ${fmt(before)}  ${fmt(after)}  ×${(after / before).toFixed(1)}`);
}
