// N18 on the virtual clock: the language verb sets the call's language from the caller's country
// code or a key; every later prompt and the goodbye play in it; the agent hears the whisper in the
// agent's own language.
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { runFlow } from '../../src/flow/run-flow.js';
import { countryLanguage, language } from '../../src/flow/verbs/language.js';
import { FlowError, parseFlow } from '../../src/flow/load-flow.js';
import { advance, FakeCall, flowFromYaml, makeContext, newTestClock, stepOf, track } from './support/fake-call.js';

const T0 = new Date('2026-03-10T10:00:00+08:00').getTime();
const FLOW = flowFromYaml(`
hotline: { name: Test line, number: "100", language: zh-CN }
steps:
  lang:
    verb: language
    countryCodes: { "1": en, "44": en }
    offer: language.offer
    options: { "1": zh-CN, "2": en }
    timeoutMs: 4000
    next: info
  info: { verb: play, prompt: info.business, next: bye }
  bye: { verb: goodbye, linger: false, next: end }
  end: { verb: hangup }
`);

beforeEach(() => {
  newTestClock(T0);
});

function start(caller = '13800138000', direction: 'inbound' | 'outbound' = 'inbound') {
  const call = new FakeCall({ answered: true, caller });
  const ctx = makeContext(FLOW, call, { direction });
  const box = track(language.run(ctx, stepOf(FLOW, 'lang', 'language'), 'lang'));
  return { call, ctx, box };
}

describe('language verb (N18)', () => {
  it('N18: offers each language in its own voice, each followed by its key; asks twice, then keeps the language', async () => {
    const { call, ctx, box } = start();
    // Two prompt ids per offer at 2000 ms each; 4000 ms for a key after both offers.
    await advance(4000 + 4000 + 4000 + 4000 + 4000 + 4000);
    expect(box).toEqual({ settled: true, value: 'info' });
    const offer = [
      [0, ['language.offer', 'digit.1'], 'zh-CN'],
      [4000, ['language.offer', 'digit.2'], 'en'],
    ];
    expect(call.plays().map((p) => [p.t, p.prompts, call.langOf(p)])).toEqual([
      ...offer,
      ...offer.map(([t, prompts, lang]) => [(t as number) + 12_000, prompts, lang]),
    ]);
    expect(ctx.facts.language).toBe('zh-CN');
  });

  it('N18: key 2 chooses English during the Mandarin offer; the English offer is not played', async () => {
    const { call, ctx, box } = start();
    await advance(1000);
    call.press('2');
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'info' });
    expect(ctx.facts.language).toBe('en');
    expect(call.plays()).toHaveLength(1);
    expect(ctx.dataOf('language.chosen')).toEqual([
      { step: 'lang', language: 'en', previous: 'zh-CN', by: 'key', key: '2', countryCode: null },
    ]);
  });

  it('N18: an international caller ID with a mapped country code gets its language without a question', async () => {
    const { call, ctx, box } = start('+447700900123');
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'info' });
    expect(call.plays()).toEqual([]);
    expect(ctx.facts.language).toBe('en');
    expect(ctx.dataOf('language.chosen')).toEqual([
      { step: 'lang', language: 'en', previous: 'zh-CN', by: 'country-code', key: null, countryCode: '44' },
    ]);
  });

  it('N18: a key that is no option (the caller answering the menu ahead) ends the offers, keeps the language and stays for the menu', async () => {
    const { call, ctx, box } = start();
    await advance(8000 + 1000); // both offers, then 1 s into the wait
    call.press('7');
    await advance(3000); // the wait for an option key runs out; the 7 is type-ahead
    expect(box).toEqual({ settled: true, value: 'info' });
    expect(ctx.facts.language).toBe('zh-CN');
    expect(call.plays()).toHaveLength(2); // not offered a second time
    expect(ctx.dataOf('language.chosen')).toEqual([]);
    expect(ctx.dataOf('language.kept')).toEqual([{ step: 'lang', language: 'zh-CN', typeAhead: true }]);
    expect(await call.nextDigit(0)).toBe('7');
  });

  it('N18: a key typed ahead before the step (during the greeting) is the menu choice: no offer, no language change', async () => {
    const call = new FakeCall({ answered: true, caller: '13800138000' });
    call.press('2');
    const ctx = makeContext(FLOW, call);
    const box = track(language.run(ctx, stepOf(FLOW, 'lang', 'language'), 'lang'));
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'info' });
    expect(call.plays()).toEqual([]);
    expect(ctx.facts.language).toBe('zh-CN');
    expect(await call.nextDigit(0)).toBe('2');
  });

  it('N18: silence through every offer keeps the call language', async () => {
    const { ctx, box } = start();
    await advance(24_000);
    expect(box).toEqual({ settled: true, value: 'info' });
    expect(ctx.dataOf('language.kept')).toEqual([{ step: 'lang', language: 'zh-CN', typeAhead: false }]);
  });

  it('N18: an outbound callback keeps the language the caller chose when asking for it, without a question', async () => {
    const call = new FakeCall({ answered: true, caller: '13800138000' });
    const ctx = makeContext(FLOW, call, { direction: 'outbound' });
    ctx.facts.language = 'en';
    const box = track(language.run(ctx, stepOf(FLOW, 'lang', 'language'), 'lang'));
    await advance(0);
    expect(box).toEqual({ settled: true, value: 'info' });
    expect(call.plays()).toEqual([]);
    expect(ctx.facts.language).toBe('en');
  });

  it('N18: after the choice every later prompt and the goodbye play in English', async () => {
    const call = new FakeCall({ answered: true, caller: '13800138000' });
    const ctx = makeContext(FLOW, call);
    const done = runFlow(ctx, 'lang');
    done.catch(() => undefined);
    await advance(3000);
    call.press('2');
    await advance(30_000);
    await expect(done).resolves.toBeUndefined();
    const later = call.plays().slice(1);
    expect(later.map((p) => p.prompts[0])).toEqual(['info.business', expect.stringMatching(/^closing\./)]);
    expect(later.every((p) => call.langOf(p) === 'en')).toBe(true);
  });
});

describe('country codes (N18)', () => {
  it('the longest mapped code wins; domestic numbers have none', () => {
    const codes = { '1': 'en', '1242': 'zh-CN', '44': 'en' } as const;
    expect(countryLanguage('+12425551234', codes)).toEqual({ code: '1242', language: 'zh-CN' });
    expect(countryLanguage('0012125551234', codes)).toEqual({ code: '1', language: 'en' });
    expect(countryLanguage('00 44 7700 900123', codes)).toEqual({ code: '44', language: 'en' });
    expect(countryLanguage('13800138000', codes)).toBeNull();
    expect(countryLanguage('+8613800138000', codes)).toBeNull();
    expect(countryLanguage('', codes)).toBeNull();
  });

  it('property: a number is matched by a code only when it starts with 00 or + and that code', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^(\+|00)?[0-9]{0,14}$/), (number) => {
        const found = countryLanguage(number, { '44': 'en' });
        const international = number.startsWith('+') ? number.slice(1) : number.startsWith('00') ? number.slice(2) : null;
        return (found !== null) === (international !== null && international.startsWith('44'));
      }),
    );
  });
});

describe('language step at load (N18)', () => {
  const ids = new Set(['language.offer', 'info.business']);
  const load = (step: string) =>
    parseFlow(`hotline: { name: T, number: "100" }\nsteps:\n  lang: ${step}\n  end: { verb: hangup }\n`, 'lang.yaml', ids);

  it('an offer without options, options without an offer, and an unknown language are refused with the line', () => {
    expect(() => load('{ verb: language, offer: language.offer, next: end }')).toThrow(/lang\.yaml:3:\d+ steps\.lang\.options: an offer needs options/);
    expect(() => load('{ verb: language, options: { "2": en }, next: end }')).toThrow(/steps\.lang\.offer: options are offered/);
    expect(() => load('{ verb: language, offer: language.offer, options: { "2": fr }, next: end }')).toThrow(FlowError);
  });
});
