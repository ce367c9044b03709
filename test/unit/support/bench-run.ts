// One run of npm run bench:load as its report holds it (bench/load/results.ts), for the tests of
// the verdict and the table: a run where all went well at 20 calls/s, changed by `overrides`.
import type { SystemName } from '../../../bench/load/dialplan.js';
import type { RunResult } from '../../../bench/load/results.js';

export type RunOverrides = Partial<Omit<RunResult, 'sipp'>> & { sipp?: Partial<RunResult['sipp']> };

export function benchRun(system: SystemName, o: RunOverrides = {}): RunResult {
  const { sipp, ...rest } = o;
  return {
    repetition: 1,
    rate: 20,
    system,
    startedAt: '2026-11-30T00:00:00.000Z',
    durationS: 30,
    sipp: {
      attempted: 400,
      successful: 400,
      failed: 0,
      failures: {},
      answered: 400,
      refused: {},
      unanswered: 0,
      endedByCaller: 400,
      endedByHotline: 0,
      exitCode: 0,
      timedOut: false,
      ...sipp,
    },
    answerDelayMs: 0,
    answerMs: { count: 400, p50: 2, p95: 4, p99: 5, max: 6 },
    stuck: 0,
    errors: [],
    ...(system === 'controller'
      ? {
          process: { cpuMs: 2000, cpuMsPerCall: 5, rssBaseMb: 90, rssPeakMb: 95, kbPerLiveCall: 25, peakLiveCalls: 200 },
          loopDelayMs: { p99: 4, max: 12, windows: 60 },
          store: { calls: 400, events: 2400, missingRows: 0, missingHangups: 0, unfinished: 0, shed: {} },
        }
      : system === 'bare'
        ? { process: { cpuMs: 1600, cpuMsPerCall: 4, rssBaseMb: 60, rssPeakMb: 62 } }
        : {}),
    ...rest,
  };
}
