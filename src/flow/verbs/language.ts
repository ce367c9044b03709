// N18: the call's language. An international caller ID (00<cc>… or +<cc>…) whose country code
// the step maps picks the language without a question; otherwise the step offers each language
// in its own voice (「普通话服务请按1」 in Mandarin, "For English, press 2" in English) and a key
// chooses. Silence keeps the language the call has; any other key is the caller answering the
// next menu ahead, and stays buffered for it. Every later prompt, the
// goodbye and a callback's greeting play in the chosen language (facts.language).
import { z } from 'zod';
import { keyPrompts } from '../../prompts/digit-prompts.js';
import { Language } from '../../prompts/language.js';
import type { FlowContext, VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { Digit, Ms, Next, PromptId } from '../schema-parts.js';

const CountryCode = z.string().regex(/^[1-9][0-9]{0,3}$/, 'a country code is 1 to 4 digits without 00 or +, e.g. 44');

export const LanguageStep = z
  .object({
    verb: z.literal('language'),
    countryCodes: z
      .record(CountryCode, Language)
      .default({})
      .describe('N18: an international caller ID with one of these country codes gets its language at once (longest code wins)'),
    offer: PromptId.optional().describe(
      'played in each option\'s own language before its key, e.g. 普通话请按 / For English, press; without it no question is asked',
    ),
    options: z
      .record(Digit, Language)
      .default({})
      .describe('N18: the key that chooses each language'),
    timeoutMs: Ms(1000, 30_000).default(4000).describe('wait for a key after the offer'),
    tries: z.number().int().min(1).max(3).default(2).describe('offers, the first included, before the call keeps its language'),
    ...Next,
  })
  .strict()
  .refine((step) => step.offer === undefined || Object.keys(step.options).length > 0, {
    message: 'an offer needs options (key: language)',
    path: ['options'],
  })
  .refine((step) => step.offer !== undefined || Object.keys(step.options).length === 0, {
    message: 'options are offered by the `offer` prompt: name it',
    path: ['offer'],
  });
export type LanguageStep = z.output<typeof LanguageStep>;

/**
 * The country code of an international number that the step maps, longest first (1 is the
 * North American plan, 1242 the Bahamas). Domestic numbers (no 00 or +) have none.
 */
export function countryLanguage(number: string, codes: Readonly<Record<string, Language>>): { code: string; language: Language } | null {
  const international = /^(?:\+|00)([0-9]+)$/.exec(number.replace(/[\s-]/g, ''));
  if (!international) return null;
  const digits = international[1] ?? '';
  for (let length = 4; length >= 1; length--) {
    const code = digits.slice(0, length);
    const language = codes[code];
    if (code.length === length && language !== undefined) return { code, language };
  }
  return null;
}

/**
 * The options in key order, each offered in its own language with its key. Only an option's key
 * stops the offer (and is taken); any other key is the caller answering the next menu ahead: it
 * stays buffered, and the offers end.
 */
async function offerOptions(ctx: FlowContext, step: LanguageStep & { offer: string }): Promise<string | null> {
  const keys = Object.keys(step.options);
  for (const [key, language] of Object.entries(step.options)) {
    const played = await ctx.call.play([step.offer, ...keyPrompts(key)], { stopKeys: keys, language });
    if (played.key !== undefined) return played.key;
    if (ctx.call.hasTypeAhead()) return null;
  }
  return null;
}

const run: VerbRunner<LanguageStep> = async (ctx, step, stepId) => {
  const { call, facts } = ctx;
  const previous = facts.language;
  const choose = (language: Language, by: 'country-code' | 'key' | 'kept', key: string | null, code: string | null) => {
    facts.language = language;
    ctx.record('language.chosen', { step: stepId, language, previous, by, key, countryCode: code });
    return step.next;
  };

  const fromNumber = facts.direction === 'inbound' ? countryLanguage(facts.caller, step.countryCodes) : null;
  if (fromNumber) return choose(fromNumber.language, 'country-code', null, fromNumber.code);
  // An outbound callback keeps the language the caller chose when asking for it.
  if (step.offer === undefined || facts.direction === 'outbound') return choose(previous, 'kept', null, null);

  const keys = Object.keys(step.options);
  for (let attempt = 1; attempt <= step.tries; attempt++) {
    // A key typed ahead (during the greeting, or now) answers the next menu, not this question.
    if (call.hasTypeAhead()) break;
    const key = (await offerOptions(ctx, { ...step, offer: step.offer })) ?? (call.hasTypeAhead() ? null : await call.waitForKey(keys, step.timeoutMs));
    const language = key === null ? undefined : step.options[key];
    if (key !== null && language !== undefined) return choose(language, 'key', key, null);
  }
  ctx.record('language.kept', { step: stepId, language: previous, typeAhead: call.hasTypeAhead() });
  return step.next;
};

export const language = defineVerb({
  verb: 'language',
  schema: LanguageStep,
  run,
  targets: (step) => [{ path: ['next'], step: step.next }],
  prompts: (step) => (step.offer === undefined ? [] : [{ path: ['offer'], prompt: step.offer }]),
  windows: (step) => (step.offer === undefined ? [] : [{ path: ['timeoutMs'], ms: step.timeoutMs }]),
  // A caller whose number chose the language, or who typed ahead, passes straight through.
  graph: (step) => ({ heard: false, plays: step.offer !== undefined, idle: { path: ['next'], step: step.next } }),
});
