// N7: the allowed-number pattern language (Asterisk extension patterns) and its linear matcher,
// the default allow-list, and the four toll-fraud findings of issue 10 as named regressions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowError, parseFlow } from '../../src/flow/load-flow.js';
import {
  matchesNumberPattern,
  MAX_NUMBER_DIGITS,
  numberPatternProblem,
  parseNumberPattern,
} from '../../src/callbacks/number-pattern.js';
import { checkCallbackNumber, DEFAULT_ALLOWED_PATTERNS, NumberPatterns } from '../../src/callbacks/number-policy.js';

const matches = (pattern: string, number: string) => matchesNumberPattern(parseNumberPattern(pattern), number);
const allDigits = [...'0123456789'];
/** The single digits a one-position pattern accepts. */
const accepted = (pattern: string) => allDigits.filter((d) => matches(pattern, d));

describe('number patterns: each character', () => {
  it.each([
    ['_X', allDigits],
    ['_x', allDigits],
    ['_Z', [...'123456789']],
    ['_z', [...'123456789']],
    ['_N', [...'23456789']],
    ['_n', [...'23456789']],
    ['_7', ['7']],
    ['_[137]', ['1', '3', '7']],
    ['_[1-4]', ['1', '2', '3', '4']],
    ['_[0-57-9]', [...'012345789']],
    ['_[5-5]', ['5']],
    ['_[91-2]', ['1', '2', '9']],
  ])('%s accepts exactly %j', (pattern, digits) => {
    expect(accepted(pattern)).toEqual(digits);
  });

  it('matches the whole number, one digit per position', () => {
    expect(matches('_1[3-9]XXXXXXXXX', '13800138000')).toBe(true);
    expect(matches('_1[3-9]XXXXXXXXX', '12800138000')).toBe(false);
    expect(matches('_1[3-9]XXXXXXXXX', '1380013800')).toBe(false);
    expect(matches('_1[3-9]XXXXXXXXX', '138001380001')).toBe(false);
    expect(matches('_1[3-9]XXXXXXXXX', '913800138000')).toBe(false);
  });

  it('"." is one or more further digits', () => {
    expect(matches('_13.', '13')).toBe(false);
    expect(matches('_13.', '131')).toBe(true);
    expect(matches('_13.', '1312345678901234567')).toBe(true);
    expect(matches('_13.', '141')).toBe(false);
  });

  it('"!" is zero or more further digits', () => {
    expect(matches('_13!', '13')).toBe(true);
    expect(matches('_13!', '131')).toBe(true);
    expect(matches('_13!', '1')).toBe(false);
    expect(matches('_!', '')).toBe(true);
    expect(matches('_.', '')).toBe(false);
  });

  it('"-" is ignored, as in Asterisk', () => {
    expect(matches('_0755-NXXX-XXXX', '075582345678')).toBe(true);
    expect(matches('0755-8234-5678', '075582345678')).toBe(true);
  });

  it('without "_" an entry is one literal number', () => {
    expect(matches('13800138000', '13800138000')).toBe(true);
    expect(matches('13800138000', '13800138001')).toBe(false);
  });

  it('only digits ever match, a tail included', () => {
    for (const number of ['1380013800#', '+3800138000', '138 0013800', '1380013800*']) {
      expect(matches('_1X.', number)).toBe(false);
      expect(matches('_1!', number)).toBe(false);
    }
  });
});

describe('number patterns: malformed ones are refused with the reason', () => {
  it.each([
    ['', /is empty/],
    ['_', /needs at least one position/],
    ['^1[3-9]\\d{9}$', /patterns start with "_" as in Asterisk.*regular expressions are not accepted/],
    ['138X', /patterns start with "_"/],
    ['_1[3-9', /"\[" at character 3 opens a set that is never closed/],
    ['_1[]X', /the set at character 3 is empty/],
    ['_1[9-3]', /the range 9-3 at character 4 runs backwards; write 3-9/],
    ['_1[3-]', /needs a digit after "-"/],
    ['_1[-3]', /"-" at character 4 cannot stand in a set/],
    ['_1[a-c]', /"a" at character 4 cannot stand in a set/],
    ['_1[^3]', /"\^" at character 4 cannot stand in a set/],
    ['_1]', /"]" at character 3 is not part of the pattern language/],
    ['_13.X', /"\." at character 4 must be the last character/],
    ['_13!X', /"!" at character 4 must be the last character/],
    ['_1..', /"\." at character 3 must be the last character/],
    ['_1\\d', /"\\" at character 3 is not part of the pattern language; use digits, X \(0-9\)/],
    ['_1*', /"\*" at character 3 is not part of the pattern language/],
    ['_1#', /"#" at character 3 is not part of the pattern language/],
    ['_+86X.', /"\+" at character 2 is not part of the pattern language/],
    ['_1 X', /" " at character 3 is not part of the pattern language/],
    ['_' + 'X'.repeat(21), /needs 21 digits, but numbers longer than 20 are always refused/],
    ['_' + 'X'.repeat(20) + '.', /needs 21 digits/],
    ['_' + '-'.repeat(64), /longer than 64 characters/],
  ])('%j', (pattern, message) => {
    expect(numberPatternProblem(pattern)).toMatch(message);
    expect(numberPatternProblem(pattern)).toMatch(/is not a number pattern: /);
    expect(NumberPatterns.safeParse([pattern]).success).toBe(false);
  });

  it('the longest pattern that can still match is accepted', () => {
    expect(numberPatternProblem('_' + 'X'.repeat(MAX_NUMBER_DIGITS))).toBeUndefined();
    expect(numberPatternProblem('_' + 'X'.repeat(MAX_NUMBER_DIGITS - 1) + '.')).toBeUndefined();
  });

  it('a malformed pattern in a flow file is a file:line error naming the entry', () => {
    const text = [
      'hotline: { name: Test line, number: "100" }',
      'callbacks:',
      '  allowedPatterns:',
      '    - _1[3-9]XXXXXXXXX',
      "    - '1[3-9]\\d{9})|(?:.*'",
      'steps:',
      '  bye: { verb: hangup }',
      '',
    ].join('\n');
    let error: unknown;
    try {
      parseFlow(text, 'flow.yaml', new Set());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FlowError);
    expect((error as FlowError).message).toBe(
      'flow.yaml:5:7 callbacks.allowedPatterns.1: \'1[3-9]\\d{9})|(?:.*\' is not a number pattern: patterns start with "_" as in ' +
        'Asterisk, e.g. _1[3-9]XXXXXXXXX (regular expressions are not accepted); a number without "_" is digits only',
    );
  });
});

describe('issue 10 finding 3: callback numbers cannot become toll fraud', () => {
  it('a pattern cannot escape its anchors: 1[3-9]\\d{9})|(?:.* is refused', () => {
    for (const pattern of ['1[3-9]\\d{9})|(?:.*', '_1[3-9]\\d{9})|(?:.*', '_1[3-9]XXXXXXXXX)|(?:.*']) {
      expect(numberPatternProblem(pattern)).toBeDefined();
      expect(NumberPatterns.safeParse(['_1[3-9]XXXXXXXXX', pattern]).success).toBe(false);
    }
    // The number it let through: refused by the default list, as international.
    expect(checkCallbackNumber('008613800138000', DEFAULT_ALLOWED_PATTERNS)).toEqual({ ok: false, reason: 'international' });
    // No pattern reaches past its last position: a mobile pattern never matches a longer number.
    expect(matches('_1[3-9]XXXXXXXXX', '138001380000086')).toBe(false);
  });

  it('(\\d+)+x is not a pattern', () => {
    for (const pattern of ['(\\d+)+x', '_(\\d+)+x', '_(X.)+x']) expect(numberPatternProblem(pattern)).toBeDefined();
    // What an operator meant ("any digits") is "_X.": the matcher walks the number once (it has
    // no backtracking to time; speed belongs in a benchmark).
    expect(matches('_X.', '1'.repeat(MAX_NUMBER_DIGITS))).toBe(true);
  });

  it('400 and 800 numbers are refused by the default list', () => {
    for (const number of ['4008008000', '8008008000', '04008008000', '08008008000', '040080080001', '080080080001']) {
      expect(checkCallbackNumber(number, DEFAULT_ALLOWED_PATTERNS)).toEqual({ ok: false, reason: '400-800' });
    }
    for (const number of ['09001234567', '090012345678', '95588', '95105888', '96110', '19001234']) {
      expect(checkCallbackNumber(number, DEFAULT_ALLOWED_PATTERNS)).toEqual({ ok: false, reason: 'premium' });
    }
  });

  it('a 200-digit caller ID is refused before any pattern is tried', () => {
    expect(checkCallbackNumber('1'.repeat(200), DEFAULT_ALLOWED_PATTERNS)).toEqual({ ok: false, reason: 'too-long' });
    // Even by a list that would allow it: the length cap comes first.
    expect(checkCallbackNumber('1'.repeat(200), ['_X.'])).toEqual({ ok: false, reason: 'too-long' });
    expect(checkCallbackNumber('1'.repeat(21), ['_X.'])).toEqual({ ok: false, reason: 'too-long' });
    expect(checkCallbackNumber('1'.repeat(20), ['_X.'])).toEqual({ ok: true, number: '1'.repeat(20) });
  });
});

describe('the default list', () => {
  it.each([
    ['a mobile', '13800138000'],
    ['a 19x mobile', '19912345678'],
    ['a 14x mobile', '14512345678'],
    ['Beijing', '01062345678'],
    ['Shanghai', '02155556666'],
    ['Guangzhou', '02083334444'],
    ['Shenzhen, 8-digit local', '075582345678'],
    ['an area code ending in 0, 8-digit local', '051082345678'],
    ['an area code ending in 0, 7-digit local', '07102345678'],
    ['Urumqi, 8-digit local', '099143456789'],
    ['Tacheng (0901), 7-digit local', '09016234567'],
    ['Yingtan (0701), 7-digit local', '07016234567'],
  ])('allows %s: %s', (_label, number) => {
    expect(checkCallbackNumber(number, DEFAULT_ALLOWED_PATTERNS)).toEqual({ ok: true, number });
  });

  it.each([
    ['an international number', '0085212345678', 'international'],
    ['an international number with +', '+8613800138000', 'international'],
    ['a 400 number with its 0', '04008008000', '400-800'],
    ['a 0900 number', '09001234567', 'premium'],
    ['a 95xxx service number', '95588', 'premium'],
    ['a 96xxx service number', '96345', 'premium'],
    ['a carrier number', '10086', 'not-allowed'],
    ['a 12xxx number', '12345678901', 'not-allowed'],
    ['an SMS gateway prefix', '10690000000', 'not-allowed'],
    ['a mobile one digit short', '1380013800', 'not-allowed'],
    ['a mobile one digit long', '138001380001', 'not-allowed'],
    ['13 digits', '1380013800012', 'too-long'],
    ['a local number without area code', '62345678', 'not-allowed'],
    ['Beijing with a local number starting with 1', '01012345678', 'not-allowed'],
    ['Beijing with a 7-digit local number', '0106234567', 'not-allowed'],
    ['Beijing with 9 digits', '010623456789', 'not-allowed'],
    ['026 (unassigned)', '02662345678', 'not-allowed'],
    ['Shanghai with a 7-digit local number', '0216234567', 'not-allowed'],
    ['a three-digit area code with a 6-digit local number', '0755823456', 'not-allowed'],
    ['a three-digit area code with a 9-digit local number', '0755823456789', 'too-long'],
    ['a trunk prefix alone', '0', 'not-allowed'],
  ])('refuses %s: %s (%s)', (_label, number, reason) => {
    expect(checkCallbackNumber(number, DEFAULT_ALLOWED_PATTERNS)).toEqual({ ok: false, reason });
  });

  it('every default pattern is well formed and none is longer than 12 digits', () => {
    for (const pattern of DEFAULT_ALLOWED_PATTERNS) {
      const compiled = parseNumberPattern(pattern);
      expect(compiled.tail).toBe('none');
      expect(compiled.positions.length).toBeLessThanOrEqual(12);
      expect(compiled.positions.length).toBeGreaterThanOrEqual(11);
    }
  });

  it('an operator may allow a kind the default refuses (SPEC N7: "unless allowed")', () => {
    expect(checkCallbackNumber('0085212345678', [...DEFAULT_ALLOWED_PATTERNS, '_00852ZXXXXXXX'])).toEqual({ ok: true, number: '0085212345678' });
    expect(checkCallbackNumber('0085312345678', [...DEFAULT_ALLOWED_PATTERNS, '_00852ZXXXXXXX'])).toEqual({ ok: false, reason: 'international' });
  });
});

// --- property tests: the matcher against a reference regex built from the same grammar ---------

type Token =
  | { kind: 'digit'; digit: string }
  | { kind: 'class'; letter: 'X' | 'Z' | 'N' | 'x' | 'z' | 'n' }
  | { kind: 'set'; items: ([string] | [string, string])[] }
  | { kind: 'dash' };
interface Spec {
  tokens: Token[];
  tail: '' | '.' | '!';
  literal: boolean;
}

const digitArb = fc.constantFrom(...allDigits);
const digitsArb = (minLength: number, maxLength: number) => fc.array(digitArb, { minLength, maxLength }).map((ds) => ds.join(''));
const itemArb = fc.oneof(
  digitArb.map((d): [string] => [d]),
  fc.tuple(digitArb, digitArb).map(([a, b]): [string, string] => (a <= b ? [a, b] : [b, a])),
);
const tokenArb: fc.Arbitrary<Token> = fc.oneof(
  { weight: 4, arbitrary: digitArb.map((digit) => ({ kind: 'digit' as const, digit })) },
  { weight: 3, arbitrary: fc.constantFrom('X', 'Z', 'N', 'x', 'z', 'n' as const).map((letter) => ({ kind: 'class' as const, letter })) },
  { weight: 2, arbitrary: fc.array(itemArb, { minLength: 1, maxLength: 4 }).map((items) => ({ kind: 'set' as const, items })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'dash' as const }) },
);
const specArb: fc.Arbitrary<Spec> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .record({ tokens: fc.array(tokenArb, { minLength: 0, maxLength: 14 }), tail: fc.constantFrom('' as const, '.' as const, '!' as const) })
      .filter(({ tokens, tail }) => tail !== '' || tokens.some((t) => t.kind !== 'dash'))
      .map((s) => ({ ...s, literal: false }))
      // The grammar caps a pattern's text at 64 characters (refusal tested above); fourteen
      // four-item sets can reach ~150, so the generator keeps to patterns the grammar allows.
      .filter((s) => sourceOf(s).length <= 64),
  },
  {
    weight: 1,
    arbitrary: fc.array(digitArb, { minLength: 1, maxLength: 14 }).map((ds) => ({
      tokens: ds.map((digit) => ({ kind: 'digit' as const, digit })),
      tail: '' as const,
      literal: true,
    })),
  },
);

function sourceOf(spec: Spec): string {
  const body = spec.tokens
    .map((t) => {
      switch (t.kind) {
        case 'digit':
          return t.digit;
        case 'class':
          return t.letter;
        case 'set':
          return `[${t.items.map((i) => i.join('-')).join('')}]`;
        case 'dash':
          return '-';
      }
    })
    .join('');
  return spec.literal ? body : `_${body}${spec.tail}`;
}

/** The reference: a regex translated token by token (test only; every piece is a fixed class). */
function referenceOf(spec: Spec): RegExp {
  const classes = { X: '[0-9]', Z: '[1-9]', N: '[2-9]' } as const;
  const body = spec.tokens
    .map((t) => {
      switch (t.kind) {
        case 'digit':
          return t.digit;
        case 'class':
          return classes[t.letter.toUpperCase() as 'X' | 'Z' | 'N'];
        case 'set':
          return `[${t.items.map((i) => i.join('-')).join('')}]`;
        case 'dash':
          return '';
      }
    })
    .join('');
  const tail = { '': '', '.': '[0-9]+', '!': '[0-9]*' }[spec.tail];
  return new RegExp(`^${body}${tail}$`);
}

/** A number the spec accepts (digits drawn from each position's set), possibly with a tail. */
function matchingNumber(spec: Spec): fc.Arbitrary<string> {
  const positions = spec.tokens.flatMap((t): fc.Arbitrary<string>[] => {
    switch (t.kind) {
      case 'digit':
        return [fc.constant(t.digit)];
      case 'class':
        return [fc.constantFrom(...allDigits.slice({ X: 0, Z: 1, N: 2 }[t.letter.toUpperCase() as 'X' | 'Z' | 'N']))];
      case 'set':
        return [fc.constantFrom(...t.items.flatMap(([a, b]) => allDigits.filter((d) => d >= a && d <= (b ?? a))))];
      case 'dash':
        return [];
    }
  });
  const tail = spec.tail === '' ? fc.constant('') : digitsArb(spec.tail === '.' ? 1 : 0, 6);
  return fc.tuple(fc.tuple(...positions), tail).map(([ds, t]) => ds.join('') + t);
}

/** Near misses: one character changed, dropped or added. */
function mutated(number: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(number, fc.nat(), fc.constantFrom('0', '5', '9', '+', '#', ''), fc.constantFrom('replace', 'insert', 'delete')).map(
    ([n, at, c, how]) => {
      const i = n.length === 0 ? 0 : at % (n.length + 1);
      if (how === 'insert') return n.slice(0, i) + c + n.slice(i);
      if (how === 'delete') return n.slice(0, i) + n.slice(i + 1);
      return n.slice(0, i) + c + n.slice(i + 1);
    },
  );
}

const caseArb = specArb.chain((spec) =>
  fc.tuple(
    fc.constant(spec),
    fc.oneof(matchingNumber(spec), mutated(matchingNumber(spec)), digitsArb(0, 22)),
  ),
);

describe('number patterns: properties (fast-check; a failure prints its seed)', () => {
  it('every pattern from the grammar compiles, and the matcher agrees with the reference regex', () => {
    fc.assert(
      fc.property(caseArb, ([spec, number]) => {
        // parseNumberPattern throws on a pattern it refuses: the property then fails with it.
        return matchesNumberPattern(parseNumberPattern(sourceOf(spec)), number) === referenceOf(spec).test(number);
      }),
      { numRuns: 3000 },
    );
  });

  it('a pattern accepts every number drawn from its positions', () => {
    fc.assert(
      fc.property(specArb.chain((spec) => fc.tuple(fc.constant(spec), matchingNumber(spec))), ([spec, number]) => {
        return matchesNumberPattern(parseNumberPattern(sourceOf(spec)), number);
      }),
      { numRuns: 500 },
    );
  });

});
