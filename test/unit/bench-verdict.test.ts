// npm run bench:load's verdict per rate against issue 12's goals (item 3), bench/load/verdict.ts:
// the controller fails none where the dialplan fails none (and strands none, loses no row or
// call.hangup), its p99 ≤ 2 × the dialplan's + 5 ms, loop delay max ≤ 20 ms, ≤ 50 KB per live
// call, CPU per call ≤ 1.5 × the bare app's; each judged within a repetition, and a rate passes
// only if every repetition does.
import { describe, expect, it } from 'vitest';
import type { SystemName } from '../../bench/load/dialplan.js';
import { formatVerdicts, GOALS, type RuleResult, verdicts } from '../../bench/load/verdict.js';
import { benchRun, type RunOverrides } from './support/bench-run.js';

const trio = (o: Partial<Record<SystemName, RunOverrides>> = {}, repetition = 1, rate = 20) => [
  benchRun('controller', { repetition, rate, ...o.controller }),
  benchRun('dialplan', { repetition, rate, ...o.dialplan }),
  benchRun('bare', { repetition, rate, ...o.bare }),
];

const rule = (list: ReturnType<typeof verdicts>, name: RuleResult['rule'], rate = 20) => list.find((v) => v.rate === rate)!.rules.find((r) => r.rule === name)!;

describe('verdicts (bench:load, issue 12 goals)', () => {
  it('passes a rate where every goal holds, with the figures in the details', () => {
    const [v] = verdicts(trio());
    expect(v!.status).toBe('PASS');
    expect(v!.rules.map((r) => [r.rule, r.status])).toEqual([
      ['no loss', 'PASS'],
      ['p99', 'PASS'],
      ['loop delay', 'PASS'],
      ['memory', 'PASS'],
      ['cpu', 'PASS'],
    ]);
    expect(rule(verdicts(trio()), 'p99').detail).toBe('rep 1: 5 ms vs 2 × 5 ms + 5 = 15 ms');
    expect(rule(verdicts(trio()), 'cpu').detail).toBe('rep 1: 5 ms per call vs 1.5 × 4 ms = 6 ms');
  });

  it('the goals are the issue’s', () => {
    expect(GOALS).toEqual({ p99Factor: 2, p99SlackMs: 5, loopDelayMaxMs: 20, kbPerLiveCall: 50, cpuFactor: 1.5 });
  });

  it('no loss: one failed, one stuck, one row or one call.hangup missing fails, where the dialplan failed none', () => {
    for (const controller of [
      { sipp: { failed: 1 } },
      { stuck: 1 },
      { store: { calls: 399, events: 2400, missingRows: 1, missingHangups: 0, unfinished: 0, shed: {} } },
      { store: { calls: 400, events: 2399, missingRows: 0, missingHangups: 1, unfinished: 1, shed: {} } },
    ] satisfies RunOverrides[]) {
      expect(rule(verdicts(trio({ controller })), 'no loss').status).toBe('FAIL');
    }
  });

  it('no loss does not apply where the dialplan failed calls too (past the machine’s knee)', () => {
    const r = rule(verdicts(trio({ dialplan: { sipp: { failed: 3 } }, controller: { sipp: { failed: 40 } } })), 'no loss');
    expect(r).toEqual({ rule: 'no loss', status: 'N/A', detail: 'rep 1: n/a (the dialplan failed 3)' });
  });

  it('no loss fails when a figure could not be read (channels not listed, no database)', () => {
    expect(rule(verdicts(trio({ controller: { stuck: null } })), 'no loss').status).toBe('FAIL');
    expect(rule(verdicts(trio({ controller: { store: undefined } })), 'no loss').detail).toContain('no row ?');
  });

  it('p99: at 2 × the dialplan p99 + 5 ms it passes, above it fails', () => {
    const at = (c: number, d: number) => rule(verdicts(trio({ controller: { answerMs: { count: 1, p50: 1, p95: 1, p99: c, max: c } }, dialplan: { answerMs: { count: 1, p50: 1, p95: 1, p99: d, max: d } } })), 'p99').status;
    expect(at(13.2, 4.1)).toBe('PASS');
    expect(at(13.3, 4.1)).toBe('FAIL');
    expect(at(850, 40)).toBe('FAIL');
    // No answered call: no p99, no pass.
    expect(rule(verdicts(trio({ controller: { answerMs: { count: 0, p50: undefined, p95: undefined, p99: undefined, max: undefined } } })), 'p99').status).toBe('FAIL');
  });

  it('loop delay: max 20 ms passes, 20.1 fails, none measured fails', () => {
    const at = (max: number | undefined) =>
      rule(verdicts(trio({ controller: { loopDelayMs: max === undefined ? undefined : { p99: 1, max, windows: 30 } } })), 'loop delay').status;
    expect(at(20)).toBe('PASS');
    expect(at(20.1)).toBe('FAIL');
    expect(at(undefined)).toBe('FAIL');
  });

  it('memory: 50 KB per live call passes, more fails, unknown fails', () => {
    const at = (kb: number | undefined) =>
      rule(verdicts(trio({ controller: { process: { cpuMs: 1, cpuMsPerCall: 1, rssBaseMb: 1, rssPeakMb: 1, kbPerLiveCall: kb, peakLiveCalls: 10 } } })), 'memory').status;
    expect(at(50)).toBe('PASS');
    expect(at(50.5)).toBe('FAIL');
    expect(at(undefined)).toBe('FAIL');
  });

  it('cpu: up to 1.5 × the bare app per call passes; about 2 × (the issue’s figure) fails; no bare app run: n/a', () => {
    const at = (mine: number, theirs: number) =>
      rule(verdicts(trio({ controller: { process: { cpuMs: 1, cpuMsPerCall: mine, rssBaseMb: 1, rssPeakMb: 1, kbPerLiveCall: 1, peakLiveCalls: 1 } }, bare: { process: { cpuMs: 1, cpuMsPerCall: theirs, rssBaseMb: 1, rssPeakMb: 1 } } })), 'cpu').status;
    expect(at(6, 4)).toBe('PASS');
    expect(at(8, 4)).toBe('FAIL');
    const noBare = verdicts(trio().filter((r) => r.system !== 'bare'));
    expect(rule(noBare, 'cpu')).toEqual({ rule: 'cpu', status: 'N/A', detail: 'rep 1: n/a (bare app not run)' });
    expect(noBare[0]!.status).toBe('PASS');
  });

  it('compares within a repetition and fails a rate when any repetition fails', () => {
    const runs = [
      ...trio({}, 1),
      // Repetition 2: the controller's p99 would pass against repetition 1's dialplan, not its own.
      ...trio({ controller: { answerMs: { count: 1, p50: 1, p95: 1, p99: 14, max: 14 } }, dialplan: { answerMs: { count: 1, p50: 1, p95: 1, p99: 3, max: 3 } } }, 2),
    ];
    const r = rule(verdicts(runs), 'p99');
    expect(r.status).toBe('FAIL');
    expect(r.detail).toBe('rep 1: 5 ms vs 2 × 5 ms + 5 = 15 ms; rep 2: 14 ms vs 2 × 3 ms + 5 = 11 ms ✗');
  });

  it('judges each rate on its own, in the order run', () => {
    const list = verdicts([...trio({}, 1, 20), ...trio({ controller: { loopDelayMs: { p99: 30, max: 90, windows: 30 } } }, 1, 100)]);
    expect(list.map((v) => [v.rate, v.status])).toEqual([
      [20, 'PASS'],
      [100, 'FAIL'],
    ]);
    expect(formatVerdicts(list)).toContain('100 calls/s: FAIL\n  PASS no loss');
    expect(formatVerdicts(list)).toContain('  FAIL loop delay rep 1: max 90 ms (≤ 20 ms) ✗');
  });

  it('a rate without a controller run has no verdict to give', () => {
    const [v] = verdicts(trio().filter((r) => r.system !== 'controller'));
    expect(v!.status).toBe('N/A');
  });
});
