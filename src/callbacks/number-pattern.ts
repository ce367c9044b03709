// N7: the patterns an operator writes for callback numbers, in Asterisk's extension-pattern
// language rather than regular expressions. A regular expression from a flow file can escape
// its anchors (`1[3-9]\d{9})|(?:.*`) or backtrack for seconds on the event loop (`(\d+)+x`);
// this language cannot: a pattern compiles to one set of digits per position plus an optional
// tail, and matching walks the pattern over the number once (linear in the number's length).
// No regular expression is ever built from operator text.
//
//   _          starts a pattern (without it the entry is a literal number: digits only)
//   0-9        that digit
//   X  Z  N    any digit 0-9, 1-9, 2-9 (lower case too, as in Asterisk)
//   [1-5] [137] [0-57-9]   one digit from a set of digits and ranges
//   -          ignored, for readability (_0755-NXXXXXXX), as Asterisk ignores it
//   .  !       last character only: one or more / zero or more further digits

/** Numbers longer than this are refused before any pattern is tried. */
export const MAX_NUMBER_DIGITS = 20;
/** A pattern's text is short; anything longer is not a phone-number pattern. */
const MAX_PATTERN_CHARS = 64;

type PatternTail = 'none' | 'one-or-more' | 'zero-or-more';

export interface NumberPattern {
  readonly source: string;
  /** One bit mask per fixed position: bit d set when digit d may stand there. */
  readonly positions: readonly number[];
  /** What may follow the fixed positions: nothing, `.` (one or more digits), `!` (zero or more). */
  readonly tail: PatternTail;
}

class NumberPatternError extends Error {
  override readonly name = 'NumberPatternError';
}

const ANY = 0b11_1111_1111;
const CLASSES: Record<string, number> = { X: ANY, Z: ANY & ~0b1, N: ANY & ~0b11 };
const SYNTAX = 'use digits, X (0-9), Z (1-9), N (2-9), sets such as [1-5], and . or ! at the end';
const EXAMPLE = '_1[3-9]XXXXXXXXX';

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const bit = (digit: string) => 1 << (digit.charCodeAt(0) - 48);

/** Compiles an allowed-number pattern; a malformed one throws NumberPatternError saying why. */
export function parseNumberPattern(source: string): NumberPattern {
  const fail = (why: string): never => {
    throw new NumberPatternError(`'${source}' is not a number pattern: ${why}`);
  };
  if (source.length === 0) fail(`it is empty; write e.g. ${EXAMPLE}`);
  if (source.length > MAX_PATTERN_CHARS) fail(`it is longer than ${MAX_PATTERN_CHARS} characters`);

  if (!source.startsWith('_')) {
    // A literal, as in Asterisk: one exact number.
    if (![...source].every((c) => isDigit(c) || c === '-')) {
      fail(`patterns start with "_" as in Asterisk, e.g. ${EXAMPLE} (regular expressions are not accepted); a number without "_" is digits only`);
    }
    const digits = [...source].filter(isDigit);
    if (digits.length === 0) fail('a number needs digits');
    return finish(source, digits.map(bit), 'none', fail);
  }

  const positions: number[] = [];
  let tail: PatternTail = 'none';
  for (let i = 1; i < source.length; i++) {
    const c = source[i]!;
    const at = `"${c}" at character ${i + 1}`;
    if (isDigit(c)) positions.push(bit(c));
    else if (Object.hasOwn(CLASSES, c.toUpperCase())) positions.push(CLASSES[c.toUpperCase()]!);
    else if (c === '-') continue;
    else if (c === '[') {
      const close = source.indexOf(']', i + 1);
      if (close < 0) fail(`${at} opens a set that is never closed with "]"`);
      positions.push(parseSet(source.slice(i + 1, close), i + 2, fail));
      i = close;
    } else if (c === '.' || c === '!') {
      if (i !== source.length - 1) {
        fail(`${at} must be the last character (${c === '.' ? 'one' : 'zero'} or more further digits; Asterisk allows it only at the end)`);
      }
      tail = c === '.' ? 'one-or-more' : 'zero-or-more';
    } else fail(`${at} is not part of the pattern language; ${SYNTAX} (regular expressions are not accepted)`);
  }
  if (positions.length === 0 && tail === 'none') fail(`"_" needs at least one position after it, e.g. ${EXAMPLE}`);
  return finish(source, positions, tail, fail);
}

function finish(source: string, positions: number[], tail: PatternTail, fail: (why: string) => never): NumberPattern {
  const shortest = positions.length + (tail === 'one-or-more' ? 1 : 0);
  if (shortest > MAX_NUMBER_DIGITS) fail(`it needs ${shortest} digits, but numbers longer than ${MAX_NUMBER_DIGITS} are always refused`);
  return Object.freeze({ source, positions: Object.freeze(positions), tail });
}

/** The inside of `[...]`: digits and ranges such as 1-5; `first` is the 1-based character of its start. */
function parseSet(body: string, first: number, fail: (why: string) => never): number {
  if (body.length === 0) fail(`the set at character ${first - 1} is empty`);
  let mask = 0;
  for (let j = 0; j < body.length; j++) {
    const c = body[j]!;
    const at = `"${c}" at character ${first + j}`;
    if (!isDigit(c)) fail(`${at} cannot stand in a set; a set holds digits and ranges such as [1-5] or [0-57-9]`);
    if (body[j + 1] !== '-') {
      mask |= bit(c);
      continue;
    }
    const to = body[j + 2] ?? '';
    if (!isDigit(to)) fail(`the range starting at character ${first + j} needs a digit after "-", e.g. [1-5]`);
    if (to < c) fail(`the range ${c}-${to} at character ${first + j} runs backwards; write ${to}-${c}`);
    for (let d = c.charCodeAt(0) - 48; d <= to.charCodeAt(0) - 48; d++) mask |= 1 << d;
    j += 2;
  }
  return mask;
}

/** Why `source` is not a pattern, or undefined when it is one (for the flow schema). */
export function numberPatternProblem(source: string): string | undefined {
  try {
    parseNumberPattern(source);
    return undefined;
  } catch (e) {
    if (e instanceof NumberPatternError) return e.message;
    throw e;
  }
}

/**
 * Whether `number` matches the whole pattern: one pass over the number, no backtracking. Only
 * the digits 0-9 ever match (a tail included), so "+", "*", "#" or spaces never do.
 */
export function matchesNumberPattern(pattern: NumberPattern, number: string): boolean {
  const fixed = pattern.positions.length;
  const length = number.length;
  if (pattern.tail === 'none' ? length !== fixed : length < fixed + (pattern.tail === 'one-or-more' ? 1 : 0)) return false;
  for (let i = 0; i < length; i++) {
    const d = number.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (i < fixed && (pattern.positions[i]! & (1 << d)) === 0) return false;
  }
  return true;
}
