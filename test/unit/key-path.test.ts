// N6: the keys in 「请您拨入后先选择X,再选择Y」 come from the flow graph.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { keyPathTo } from '../../src/flow/key-path.js';
import { parseFlow } from '../../src/flow/load-flow.js';
import { loadCatalogue } from '../../src/prompts/catalogue.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PROMPTS = loadCatalogue(`${root}prompts/catalogue.yaml`).ids;

const HEAD = 'hotline:\n  name: Test line\n  number: "100"\nstart: answer\n';
const retry = (then: string) => `{ then: ${then} }`;

// main: 1 business, 2 service menu, 3 a play that leads on to the fax step, 0 hear it again.
// service: 1 repair, 2 back to main, 9 business again. Its invalid fallback is 'hidden',
// which no key leads to.
const FLOW = parseFlow(
  `${HEAD}steps:
  answer: { verb: answer, next: welcome }
  welcome: { verb: greet, next: main }
  main:
    verb: menu
    prompt: menu.main
    options: { "1": business, "2": service, "3": notice, "0": main }
    invalid: ${retry('bye')}
    noInput: ${retry('bye')}
  service:
    verb: menu
    prompt: menu.main
    options: { "1": repair, "2": main, "9": business, "*": service }
    invalid: ${retry('hidden')}
    noInput: ${retry('bye')}
  notice: { verb: play, prompt: info.complaint, next: fax }
  fax: { verb: play, prompt: info.repair, next: bye }
  business: { verb: play, prompt: info.business, next: bye }
  repair: { verb: play, prompt: info.repair, next: bye }
  hidden: { verb: play, prompt: info.complaint, next: bye }
  bye: { verb: goodbye }
`,
  'key-path-test.yaml',
  PROMPTS,
);

describe('keyPathTo', () => {
  it('a step one menu deep needs one key', () => {
    expect(keyPathTo(FLOW, 'service')).toEqual(['2']);
  });

  it('a step two menus deep needs both keys, in order', () => {
    expect(keyPathTo(FLOW, 'repair')).toEqual(['2', '1']);
  });

  it('takes the route with the fewest keys', () => {
    // business is also service → 9, two keys.
    expect(keyPathTo(FLOW, 'business')).toEqual(['1']);
  });

  it('steps without keys on the way cost nothing', () => {
    expect(keyPathTo(FLOW, 'fax')).toEqual(['3']);
    // bye: after business (1 key) or notice → fax (1 key); the menu's invalid fallback is free
    // but not a choice.
    expect(keyPathTo(FLOW, 'bye')).toHaveLength(1);
  });

  it('is empty for steps reached before any menu', () => {
    expect(keyPathTo(FLOW, 'answer')).toEqual([]);
    expect(keyPathTo(FLOW, 'main')).toEqual([]);
  });

  it('is null for a step only a menu fallback leads to', () => {
    expect(keyPathTo(FLOW, 'hidden')).toBeNull();
  });

  it('is null for an unknown step', () => {
    expect(keyPathTo(FLOW, 'nowhere')).toBeNull();
  });

  it('is not confused by "0 → the same menu" or "* → itself"', () => {
    expect(keyPathTo(FLOW, 'repair')).toEqual(['2', '1']);
    expect(keyPathTo(FLOW, 'main')).toEqual([]);
    expect(keyPathTo(FLOW, 'service')).toEqual(['2']);
  });

  it('prefers a longer keyless detour to an extra key', () => {
    const flow = parseFlow(
      `${HEAD}steps:
  answer: { verb: answer, next: main }
  main:
    verb: menu
    prompt: menu.main
    options: { "1": sub, "2": a }
    invalid: ${retry('bye')}
    noInput: ${retry('bye')}
  a: { verb: play, prompt: info.business, next: b }
  b: { verb: play, prompt: info.business, next: c }
  c: { verb: play, prompt: info.business, next: target }
  sub:
    verb: menu
    prompt: menu.main
    options: { "5": target }
    invalid: ${retry('bye')}
    noInput: ${retry('bye')}
  target: { verb: play, prompt: info.repair, next: bye }
  bye: { verb: hangup }
`,
      'detour.yaml',
      PROMPTS,
    );
    expect(keyPathTo(flow, 'target')).toEqual(['2']);
  });

  it('a silent line leads on without keys, but its onSilence step is not a choice', () => {
    const flow = parseFlow(
      `${HEAD}steps:
  answer: { verb: answer, next: listen }
  listen: { verb: silent-line, next: main, onSilence: crisis }
  main:
    verb: menu
    prompt: menu.main
    options: { "4": target }
    invalid: ${retry('bye')}
    noInput: ${retry('bye')}
  target: { verb: play, prompt: info.repair, next: bye }
  crisis: { verb: play, prompt: info.complaint, next: bye }
  bye: { verb: hangup }
`,
      'silent.yaml',
      PROMPTS,
    );
    expect(keyPathTo(flow, 'target')).toEqual(['4']);
    expect(keyPathTo(flow, 'crisis')).toBeNull();
  });

  it('N12: a repeat-caller step routes without keys, but its routes give no key path', () => {
    // A repeat caller is sent straight to fix, but a first-time caller (the one the fallback
    // phrase talks to) gets there only with 2: the route must not make the keys [].
    const flow = parseFlow(
      `${HEAD}agents:
  agents:
    "1001": { endpoint: PJSIP/1001, workNumber: "1001", name: Zhang }
  groups:
    repair: { name: 故障报修, members: ["1001"] }
    business: { name: 业务咨询, members: ["1001"] }
steps:
  answer: { verb: answer, next: again }
  again: { verb: repeat-caller, routes: { repair: fix, business: desk }, next: main }
  main:
    verb: menu
    prompt: menu.main
    options: { "2": fix }
    invalid: ${retry('bye')}
    noInput: ${retry('bye')}
  fix: { verb: transfer, group: repair, target: group.repair, next: bye, failed: bye }
  desk: { verb: transfer, group: business, target: group.business, next: bye, failed: bye }
  bye: { verb: hangup }
`,
      'repeat.yaml',
      PROMPTS,
    );
    expect(keyPathTo(flow, 'fix')).toEqual(['2']);
    // Reached only by the route: no keys lead there.
    expect(keyPathTo(flow, 'desk')).toBeNull();
    // Its next is taken without a key, as for any first caller.
    expect(keyPathTo(flow, 'main')).toEqual([]);
  });
});
