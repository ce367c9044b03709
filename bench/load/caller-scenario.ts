// The bench's caller (bench/load/caller.xml) with a run's hold in it. The caller waits for the
// hotline's BYE for its hold and, when that wait times out, hangs up itself; SIPp 3.6.1 reads a
// <recv>'s timeout as a number when it loads the scenario (no [variable], no -set, and -d only
// feeds a bare <pause/>), so the hold is written into the file for each run.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CALLER_TEMPLATE = resolve('bench/load/caller.xml');

/** The hold: the wait for the hotline's BYE, whose timeout sends the caller to its own BYE. */
const HOLD = /(<recv request="BYE" timeout=")(\d+)(" ontimeout="caller_hangs_up")/g;

/** The scenario text with `holdMs` as the hold's timeout. */
export function callerScenario(template: string, holdMs: number): string {
  if (!Number.isSafeInteger(holdMs) || holdMs <= 0) throw new Error(`a caller's hold must be a positive whole number of ms, not ${holdMs}`);
  const holds = template.match(HOLD)?.length ?? 0;
  // The bench's figures depend on it: a caller that never hangs up, or two holds, is not this bench.
  if (holds !== 1) throw new Error(`the caller scenario must have exactly one hold (<recv request="BYE" timeout="…" ontimeout="caller_hangs_up">), it has ${holds}`);
  return template.replace(HOLD, `$1${holdMs}$3`);
}

/** Writes the caller with `holdMs` into `dir` (a run's own directory) and returns its path. */
export function writeCallerScenario(dir: string, holdMs: number): string {
  const file = join(dir, 'caller.xml');
  writeFileSync(file, callerScenario(readFileSync(CALLER_TEMPLATE, 'utf8'), holdMs));
  return file;
}

/**
 * SIPp's error log less the warning it writes for every caller whose hold ran out ("receive
 * timeout on message …, jumping to label …": the caller's own hang-up, expected) and the log's
 * heading, so that what is left is what went wrong. SIPp ends these warnings without a newline:
 * the next one's time stamp follows the label's number at once.
 */
export function withoutHoldTimeouts(errorLog: string): string {
  return errorLog
    .replace(/^The following events occurred:\n/m, '')
    .replace(/\d{4}-\d\d-\d\d\t[\d:.]+\t[\d.]+: Call-Id: [^,\n]+, receive timeout on message [^,\n]*?:\d+, jumping to label \d+?(?=\d{4}-\d\d-\d\d\t|\n|$)\n?/g, '')
    .trim();
}
