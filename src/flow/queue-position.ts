// N5: the caller's place in the hold queue, said at the reassurance slots. Asterisk's queue
// announces positions that go up or never play (asterisk#1386); here a place is said only when
// it is lower than the last one said (or none was said yet), so the number a caller hears never
// goes up, even when someone with an earlier request (a dropped caller's callback keeping its
// place, N9) joins ahead. The caller first in line hears 「您是下一位」.
import { digitPrompts } from '../prompts/digit-prompts.js';

/**
 * The place to announce for a caller now at `position` (1-based), given the place announced
 * last (undefined: none yet); null: say nothing.
 */
export function placeToAnnounce(position: number, lastAnnounced: number | undefined): number | null {
  if (!Number.isInteger(position) || position < 1) return null;
  if (lastAnnounced !== undefined && position >= lastAnnounced) return null;
  return position;
}

/** 「您是下一位」 for the first in line, else 「您前面还有」 N 「位」 with N the callers ahead, digit by digit. */
export function placePrompts(position: number): string[] {
  return position <= 1 ? ['queue.next'] : ['queue.ahead', ...digitPrompts(String(position - 1)), 'queue.ahead-unit'];
}
