// Issue 12's goals (item 3), judged per rate from one bench run. Every comparison is between
// systems measured side by side in the same repetition (the machines are noisy: figures from
// different moments are not compared), and a rate passes a goal only if every repetition does.
import type { RunResult } from './results.js';

export const GOALS = {
  /** The controller's p99 beyond the answer delay ≤ factor × the dialplan's p99 + slack. */
  p99Factor: 2,
  p99SlackMs: 5,
  /** Event-loop delay max over the run. */
  loopDelayMaxMs: 20,
  /** Controller memory per live call. */
  kbPerLiveCall: 50,
  /** The controller's CPU per call ≤ factor × the bare ari-client app's. */
  cpuFactor: 1.5,
} as const;
export type Goals = typeof GOALS;

export type Status = 'PASS' | 'FAIL' | 'N/A';

export interface RuleResult {
  rule: 'no loss' | 'p99' | 'loop delay' | 'memory' | 'cpu';
  status: Status;
  /** The figures, one clause per repetition. */
  detail: string;
}

export interface RateVerdict {
  rate: number;
  status: Status;
  rules: RuleResult[];
}

interface Trio {
  repetition: number;
  controller?: RunResult;
  dialplan?: RunResult;
  bare?: RunResult;
}

/** One repetition's judgement: pass or fail with its figures, or not applicable (and why). */
type Check = { ok: boolean; text: string } | { na: string };

const ms = (n: number | undefined) => (n === undefined ? '?' : `${n} ms`);
const show = (n: number | null | undefined) => (n === null || n === undefined ? '?' : String(n));
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
/** A system's hang-ups before its callers' hold ran out (the table's "hotline BYE"), as a clause; none: nothing to say. */
const hungUp = (r: RunResult) => (r.sipp.endedByHotline > 0 ? `hung up ${r.sipp.endedByHotline} callers before their hold` : undefined);

const RULES: Record<RuleResult['rule'], (t: Trio, g: Goals) => Check> = {
  // At a rate where the dialplan fails no call, the controller fails none, strands none and loses
  // no event; and it serves every caller: a caller it sheds is answered, hears the apology and is
  // hung up by the hotline, which SIPp counts as a completed call, but the flow did not serve it.
  'no loss': ({ controller: c, dialplan: d }) => {
    if (!c) return { na: 'controller not run' };
    if (!d) return { na: 'dialplan not run' };
    // The floor hangs up on nobody before the hold (its prompts outlast it): where it does, its
    // callers were not all served either (SIPp failed them before the caller took the hotline's BYE).
    if (d.sipp.failed > 0 || d.sipp.endedByHotline > 0) {
      return { na: [`the dialplan failed ${d.sipp.failed}`, hungUp(d)].filter(Boolean).join(', ') };
    }
    const s = c.store;
    const shed = s ? sum(s.shed) : undefined;
    // Hung up by the hotline without a call.shed: the flow ended the call before the caller's hold.
    const unshed = shed === undefined ? undefined : Math.max(0, c.sipp.endedByHotline - shed);
    const figures = [c.sipp.failed, shed, c.stuck, s?.missingRows, s?.missingHangups, unshed];
    const ok = figures.every((n) => n === 0);
    const text = [
      `failed ${show(c.sipp.failed)}`,
      `shed ${show(shed)}${shed ? ' (answered, apology, hung up by the hotline)' : ''}`,
      `stuck ${show(c.stuck)}`,
      `no row ${show(s?.missingRows)}`,
      `no hangup ${show(s?.missingHangups)}`,
    ];
    if (c.sipp.endedByHotline !== (shed ?? 0)) text.push(`hotline BYE ${c.sipp.endedByHotline}${unshed ? ` (${unshed} not shed)` : ''}`);
    return { ok, text: text.join(', ') };
  },
  p99: ({ controller: c, dialplan: d }, g) => {
    if (!c) return { na: 'controller not run' };
    if (!d) return { na: 'dialplan not run' };
    const limit = d.answerMs.p99 === undefined ? undefined : Math.round((g.p99Factor * d.answerMs.p99 + g.p99SlackMs) * 10) / 10;
    const ok = c.answerMs.p99 !== undefined && limit !== undefined && c.answerMs.p99 <= limit;
    return { ok, text: `${ms(c.answerMs.p99)} vs ${g.p99Factor} × ${ms(d.answerMs.p99)} + ${g.p99SlackMs} = ${ms(limit)}` };
  },
  'loop delay': ({ controller: c }, g) => {
    if (!c) return { na: 'controller not run' };
    const max = c.loopDelayMs?.max;
    return { ok: max !== undefined && max <= g.loopDelayMaxMs, text: `max ${ms(max)} (≤ ${g.loopDelayMaxMs} ms)` };
  },
  memory: ({ controller: c }, g) => {
    if (!c) return { na: 'controller not run' };
    const kb = c.process?.kbPerLiveCall;
    return {
      ok: kb !== undefined && kb <= g.kbPerLiveCall,
      text: `${kb === undefined ? '?' : kb} KB per live call over ${c.process?.peakLiveCalls ?? '?'} (≤ ${g.kbPerLiveCall} KB)`,
    };
  },
  cpu: ({ controller: c, bare: b }, g) => {
    if (!c) return { na: 'controller not run' };
    if (!b) return { na: 'bare app not run' };
    const mine = c.process?.cpuMsPerCall;
    const theirs = b.process?.cpuMsPerCall;
    const limit = theirs === undefined ? undefined : Math.round(g.cpuFactor * theirs * 100) / 100;
    // The bare app hangs up when its prompts end, after the hold: if it hung up first, its calls were shorter.
    const bareHungUp = hungUp(b);
    return {
      ok: mine !== undefined && limit !== undefined && mine <= limit,
      text: `${ms(mine)} per call vs ${g.cpuFactor} × ${ms(theirs)} = ${ms(limit)}${bareHungUp ? ` (the bare app ${bareHungUp}: shorter calls)` : ''}`,
    };
  },
};

function judge(rule: RuleResult['rule'], trios: readonly Trio[], goals: Goals): RuleResult {
  const checks = trios.map((t) => ({ repetition: t.repetition, check: RULES[rule](t, goals) }));
  const judged = checks.filter((c): c is { repetition: number; check: { ok: boolean; text: string } } => 'ok' in c.check);
  const status: Status = judged.length === 0 ? 'N/A' : judged.every((c) => c.check.ok) ? 'PASS' : 'FAIL';
  const detail = checks
    .map(({ repetition, check }) => `rep ${repetition}: ${'ok' in check ? `${check.text}${check.ok ? '' : ' ✗'}` : `n/a (${check.na})`}`)
    .join('; ');
  return { rule, status, detail };
}

/** A verdict per rate, the rates in the order they were run. */
export function verdicts(runs: readonly RunResult[], goals: Goals = GOALS): RateVerdict[] {
  const rates = [...new Set(runs.map((r) => r.rate))];
  return rates.map((rate) => {
    const byRep = new Map<number, Trio>();
    for (const run of runs.filter((r) => r.rate === rate)) {
      const trio = byRep.get(run.repetition) ?? { repetition: run.repetition };
      trio[run.system] = run;
      byRep.set(run.repetition, trio);
    }
    const trios = [...byRep.values()].sort((a, b) => a.repetition - b.repetition);
    const rules = (Object.keys(RULES) as RuleResult['rule'][]).map((rule) => judge(rule, trios, goals));
    const status: Status = rules.some((r) => r.status === 'FAIL') ? 'FAIL' : rules.every((r) => r.status === 'N/A') ? 'N/A' : 'PASS';
    return { rate, status, rules };
  });
}

export function formatVerdicts(list: readonly RateVerdict[]): string {
  return list
    .map((v) => [`${v.rate} calls/s: ${v.status}`, ...v.rules.map((r) => `  ${r.status.padEnd(4)} ${r.rule.padEnd(10)} ${r.detail}`)].join('\n'))
    .join('\n');
}
