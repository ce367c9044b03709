// One run of the bench: one system at one rate. It starts the system's process (if it has one),
// takes a baseline, lets SIPp call, samples the process (CPU, RSS, and the controller's /health:
// live calls, event-loop delay) while the calls last, and reads SIPp's files. What can only be
// known later (channels still up `settle` s after the run, the controller's database) is
// finished by `settled`, which also stops the process: the next system's run goes on meanwhile
// (on other channels, in another context), so the settle costs the bench no time.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asteriskPid, type AriRest, isChannelOf } from './asterisk.js';
import { readStore } from './controller-db.js';
import { BENCH_APPS, BENCH_ENTRIES, type BenchDialplan, type SystemName } from './dialplan.js';
import { dialplanInstalled, installDialplan } from './install-dialplan.js';
import { sampleProcess, type ProcSample } from './proc.js';
import type { RunResult } from './results.js';
import type { RunSpec } from './schedule.js';
import { runSipp, type SippRunOutput } from './sipp.js';
import { answering, parseShortMessages, parseSippStats, type SippCounts } from './sipp-results.js';
import { round1, spread } from './stats.js';
import type { Priority } from './priority.js';
import { startBareApp, startController, type ControllerProcess, type SystemProcess } from './systems.js';
import type { Config } from '../../src/config/env.js';

/** After SIPp's last call: the processes' last work on the calls (records, hang-up causes) still counts. */
const TAIL_MS = 2000;
/**
 * Calls placed to a freshly started process before its baseline is taken, not counted: at the
 * run's own rate (at least 10/s), so its heap has grown to what that rate of allocation needs
 * and its code is compiled, but short, so few of them are live at once.
 */
const WARM_UP = { minRate: 10, seconds: 2, holdMs: 500 };
/** After the warm-up calls, before the baseline. */
const WARM_MS = 1000;
const SAMPLE_EVERY_MS = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (kb: number) => Math.round(kb / 1024);

export interface BenchContext {
  ari: Config['ari'];
  rest: AriRest;
  dialplan: BenchDialplan;
  /** The prompts as sound: URIs (the bare app) — the floor has them in its dialplan. */
  media: { greeting: string[]; menu: string[] };
  /** Each system's configured answer delay, ms. */
  answerDelayMs: Record<SystemName, number>;
  flowFile: string;
  maxCalls: number;
  logLevel: string;
  /** The CPU priority of the controller and the bare app. */
  priority: Priority;
  seconds: number;
  holdMs: number;
  settleS: number;
  logsDir: string;
}


/** What the run measured before its settle. */
interface Measured {
  result: RunResult;
  sipp: SippRunOutput;
  counts: SippCounts;
}

interface Samples {
  /** Every sample: seconds since SIPp started, RSS, and the controller's live calls and loop delay. */
  timeline: { t: number; rssMb: number; live?: number; loopP99?: number }[];
  rssPeakKb: number;
  peakLiveCalls: number;
  loopP99: number;
  loopMax: number;
  windows: number;
}

/** Samples the process (and the controller's /health) until stopped. */
function sampler(proc: SystemProcess | undefined, controller: ControllerProcess | undefined) {
  const s: Samples = { timeline: [], rssPeakKb: 0, peakLiveCalls: 0, loopP99: 0, loopMax: 0, windows: 0 };
  const t0 = Date.now();
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      const p = proc ? sampleProcess(proc.pid) : undefined;
      if (p) s.rssPeakKb = Math.max(s.rssPeakKb, p.rssKb);
      const load = controller ? (await controller.health())?.load : undefined;
      if (load) {
        s.peakLiveCalls = Math.max(s.peakLiveCalls, load.liveCalls);
        s.loopP99 = Math.max(s.loopP99, load.loopDelayMs.p99);
        s.loopMax = Math.max(s.loopMax, load.loopDelayMs.max);
        s.windows++;
      }
      if (p) {
        const t = Math.round((at - t0) / 100) / 10;
        s.timeline.push({ t, rssMb: round1(p.rssKb / 1024), ...(load ? { live: load.liveCalls, loopP99: load.loopDelayMs.p99 } : {}) });
      }
      await sleep(Math.max(0, SAMPLE_EVERY_MS - (Date.now() - at)));
    }
  })();
  return async () => {
    running = false;
    await loop;
    return s;
  };
}

export async function runOnce(spec: RunSpec, ctx: BenchContext): Promise<{ result: RunResult; settled: Promise<void> }> {
  const { system, rate, repetition } = spec;
  const errors: string[] = [];
  const tag = `rep${repetition}-${rate}cps-${system}`;
  if (!(await dialplanInstalled(system))) {
    console.log('bench: the bench dialplan was gone (the sandbox regenerated?): writing it again');
    await installDialplan(ctx.dialplan);
  }
  const dir = mkdtempSync(join(tmpdir(), `bench-load-${tag}-`));
  const logFile = join(ctx.logsDir, `${tag}.log`);
  const dbFile = join(dir, 'hotline.db');
  let controller: ControllerProcess | undefined;
  let proc: SystemProcess | undefined;
  try {
    if (system === 'controller') {
      proc = controller = await startController({ app: BENCH_APPS.controller, flowFile: ctx.flowFile, dbFile, logFile, maxCalls: ctx.maxCalls, logLevel: ctx.logLevel, priority: ctx.priority });
    } else if (system === 'bare') {
      proc = await startBareApp({ app: BENCH_APPS.bare, ari: ctx.ari, ...ctx.media, logFile, priority: ctx.priority });
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  // From here until the settle takes over, a failure must not leave the process running: the
  // next run of this system would start a second one on the same application.
  let measured: Measured;
  try {
    if (proc) {
      // Warm-up calls, then the baseline: the process's first calls compile its code and grow its
      // heap, which is neither per call nor per live call.
      const warmDir = join(dir, 'warm-up');
      mkdirSync(warmDir);
      const warmRate = Math.max(WARM_UP.minRate, rate);
      const warm = await runSipp({ number: BENCH_ENTRIES[system].number, rate: warmRate, seconds: WARM_UP.seconds, holdMs: WARM_UP.holdMs, dir: warmDir });
      const answeredWarm = answering(parseShortMessages(warm.shortMessages), 0).answered;
      if (answeredWarm < warmRate * WARM_UP.seconds) errors.push(`only ${answeredWarm} of ${warmRate * WARM_UP.seconds} warm-up calls were answered`);
      await sleep(WARM_MS);
    }

    const astPid = asteriskPid();
    const base: { proc?: ProcSample | undefined; asterisk?: ProcSample | undefined } = {
      proc: proc ? sampleProcess(proc.pid) : undefined,
      asterisk: astPid ? sampleProcess(astPid) : undefined,
    };
    const stopSampling = sampler(proc, controller);
    const sipp = await runSipp({ number: BENCH_ENTRIES[system].number, rate, seconds: ctx.seconds, holdMs: ctx.holdMs, dir });
    await sleep(TAIL_MS);
    const samples = await stopSampling();
    const end = { proc: proc ? sampleProcess(proc.pid) : undefined, asterisk: astPid ? sampleProcess(astPid) : undefined };
    if (proc?.exited() !== undefined) errors.push(`the ${system} process exited during the run (${proc.exited()})`);
    if (!(await dialplanInstalled(system).catch(() => false))) {
      errors.push("the bench dialplan was gone after the run (the sandbox regenerated elsewhere?): this run's failures may be that");
    }
    if (sipp.timedOut) errors.push('SIPp was stopped by the run bound');

    let counts: SippCounts = { attempted: 0, successful: 0, failed: 0, failures: {} };
    try {
      counts = parseSippStats(sipp.stats);
    } catch (err) {
      errors.push(`SIPp statistics: ${(err as Error).message}; ${sipp.errors.slice(0, 300)}`);
    }
    const answered = answering(parseShortMessages(sipp.shortMessages), ctx.answerDelayMs[system]);
    const perCall = (ms: number) => (counts.attempted > 0 ? Math.round((ms / counts.attempted) * 100) / 100 : undefined);
    const cpuMs = base.proc && end.proc ? end.proc.cpuMs - base.proc.cpuMs : undefined;
    const rssBaseKb = base.proc?.rssKb;

    const result: RunResult = {
      repetition,
      rate,
      system,
      startedAt: new Date(sipp.startedAt).toISOString(),
      durationS: Math.round((sipp.endedAt - sipp.startedAt) / 100) / 10,
      sipp: {
        ...counts,
        answered: answered.answered,
        refused: answered.refused,
        unanswered: answered.unanswered,
        endedByCaller: answered.endedByCaller,
        endedByHotline: answered.endedByHotline,
        exitCode: sipp.exitCode,
        timedOut: sipp.timedOut,
      },
      answerDelayMs: ctx.answerDelayMs[system],
      answerMs: roundSpread(spread(answered.answerMs)),
      stuck: null,
      errors,
    };
    if (proc && cpuMs !== undefined && rssBaseKb !== undefined) {
      const peakKb = Math.max(samples.rssPeakKb, end.proc?.rssKb ?? 0);
      result.process = { cpuMs: Math.round(cpuMs), cpuMsPerCall: perCall(cpuMs), rssBaseMb: mb(rssBaseKb), rssPeakMb: mb(peakKb), timeline: samples.timeline };
      if (controller) {
        result.process.peakLiveCalls = samples.peakLiveCalls;
        result.process.kbPerLiveCall = samples.peakLiveCalls > 0 ? round1((peakKb - rssBaseKb) / samples.peakLiveCalls) : undefined;
      }
    } else if (proc) {
      errors.push(`no /proc figures for pid ${proc.pid}`);
    }
    if (controller) {
      if (samples.windows > 0) result.loopDelayMs = { p99: samples.loopP99, max: samples.loopMax, windows: samples.windows };
      else errors.push("the controller's /health gave no load figures");
    }
    if (base.asterisk && end.asterisk) {
      const astCpu = end.asterisk.cpuMs - base.asterisk.cpuMs;
      result.asterisk = { cpuMs: Math.round(astCpu), cpuMsPerCall: perCall(astCpu), rssMb: mb(end.asterisk.rssKb) };
    }
    measured = { result, sipp, counts };
  } catch (err) {
    await proc?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { result, sipp, counts } = measured;

  const settled = (async () => {
    try {
      await sleep(Math.max(0, ctx.settleS * 1000 - TAIL_MS));
      const entry = BENCH_ENTRIES[system];
      const app = system === 'dialplan' ? undefined : BENCH_APPS[system];
      const mine = (await ctx.rest.channels()).filter((c) => isChannelOf(c, entry, app));
      result.stuck = mine.length;
      // The warm-up calls' rows are not this run's.
      if (controller) result.store = readStore(dbFile, counts.attempted, sipp.startedAt);
      // Nothing of this run may reach the next one.
      await Promise.all(mine.map((c) => ctx.rest.hangup(c.id)));
    } catch (err) {
      errors.push(`after the run: ${(err as Error).message}`);
    } finally {
      await proc?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return { result, settled };
}

function roundSpread(s: ReturnType<typeof spread>): ReturnType<typeof spread> {
  const r = (n: number | undefined) => (n === undefined ? undefined : round1(n));
  return { count: s.count, p50: r(s.p50), p95: r(s.p95), p99: r(s.p99), max: r(s.max) };
}
