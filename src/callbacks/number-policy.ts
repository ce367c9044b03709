// N7: a callback dials out at the hotline's expense, so the number a caller keys is checked
// against an allow-list before it is read back, let alone stored. Without it, a caller could make
// the hotline ring a premium or international number on their behalf (toll fraud). The list is
// written in Asterisk's extension-pattern language (number-pattern.ts), which matches in linear
// time and cannot be widened by what an operator types into it.
import { z } from 'zod';
import { matchesNumberPattern, MAX_NUMBER_DIGITS, numberPatternProblem, parseNumberPattern, type NumberPattern } from './number-pattern.js';

/**
 * Mainland China only (the numbering plan: 0 + area code + a local number whose first digit is
 * 2-9):
 * - mobiles: 1[3-9] + 9 digits (11 digits);
 * - Beijing 010 and the other two-digit area codes 02X (026 is unassigned) + 8 digits (11 digits);
 * - three-digit area codes 0[3-9]XX + 7 or 8 digits (11 or 12 digits), except area codes ending
 *   in 00: 0400, 0800 and 0900 are not areas but the 400/800 and premium ranges dialled with a 0.
 * Nothing else: no international (00…; "+" cannot be keyed), 400/800, premium or service
 * (95xxx, 96xxx, 10xxx, 12xxx, 106… SMS gateways) numbers, nothing longer than 12 digits.
 */
export const DEFAULT_ALLOWED_PATTERNS: readonly string[] = [
  '_1[3-9]XXXXXXXXX',
  '_010NXXXXXXX',
  '_02[0-57-9]NXXXXXXX',
  '_0[3-9]X[1-9]NXXXXXX',
  '_0[3-9][1-9]0NXXXXXX',
  '_0[3-9]X[1-9]NXXXXXXX',
  '_0[3-9][1-9]0NXXXXXXX',
];

/** The longest number the default list accepts; longer ones are refused as too long. */
const LONGEST_DOMESTIC_NUMBER = 12;

/**
 * Why a number was refused (`callback.refused`'s reason), a stable set:
 * - `empty`: nothing keyed; `not-digits`: anything but 0-9 (a trailing # aside);
 * - `too-long`: more than 20 characters (refused before any pattern is tried), or more than 12
 *   digits and not allowed;
 * - `international` (00…, +…), `400-800` (400…, 800…, 0400…, 0800…), `premium` (900…, 0900…,
 *   1900…, 95…, 96…): not allowed, and of that kind;
 * - `not-allowed`: any other number outside the allowed patterns.
 */
export type RefusalReason = 'empty' | 'not-digits' | 'too-long' | 'international' | '400-800' | 'premium' | 'not-allowed';

export type CallbackNumberCheck = { ok: true; number: string } | { ok: false; reason: RefusalReason };

// Which kind a refused number is, for the reason only: an operator who allows one of these
// numbers in allowedPatterns (SPEC N7: "unless allowed") gets it.
const KINDS: readonly (readonly [RefusalReason, readonly string[]])[] = [
  ['international', ['_00.']],
  ['400-800', ['_400!', '_800!', '_0400!', '_0800!']],
  ['premium', ['_900!', '_0900!', '_1900!', '_95!', '_96!']],
];
const KIND_PATTERNS = KINDS.map(([reason, patterns]) => [reason, patterns.map(parseNumberPattern)] as const);

/** For config schemas: a list of patterns, each checked with the reason it is malformed. */
export const NumberPatterns = z
  .array(
    z.string().superRefine((pattern, ctx) => {
      const problem = numberPatternProblem(pattern);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
  )
  .min(1, 'at least one pattern, or no callback number is ever accepted');

// Patterns are parsed once per distinct text (the flow's list, checked at load), not per number:
// every caller ID, keyed number and API request checks against them.
const PARSED = new Map<string, NumberPattern>();
function parsed(source: string): NumberPattern {
  let pattern = PARSED.get(source);
  if (!pattern) {
    pattern = parseNumberPattern(source);
    PARSED.set(source, pattern);
  }
  return pattern;
}

/**
 * Only a trailing "#" is removed (the key that ends DTMF entry); anything else that is not a
 * digit rejects the number rather than being stripped, so what is stored is what was keyed. The
 * length is checked first, so an absurd caller ID costs nothing.
 */
export function checkCallbackNumber(number: string, patterns: readonly string[]): CallbackNumberCheck {
  const keyed = number.endsWith('#') ? number.slice(0, -1) : number;
  if (keyed.length === 0) return { ok: false, reason: 'empty' };
  if (keyed.length > MAX_NUMBER_DIGITS) return { ok: false, reason: 'too-long' };
  if (keyed.startsWith('+')) return { ok: false, reason: 'international' };
  if (!/^[0-9]+$/.test(keyed)) return { ok: false, reason: 'not-digits' };
  if (patterns.some((p) => matchesNumberPattern(parsed(p), keyed))) return { ok: true, number: keyed };
  for (const [reason, kind] of KIND_PATTERNS) {
    if (kind.some((p) => matchesNumberPattern(p, keyed))) return { ok: false, reason };
  }
  return { ok: false, reason: keyed.length > LONGEST_DOMESTIC_NUMBER ? 'too-long' : 'not-allowed' };
}
