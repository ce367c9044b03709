// N14: logs mask phone numbers. Digits are masked in place, so separators and prefixes
// ("+86 138-0013-8000", "sip:1001@pbx") keep their shape and the log stays readable.

const KEEP_HEAD = 3;
const KEEP_TAIL = 2;
const FULL_NUMBER_DIGITS = 7;

/**
 * 13800138000 → 138******00. Numbers under 7 digits keep only their last 2 digits (1001 → **01).
 * A value with 2 digits or fewer, or none ("anonymous", ""), is returned as is: it identifies
 * no one, and "anonymous" in a log is more useful than "*********".
 */
export function maskPhone(n: string): string {
  const total = (n.match(/\d/g) ?? []).length;
  if (total <= KEEP_TAIL) return n;
  const head = total >= FULL_NUMBER_DIGITS ? KEEP_HEAD : 0;
  let seen = 0;
  return n.replace(/\d/g, (digit) => {
    const index = seen++;
    return index < head || index >= total - KEEP_TAIL ? digit : '*';
  });
}
