import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LANGUAGES } from '../../src/flow/schema.js';
import { loadCatalogue, parseCatalogue } from '../../src/prompts/catalogue.js';
import { mediaFor, promptFile } from '../../src/prompts/media.js';

const SHIPPED = join(import.meta.dirname, '../../prompts/catalogue.yaml');

// The ids the flow verbs and the Asterisk fallback rely on (SPEC N2–N13, N11's wrong-number and
// blacklist phrases among them, and the digits).
const REQUIRED_IDS = [
  'unavailable',
  'busy',
  'busy.callback',
  'salute.morning',
  'salute.noon',
  'salute.afternoon',
  'salute.evening',
  'salute.default',
  'salute.holiday',
  'salute.weekend',
  'greeting.body',
  'menu.main',
  'info.business',
  'info.repair',
  'info.complaint',
  'unclear.retry',
  'unclear.goodbye',
  'silent.attempt1',
  'silent.attempt2',
  'silent.goodbye',
  'hold.intro',
  'hold.reassure',
  'hold.offer-callback',
  'hold.thanks',
  'transfer.intro',
  'transfer.wait',
  'transfer.failed',
  'transfer.keys-first',
  'transfer.keys-then',
  'agent.serving',
  'callback.ask',
  'callback.scheduled',
  'number.readback',
  'number.confirm',
  'number.enter',
  'number.refused',
  'repeat.ask',
  'ticket.intro',
  'ticket.again',
  'ticket.repeat',
  'ticket.ask',
  'ticket.unknown',
  'ticket.status',
  'ticket.status.open',
  'ticket.status.in-progress',
  'ticket.status.resolved',
  'ticket.status.closed',
  'whisper.caller',
  'whisper.path',
  'whisper.earlier',
  'whisper.ticket',
  'whisper.accept',
  'group.business',
  'group.repair',
  'group.complaint',
  'closing.more',
  'closing.thanks',
  'closing.thanks-weekend',
  'closing.thanks-holiday',
  'linger.1',
  'linger.2',
  'wrong-number',
  'blacklisted',
  ...Array.from({ length: 10 }, (_, d) => `digit.${d}`),
  'digit.star',
  'digit.hash',
];

const vars = { hotline: '演示热线' };

describe('shipped prompt catalogue', () => {
  const catalogue = loadCatalogue(SHIPPED);

  it('has every required id in every language, none empty', () => {
    for (const id of REQUIRED_IDS) {
      expect(catalogue.ids.has(id), id).toBe(true);
      for (const lang of LANGUAGES) expect(catalogue.text(id, lang, vars).trim(), `${id} ${lang}`).not.toBe('');
    }
  });

  it('uses the SPEC standard phrases verbatim for zh-CN', () => {
    expect(catalogue.text('silent.attempt1', 'zh-CN', vars)).toBe('您好!请问有什么可以帮助您?');
    expect(catalogue.text('silent.goodbye', 'zh-CN', vars)).toBe('对不起,听不到您的声音,请您稍后再拨,再见!');
    expect(catalogue.text('unclear.retry', 'zh-CN', vars)).toBe('十分抱歉,我没有听清,麻烦您再选择一次好吗?');
    expect(catalogue.text('closing.thanks', 'zh-CN', vars)).toBe('感谢您的来电,再见!');
    expect(catalogue.text('hold.offer-callback', 'zh-CN', vars)).toBe(
      '对不起,现在暂时没有查询到,稍后我给您回拨好吗?确认请按1,继续等待请按2。',
    );
  });

  it('renders the {hotline} placeholder in both languages', () => {
    expect(catalogue.text('greeting.body', 'zh-CN', vars)).toBe('演示热线,很高兴为您服务,请问有什么可以帮您?');
    expect(catalogue.text('wrong-number', 'zh-CN', vars)).toBe('这里是演示热线,请您查证后再拨。');
    expect(catalogue.text('greeting.body', 'en', { hotline: 'Demo Hotline' })).toContain('Demo Hotline');
    for (const id of catalogue.ids) {
      for (const lang of LANGUAGES) expect(catalogue.text(id, lang, vars), `${id} ${lang}`).not.toMatch(/[{}]/);
    }
  });

  it('reads 1 as 幺 in phone numbers', () => {
    expect(catalogue.text('digit.1', 'zh-CN', vars)).toBe('幺');
  });

  it('throws for an unknown id, naming it', () => {
    expect(() => catalogue.text('no.such', 'en', vars)).toThrow(/"no\.such"/);
  });
});

describe('catalogue validation', () => {
  it('rejects an entry missing a language, naming the id and the language', () => {
    expect(() => parseCatalogue('greeting.body:\n  zh-CN: "您好"\n')).toThrow(
      /prompt "greeting\.body" \(en\): text missing/,
    );
  });

  it('rejects an unknown placeholder, naming the id and line', () => {
    const yaml = 'ok:\n  zh-CN: "好"\n  en: "ok"\nagent.serving:\n  zh-CN: "{agent}号客服"\n  en: "agent {agent}"\n';
    expect(() => parseCatalogue(yaml, 'cat.yaml')).toThrow(
      /cat\.yaml:4: prompt "agent\.serving" \(zh-CN\): unknown placeholder \{agent\}/,
    );
  });

  it('rejects empty texts, unbalanced braces, unknown languages and bad ids', () => {
    expect(() => parseCatalogue('a:\n  zh-CN: "  "\n  en: "x"\n')).toThrow(/prompt "a" \(zh-CN\): text is empty/);
    expect(() => parseCatalogue('a:\n  zh-CN: "x{"\n  en: "x"\n')).toThrow(/prompt "a" \(zh-CN\): unbalanced/);
    expect(() => parseCatalogue('a:\n  zh-CN: "x"\n  en: "x"\n  fr: "x"\n')).toThrow(/prompt "a".*fr/);
    expect(() => parseCatalogue('Bad Id:\n  zh-CN: "x"\n  en: "x"\n')).toThrow(/prompt "Bad Id": prompt ids use/);
    expect(() => parseCatalogue('a:\n  zh-CN: "x"\n  en: 3\n')).toThrow(/prompt "a" \(en\): text must be a string/);
  });

  it('rejects duplicate ids and empty files', () => {
    expect(() => parseCatalogue('a:\n  zh-CN: "x"\n  en: "x"\na:\n  zh-CN: "y"\n  en: "y"\n')).toThrow(
      /invalid YAML/,
    );
    expect(() => parseCatalogue('')).toThrow(/expected a mapping/);
    expect(() => parseCatalogue('{}')).toThrow(/no prompts/);
  });

  it('names the file when loading a broken catalogue from disk', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'catalogue-')), 'broken.yaml');
    writeFileSync(file, 'hold.intro:\n  en: "Please hold"\n');
    expect(() => loadCatalogue(file)).toThrow(/broken\.yaml:1: prompt "hold\.intro" \(zh-CN\)/);
  });
});

describe('media', () => {
  it('maps a prompt to the sound URI and the file Asterisk resolves it to', () => {
    expect(mediaFor('greeting.body', 'zh-CN')).toBe('sound:hotline/zh-CN/greeting.body');
    expect(promptFile('/r', 'digit.1', 'en')).toBe('/r/usr/share/asterisk/sounds/hotline/en/digit.1.wav');
  });
});
