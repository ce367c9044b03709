// The bench's table on stdout: Markdown, so that it can go into the README as it is.
import type { RunResult } from './results.js';

const dash = '–';
const num = (n: number | null | undefined, digits = 0) => (n === null || n === undefined || !Number.isFinite(n) ? dash : n.toFixed(digits));
const slash = (...parts: string[]) => (parts.every((p) => p === dash) ? dash : parts.join(' / '));

export const COLUMNS = [
  'rep',
  'calls/s',
  'system',
  'attempted',
  'answered',
  'failed',
  // Answered calls the hotline hung up before the caller's hold ran out: not in `failed`.
  'hotline BYE',
  'INVITE→200 p50 / p95 / p99 ms',
  'stuck after settle',
  'CPU ms/call',
  'RSS MB base / peak',
  'KB/live call',
  'loop delay p99 / max ms',
  'rows calls / events',
  'no row / no hangup',
  'shed',
] as const;

export function tableRow(r: RunResult): string[] {
  const shed = r.store ? Object.values(r.store.shed).reduce((a, b) => a + b, 0) : undefined;
  return [
    String(r.repetition),
    String(r.rate),
    r.system,
    String(r.sipp.attempted),
    String(r.sipp.answered),
    String(r.sipp.failed),
    String(r.sipp.endedByHotline),
    slash(num(r.answerMs.p50, 1), num(r.answerMs.p95, 1), num(r.answerMs.p99, 1)),
    num(r.stuck),
    num(r.process?.cpuMsPerCall, 2),
    r.process ? slash(num(r.process.rssBaseMb), num(r.process.rssPeakMb)) : dash,
    num(r.process?.kbPerLiveCall, 1),
    r.loopDelayMs ? slash(num(r.loopDelayMs.p99, 1), num(r.loopDelayMs.max, 1)) : dash,
    r.store ? slash(num(r.store.calls), num(r.store.events)) : dash,
    r.store ? slash(num(r.store.missingRows), num(r.store.missingHangups)) : dash,
    num(shed),
  ];
}

/** A Markdown table, columns padded so it also reads as plain text. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function resultsTable(runs: readonly RunResult[]): string {
  return markdownTable(COLUMNS, runs.map(tableRow));
}
