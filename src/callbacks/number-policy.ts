// N7: a callback dials out at the hotline's expense, so the number a caller keys is checked
// against an allow-list before it is stored. Without it, a caller could make the hotline ring a
// premium or international number on their behalf (toll fraud).
import { z } from 'zod';

/**
 * Mainland China only: mobiles (1[3-9] + 9 digits) and landlines with their area code
 * (0 + area code + local number, 11 or 12 digits). Deliberately absent: international numbers
 * (00… — "+" cannot be keyed anyway), 400/800 numbers, and short or premium service numbers
 * (95xxx, 10xxx, 12xxx, 106…), which match neither the length nor the prefix.
 */
export const DEFAULT_ALLOWED_PATTERNS: readonly string[] = ['^1[3-9]\\d{9}$', '^0[1-9]\\d{9,10}$'];

export type CallbackNumberCheck =
  | { ok: true; number: string }
  | { ok: false; reason: 'empty' | 'not-digits' | 'not-allowed' };

/**
 * Every pattern must match the whole number: it is wrapped in ^(?:…)$ whether or not it has its
 * own anchors, so "139\d{8}|0\d{10}" cannot match a longer number that merely contains one.
 */
export function compileNumberPattern(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

/** For config schemas: a list of patterns, each a valid regular expression. */
export const NumberPatterns = z
  .array(
    z.string().refine((p) => {
      try {
        compileNumberPattern(p);
        return true;
      } catch {
        return false;
      }
    }, 'not a valid regular expression'),
  )
  .min(1, 'at least one pattern, or no callback number is ever accepted');

/**
 * Only a trailing "#" is removed (the key that ends DTMF entry); anything else that is not a
 * digit rejects the number rather than being stripped, so what is stored is what was keyed.
 */
export function checkCallbackNumber(number: string, patterns: readonly string[]): CallbackNumberCheck {
  const keyed = number.endsWith('#') ? number.slice(0, -1) : number;
  if (keyed.length === 0) return { ok: false, reason: 'empty' };
  if (!/^[0-9]+$/.test(keyed)) return { ok: false, reason: 'not-digits' };
  const allowed = patterns.some((p) => compileNumberPattern(p).test(keyed));
  return allowed ? { ok: true, number: keyed } : { ok: false, reason: 'not-allowed' };
}
