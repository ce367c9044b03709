// npm run bench:load's verdict per rate against issue 12's goals (item 3), bench/load/verdict.ts:
// the controller fails none where the dialplan fails none (and sheds none, strands none, loses
// no row or call.hangup), its p99 ≤ 2 × the dialplan's + 5 ms, loop delay max ≤ 20 ms, ≤ 50 KB per live
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
    const noStore = rule(verdicts(trio({ controller: { store: undefined, sipp: { endedByHotline: 7 } } })), 'no loss');
    expect(noStore).toMatchObject({ status: 'FAIL', detail: 'rep 1: failed 0, shed ?, stuck 0, no row ?, no hangup ?, hotline BYE 7 ✗' });
  });

  const store = (shed: Record<string, number>) => ({ calls: 2000, events: 11_010, missingRows: 0, missingHangups: 0, unfinished: 0, shed });

  it('no loss names all five figures, all 0 to pass', () => {
    expect(rule(verdicts(trio()), 'no loss')).toEqual({ rule: 'no loss', status: 'PASS', detail: 'rep 1: failed 0, shed 0, stuck 0, no row 0, no hangup 0' });
  });

  it('no loss fails on shed callers though SIPp failed none: answered, apologised to and hung up by the hotline, not served by the flow', () => {
    // The bench at 100 calls/s (README): 990 shed, each a completed SIPp call now that the caller takes the hotline's BYE.
    const controller = { sipp: { attempted: 2000, successful: 2000, failed: 0, answered: 2000, endedByCaller: 1010, endedByHotline: 990 }, store: store({ controller: 990 }) };
    expect(rule(verdicts(trio({ controller })), 'no loss')).toEqual({
      rule: 'no loss',
      status: 'FAIL',
      detail: 'rep 1: failed 0, shed 990 (answered, apology, hung up by the hotline), stuck 0, no row 0, no hangup 0 ✗',
    });
  });

  it('no loss fails on callers the hotline hung up without shedding them, and says how many', () => {
    const r = rule(verdicts(trio({ controller: { sipp: { endedByCaller: 397, endedByHotline: 3 } } })), 'no loss');
    expect(r).toMatchObject({ status: 'FAIL', detail: 'rep 1: failed 0, shed 0, stuck 0, no row 0, no hangup 0, hotline BYE 3 (3 not shed) ✗' });
    const more = rule(verdicts(trio({ controller: { sipp: { endedByHotline: 12 }, store: store({ controller: 10 }) } })), 'no loss');
    expect(more.detail).toBe('rep 1: failed 0, shed 10 (answered, apology, hung up by the hotline), stuck 0, no row 0, no hangup 0, hotline BYE 12 (2 not shed) ✗');
    // Fewer BYEs than shed callers (some left before the apology ended): shown, and the shed fail it anyway.
    const fewer = rule(verdicts(trio({ controller: { sipp: { endedByHotline: 8 }, store: store({ controller: 10 }) } })), 'no loss');
    expect(fewer.detail).toBe('rep 1: failed 0, shed 10 (answered, apology, hung up by the hotline), stuck 0, no row 0, no hangup 0, hotline BYE 8 ✗');
  });

  it('no loss does not apply where the floor hung up callers before their hold (once SIPp failures), and says so', () => {
    const r = rule(verdicts(trio({ dialplan: { sipp: { endedByCaller: 396, endedByHotline: 4 } } })), 'no loss');
    expect(r).toEqual({ rule: 'no loss', status: 'N/A', detail: 'rep 1: n/a (the dialplan failed 0, hung up 4 callers before their hold)' });
    const both = rule(verdicts(trio({ dialplan: { sipp: { failed: 112, endedByHotline: 9 } } })), 'no loss');
    expect(both.detail).toBe('rep 1: n/a (the dialplan failed 112, hung up 9 callers before their hold)');
  });

  it('cpu shows the bare app hanging up callers before their hold (shorter calls), its verdict unchanged', () => {
    const r = rule(verdicts(trio({ bare: { sipp: { endedByHotline: 5 } } })), 'cpu');
    expect(r).toEqual({ rule: 'cpu', status: 'PASS', detail: 'rep 1: 5 ms per call vs 1.5 × 4 ms = 6 ms (the bare app hung up 5 callers before their hold: shorter calls)' });
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
