// N11: which blacklist entry, if any, a caller ID matches at a given time. Pure: the store reads
// the candidate rows and compiles their patterns once; this decides, so the rule (expiry,
// removal, kinds, which entry wins) is one function that tests can drive directly.
import { matchesNumberPattern, type NumberPattern } from '../callbacks/number-pattern.js';

export type BlacklistKind = 'exact' | 'pattern' | 'anonymous';
export const BLACKLIST_KINDS: readonly BlacklistKind[] = ['exact', 'pattern', 'anonymous'];

/** What matching reads of an entry. */
export interface MatchableEntry {
  readonly id: number;
  readonly kind: BlacklistKind;
  /** exact: the number; pattern: the pattern's text; anonymous: ''. */
  readonly value: string;
  readonly expiresAt: number | null;
  readonly removedAt: number | null;
}

/** An entry ready to match: a pattern entry carries its compiled pattern. */
export type CompiledEntry<E extends MatchableEntry = MatchableEntry> = E & { readonly pattern: NumberPattern | null };

/**
 * A caller ID that names a line: an optional "+" and 3 to 20 digits, nothing else. Everything
 * else counts as withheld: the empty string, the words networks put there ("anonymous",
 * "unknown", "private", "restricted", "withheld", "unavailable", in any case), a one- or
 * two-digit placeholder ("0"), a SIP URI, or any other text. Such a value is shared by every
 * caller who hides their number, so it can never be listed as a number: only an `anonymous`
 * entry (or the flow's `anonymous: refuse`) refuses it.
 */
const IDENTIFIED = /^\+?[0-9]{3,20}$/;

export function isWithheld(callerId: string): boolean {
  return !IDENTIFIED.test(callerId.trim());
}

/** The caller ID as entries compare it: surrounding blanks dropped, nothing else changed. */
export function normalizeCallerId(callerId: string): string {
  return callerId.trim();
}

/** In force at `now`: not removed, and no expiry or one still ahead (an entry expiring at now no longer matches). */
export function isActive(entry: Pick<MatchableEntry, 'expiresAt' | 'removedAt'>, now: number): boolean {
  return entry.removedAt === null && (entry.expiresAt === null || entry.expiresAt > now);
}

/** Whether one entry refuses the caller ID at `now` (activity included). */
export function entryMatches(entry: CompiledEntry, callerId: string, now: number): boolean {
  if (!isActive(entry, now)) return false;
  const id = normalizeCallerId(callerId);
  if (entry.kind === 'anonymous') return isWithheld(id);
  // A withheld caller ID is never a number, whatever the pattern (a "_X!" cannot catch "").
  if (isWithheld(id)) return false;
  if (entry.kind === 'exact') return entry.value === id;
  return entry.pattern !== null && matchesNumberPattern(entry.pattern, id);
}

const PRECEDENCE: Record<BlacklistKind, number> = { exact: 0, pattern: 1, anonymous: 2 };

/**
 * The entry that refuses the caller, or undefined. When several match, the most specific kind
 * wins (the exact number over a pattern), then the oldest entry (lowest id), so the reason
 * logged does not depend on the order rows were read in.
 */
export function findMatch<E extends MatchableEntry>(entries: readonly CompiledEntry<E>[], callerId: string, now: number): CompiledEntry<E> | undefined {
  let best: CompiledEntry<E> | undefined;
  for (const entry of entries) {
    if (!entryMatches(entry, callerId, now)) continue;
    if (
      best === undefined ||
      PRECEDENCE[entry.kind] < PRECEDENCE[best.kind] ||
      (PRECEDENCE[entry.kind] === PRECEDENCE[best.kind] && entry.id < best.id)
    ) {
      best = entry;
    }
  }
  return best;
}
