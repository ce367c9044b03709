// The flow graph, checked at load (src/flow/flow-graph.ts): loops that spin unheard, loops with
// no way out, loops a caller who does nothing never leaves, audio before the answer, steps no
// entry reaches. Each verb declares how its steps behave (define-verb's GraphFacts); a property
// test compares the loader's verdicts with a brute-force reading of small random flows.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { GraphFacts } from '../../src/flow/define-verb.js';
import { FlowError, loadFlow, parseFlow, type FlowIssue, type LoadOptions } from '../../src/flow/load-flow.js';
import { FlowFile, type Flow, type Step } from '../../src/flow/schema.js';
import { definitionOf, verbDefinitions } from '../../src/flow/verbs/index.js';
import { catalogueIds } from './support/fake-call.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const HEAD = 'hotline:\n  name: Test line\n  number: "100"\n';
const AGENTS = `agents:
  agents:
    a1: { endpoint: PJSIP/1001, workNumber: "1001", name: Zhang }
  groups:
    repair: { name: Repair, members: [a1] }
`;

/** A flow from step lines (each indented under steps:); HEAD and AGENTS are lines 1-8, steps: 9. */
const flowText = (steps: string[], extra = '') => `${HEAD}${AGENTS}${extra}steps:\n${steps.map((s) => `  ${s}\n`).join('')}`;
const FIRST_STEP_LINE = 10;

function load(text: string, options: LoadOptions = {}): { flow: Flow; warnings: FlowIssue[] } {
  const warnings: FlowIssue[] = [];
  const flow = parseFlow(text, 'f.yaml', catalogueIds(), { onWarning: (w) => warnings.push(w), ...options });
  return { flow, warnings };
}

function rejected(text: string): FlowError {
  try {
    load(text);
  } catch (e) {
    if (e instanceof FlowError) return e;
    throw e;
  }
  throw new Error('expected a FlowError');
}

const lines = (e: FlowError) => e.issues.map((i) => `${i.line} ${i.path}: ${i.message}`);

describe('flow graph: loops that trap a caller are refused at load', () => {
  it('a step whose next is itself (1,000 ARI requests, then "flow ran 1000 steps") is a silent loop with no way out', () => {
    const e = rejected(flowText(['a: { verb: answer, next: a }']));
    expect(lines(e)).toEqual([
      "10 steps.a: a loop with no way out: step 'a' leads only to itself and does not end the call, so a caller who gets here never leaves (a → a)",
      '10 steps.a: a loop that can repeat without the caller hearing a prompt or pressing a key: a → a (answer can pass without a sound; ' +
        'put a step that always plays or waits for a key, such as play or menu, on the loop)',
    ]);
    expect(e.issues[0]).toMatchObject({ file: 'f.yaml', line: FIRST_STEP_LINE, column: 3 });
  });

  it('a silent two-step loop is named step by step, from the step listed first, at its line', () => {
    const e = rejected(
      flowText([
        'a: { verb: answer, next: b }',
        'bye: { verb: hangup }',
        // A caller who spoke once passes silent-line at once; a first caller passes repeat-caller.
        'b: { verb: silent-line, next: c }',
        'c: { verb: repeat-caller, next: b }',
      ]),
    );
    expect(lines(e)).toEqual([
      '12 steps.b: a loop that can repeat without the caller hearing a prompt or pressing a key: b → c → b (silent-line and repeat-caller ' +
        'can pass without a sound; put a step that always plays or waits for a key, such as play or menu, on the loop)',
    ]);
  });

  it('a greeting loop is silent too: a key pressed ahead skips a barge-in greeting and stays buffered', () => {
    const e = rejected(flowText(['a: { verb: answer, next: g }', 'g: { verb: greet, next: s }', 's: { verb: silent-line, next: g }']));
    expect(e.issues.map((i) => i.message)).toEqual([expect.stringContaining('g → s → g') as unknown]);
  });

  it('a loop through a play or a menu is heard: it is refused only when it has no way out', () => {
    // The menu repeats on 0 and leaves on 1: fine.
    expect(() =>
      load(
        flowText([
          'a: { verb: answer, next: g }',
          'g: { verb: greet, next: m }',
          'm: { verb: menu, prompt: menu.main, options: { "0": g, "1": bye }, invalid: { then: bye }, noInput: { then: bye } }',
          'bye: { verb: hangup }',
        ]),
      ),
    ).not.toThrow();
    // Two plays that lead only to each other.
    const e = rejected(
      flowText([
        'a: { verb: answer, next: p }',
        'p: { verb: play, prompt: info.business, next: q }',
        'q: { verb: play, prompt: info.repair, next: p }',
      ]),
    );
    expect(lines(e)).toEqual([
      "11 steps.p: a loop with no way out: steps 'p' and 'q' lead only to each other and none ends the call, so a caller who gets here never leaves (p → q → p)",
    ]);
  });

  it('a menu whose every option and fallback leads back to itself has no way out', () => {
    const e = rejected(
      flowText([
        'a: { verb: answer, next: m }',
        'm: { verb: menu, prompt: menu.main, options: { "1": m, "2": m }, invalid: { then: m }, noInput: { then: m } }',
      ]),
    );
    expect(lines(e)).toEqual([
      "11 steps.m: a loop with no way out: step 'm' leads only to itself and does not end the call, so a caller who gets here never leaves (m → m)",
    ]);
  });

  it('a goodbye that ends the call, or a silent line that hangs up, is a way out of a loop', () => {
    expect(() =>
      load(
        flowText([
          'a: { verb: answer, next: m }',
          'm: { verb: menu, prompt: menu.main, options: { "1": info }, invalid: { then: m }, noInput: { then: listen } }',
          'info: { verb: play, prompt: info.business, next: m }',
          // No onSilence: a silent caller is hung up; one who speaks goes back to the menu.
          'listen: { verb: silent-line, next: m }',
        ]),
      ),
    ).not.toThrow();
  });

  it('a transfer whose failed is itself: a caller no agent takes goes round forever', () => {
    const e = rejected(
      flowText([
        'a: { verb: answer, next: t }',
        't: { verb: transfer, group: repair, target: group.repair, next: bye, failed: t }',
        'bye: { verb: hangup }',
      ]),
    );
    expect(lines(e)).toEqual([
      '11 steps.t: a caller who does nothing, and whom no agent or service takes, goes round t (failed) → t forever; ' +
        'let one of these fallbacks lead to a goodbye or hangup',
    ]);
  });

  it('the idle path across steps: a menu whose silence leads to a transfer that fails back to the menu', () => {
    const e = rejected(
      flowText([
        'a: { verb: answer, next: m }',
        'm: { verb: menu, prompt: menu.main, options: { "1": bye }, invalid: { then: bye }, noInput: { then: t } }',
        't: { verb: transfer, group: repair, target: group.repair, next: bye, failed: m }',
        'bye: { verb: hangup }',
      ]),
    );
    expect(e.issues.map((i) => `${i.line} ${i.message}`)).toEqual([
      expect.stringContaining('11 a caller who does nothing, and whom no agent or service takes, goes round m (noInput.then) → t (failed) → m forever') as unknown,
    ]);
  });
});

describe('flow graph: audio before the answer (N1)', () => {
  it('a greeting before the answer is refused, with the way from start to the answer', () => {
    const e = rejected(flowText(['w: { verb: greet, next: a }', 'a: { verb: answer, next: bye }', 'bye: { verb: goodbye }']));
    expect(lines(e)).toEqual(["10 steps.w: step 'w' (greet) plays before the call is answered (start: w → a); answer first (N1)"]);
  });

  it('only the first audio on each way is named, and a way without audio before the answer is fine', () => {
    const e = rejected(
      flowText(
        [
          'r: { verb: repeat-caller, next: m, routes: { repair: t } }',
          'm: { verb: menu, prompt: menu.main, options: { "1": p, "2": a }, invalid: { then: a }, noInput: { then: a } }',
          'p: { verb: play, prompt: info.business, next: a }',
          'a: { verb: answer, next: t }',
          't: { verb: transfer, group: repair, target: group.repair, next: bye, failed: bye }',
          'bye: { verb: hangup }',
        ],
        'start: r\n',
      ),
    );
    // repeat-caller may ask its question (audio) before the menu; the menu is audio too but comes after.
    expect(lines(e)).toEqual(["11 steps.r: step 'r' (repeat-caller) plays before the call is answered (start: r → m → a); answer first (N1)"]);
  });

  it('hangup before the answer is fine (a rejected call), and so is a flow with no answer step at all (early media only)', () => {
    expect(() => load(flowText(['bye: { verb: hangup }']))).not.toThrow();
    expect(() => load(flowText(['p: { verb: play, prompt: info.business, next: bye }', 'bye: { verb: hangup }']))).not.toThrow();
  });

  it('callbacks.entry starts an answered call: audio there is not before an answer', () => {
    const { flow } = load(
      flowText(
        ['a: { verb: answer, next: bye }', 'bye: { verb: goodbye }', 'hello: { verb: play, prompt: info.business, next: a }'],
        'callbacks: { entry: hello, group: repair }\n',
      ),
    );
    expect(flow.start).toBe('a');
  });
});

describe('flow graph: steps no entry reaches', () => {
  const text = (extra = '') =>
    flowText(
      ['a: { verb: answer, next: bye }', 'bye: { verb: hangup }', 'lost: { verb: play, prompt: info.business, next: bye }'],
      extra,
    );

  it('are a warning by default: the flow loads and the warning has the step\'s line', () => {
    const { flow, warnings } = load(text());
    expect(flow.steps['lost']).toBeDefined();
    expect(warnings).toEqual([
      { file: 'f.yaml', line: 12, column: 3, path: 'steps.lost', message: "step 'lost' cannot be reached from start 'a'" },
    ]);
  });

  it('are an error with checks: { unreachable: error }', () => {
    const e = rejected(text('checks: { unreachable: error }\n'));
    expect(lines(e)).toEqual(["13 steps.lost: step 'lost' cannot be reached from start 'a'"]);
  });

  it('travel with the errors of the same stage in a FlowError (listed after them, marked as warnings)', () => {
    const e = rejected(flowText(['a: { verb: answer, next: a }', 'lost: { verb: hangup }']));
    expect(e.warnings.map((w) => w.path)).toEqual(['steps.lost']);
    expect(e.message.split('\n').at(-1)).toBe("f.yaml:11:3 steps.lost: warning: step 'lost' cannot be reached from start 'a'");
  });

  it('without onWarning, go to process.emitWarning (stderr) as FlowWarning', () => {
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      parseFlow(text(), 'f.yaml', catalogueIds());
      expect(emit).toHaveBeenCalledWith("f.yaml:12:3 steps.lost: step 'lost' cannot be reached from start 'a'", {
        type: 'FlowWarning',
        code: 'FLOW_WARNING',
      });
    } finally {
      emit.mockRestore();
    }
  });

  it('a step reached only by callbacks.entry, or by a repeat caller\'s 1 (the first transfer to the group), is reached', () => {
    const { warnings } = load(
      flowText(
        [
          'a: { verb: answer, next: again }',
          'again: { verb: repeat-caller, next: bye }',
          'bye: { verb: goodbye }',
          'to-repair: { verb: transfer, group: repair, target: group.repair, next: bye, failed: bye }',
          'called-back: { verb: play, prompt: info.business, next: bye }',
        ],
        'callbacks: { entry: called-back, group: repair }\n',
      ),
    );
    expect(warnings).toEqual([]);
  });

  it('an unknown checks key or value is a schema issue', () => {
    expect(lines(rejected(text('checks: { unreachble: error }\n')))).toEqual(["9 checks.unreachble: unknown key 'unreachble'"]);
  });
});

describe('flow graph: the shipped flow and the fixtures', () => {
  it('the shipped flow and every good fixture load without warnings', () => {
    const good = readdirSync(`${root}test/fixtures/flows`).filter((f) => !f.startsWith('bad-'));
    for (const file of ['dialplans/hotline.yaml', ...good.map((f) => `test/fixtures/flows/${f}`)]) {
      const warnings: FlowIssue[] = [];
      loadFlow(`${root}${file}`, catalogueIds(), { onWarning: (w) => warnings.push(w) });
      expect(warnings, file).toEqual([]);
    }
  });

  it('graph errors come after the cross checks: a flow with an unknown step reports that alone', () => {
    const e = rejected(flowText(['a: { verb: answer, next: nowhere }']));
    expect(lines(e)).toEqual(["10 steps.a.next: unknown step 'nowhere'"]);
  });
});

// ---- what each verb declares ----

const EVERY_VERB = load(
  flowText([
    'answer: { verb: answer, next: welcome }',
    'welcome: { verb: greet, next: listen }',
    'listen: { verb: silent-line, next: again, onSilence: repair-desk }',
    'quiet: { verb: silent-line, next: again }',
    'again: { verb: repeat-caller, next: main }',
    'main: { verb: menu, prompt: menu.main, options: { "1": info, "2": ticket, "3": status, "4": offer, "5": quiet, "6": lang, "9": wrong }, invalid: { then: bye }, noInput: { then: closing } }',
    'info: { verb: play, prompt: info.business, next: bye }',
    'repair-desk: { verb: transfer, group: repair, target: group.repair, next: bye, survey: rate, failed: offer }',
    'rate: { verb: survey, next: bye }',
    'lang: { verb: language, offer: language.offer, options: { "1": zh-CN, "2": en }, next: bye }',
    'ticket: { verb: create-ticket, next: bye }',
    'status: { verb: ticket-status, next: bye, failed: bye }',
    'offer: { verb: capture-number, reason: transfer-failed, next: bye, failed: bye }',
    'closing: { verb: goodbye, linger: false }',
    'bye: { verb: goodbye, linger: { resume: main }, next: end }',
    'wrong: { verb: wrong-number }',
    'gate: { verb: hours, open: main, closed: offer, holiday: info }',
    'consent: { verb: record, next: bye }',
    'later: { verb: reschedule-callback, next: bye, failed: info }',
    'end: { verb: hangup }',
  ]),
).flow;

const facts = (id: string): GraphFacts => {
  const step = EVERY_VERB.steps[id] as Step;
  return definitionOf(step).graph(step, EVERY_VERB);
};
const idle = (id: string) => facts(id).idle?.step ?? null;

describe('graph facts: each verb declares how its steps behave', () => {
  // heard: plays or waits for a key on every pass; plays: may play audio; idle: where a caller
  // who does nothing goes (null: the call ends).
  const TABLE: Record<string, { step: string; heard: boolean; plays: boolean; answers: boolean; idle: string | null }> = {
    answer: { step: 'answer', heard: false, plays: false, answers: true, idle: 'welcome' },
    greet: { step: 'welcome', heard: false, plays: true, answers: false, idle: 'listen' },
    'silent-line': { step: 'listen', heard: false, plays: true, answers: false, idle: 'repair-desk' },
    'repeat-caller': { step: 'again', heard: false, plays: true, answers: false, idle: 'main' },
    menu: { step: 'main', heard: true, plays: true, answers: false, idle: 'closing' },
    play: { step: 'info', heard: true, plays: true, answers: false, idle: 'bye' },
    transfer: { step: 'repair-desk', heard: true, plays: true, answers: false, idle: 'offer' },
    'create-ticket': { step: 'ticket', heard: true, plays: true, answers: false, idle: 'bye' },
    'ticket-status': { step: 'status', heard: true, plays: true, answers: false, idle: 'bye' },
    survey: { step: 'rate', heard: true, plays: true, answers: false, idle: 'bye' },
    language: { step: 'lang', heard: false, plays: true, answers: false, idle: 'bye' },
    'capture-number': { step: 'offer', heard: true, plays: true, answers: false, idle: 'bye' },
    goodbye: { step: 'bye', heard: true, plays: true, answers: false, idle: 'end' },
    hangup: { step: 'end', heard: false, plays: false, answers: false, idle: null },
    'wrong-number': { step: 'wrong', heard: true, plays: true, answers: false, idle: null },
    // N15: branches without a sound (before the answer too); nobody serves the after-hours caller.
    hours: { step: 'gate', heard: false, plays: false, answers: false, idle: 'offer' },
    // N14: the announcement plays only when recording is on, once per call: it can pass unheard.
    record: { step: 'consent', heard: false, plays: true, answers: false, idle: 'bye' },
    // N8: the callee of a callback is always asked for an hour; keying none goes to failed.
    'reschedule-callback': { step: 'later', heard: true, plays: true, answers: false, idle: 'info' },
  };

  it('every registered verb is in the table (a new verb declares its graph facts and is added here)', () => {
    expect(Object.keys(TABLE).sort()).toEqual(verbDefinitions().map((d) => d.verb).sort());
  });

  it.each(Object.entries(TABLE))('%s', (verb, expected) => {
    const { step, ...want } = expected;
    expect(EVERY_VERB.steps[step]?.verb).toBe(verb);
    const got = facts(step);
    expect({ heard: got.heard, plays: got.plays, answers: got.answers, idle: got.idle?.step ?? null }).toEqual(want);
  });

  it('where the call ends for a caller who does nothing: a silent line without onSilence, a goodbye without next', () => {
    expect(idle('quiet')).toBeNull();
    expect(idle('closing')).toBeNull();
  });

  it('the idle edge names the key that holds it', () => {
    expect(facts('main').idle?.path).toEqual(['noInput', 'then']);
    expect(facts('repair-desk').idle?.path).toEqual(['failed']);
    expect(facts('listen').idle?.path).toEqual(['onSilence']);
  });

  it('repeat-caller leads, without naming it, to the first transfer step to each group', () => {
    expect(facts('again').implicit).toEqual(['repair-desk']);
  });
});

// ---- the loader's verdicts against a brute-force reading of small random flows ----

const VERB_LINES: Record<string, (t: string[]) => string> = {
  answer: (t) => `{ verb: answer, next: ${t[0]} }`,
  greet: (t) => `{ verb: greet, next: ${t[0]} }`,
  play: (t) => `{ verb: play, prompt: info.business, next: ${t[0]} }`,
  menu: (t) => `{ verb: menu, prompt: menu.main, options: { "1": ${t[0]}, "2": ${t[1]} }, invalid: { then: ${t[2]} }, noInput: { then: ${t[3]} } }`,
  'silent-line': (t) => `{ verb: silent-line, next: ${t[0]} }`,
  'silent-line+': (t) => `{ verb: silent-line, next: ${t[0]}, onSilence: ${t[1]} }`,
  goodbye: (t) => `{ verb: goodbye, linger: false, next: ${t[0]} }`,
  'goodbye-end': () => '{ verb: goodbye, linger: false }',
  hangup: () => '{ verb: hangup }',
  'wrong-number': (t) => `{ verb: wrong-number, next: ${t[0]} }`,
  'wrong-number-end': () => '{ verb: wrong-number }',
  transfer: (t) => `{ verb: transfer, group: repair, target: group.repair, next: ${t[0]}, failed: ${t[1]} }`,
  'repeat-caller': (t) => `{ verb: repeat-caller, next: ${t[0]} }`,
  hours: (t) => `{ verb: hours, open: ${t[0]}, closed: ${t[1]}, holiday: ${t[2]} }`,
  record: (t) => `{ verb: record, next: ${t[0]} }`,
  'capture-number': (t) => `{ verb: capture-number, reason: complaint, next: ${t[0]}, failed: ${t[1]} }`,
};

type Verdict = { silent: boolean; trap: boolean; idle: boolean; early: boolean; unreachable: boolean };

/** The same questions answered by reachability closures (tiny graphs only). */
function bruteForce(flow: Flow): Verdict {
  const ids = flow.stepOrder;
  const n = ids.length;
  const at = new Map(ids.map((id, i) => [id, i]));
  const f = ids.map((id) => definitionOf(flow.steps[id]!).graph(flow.steps[id]!, flow));
  const out = ids.map((id, i) => [...definitionOf(flow.steps[id]!).targets(flow.steps[id]!).map((r) => r.step), ...f[i]!.implicit].map((s) => at.get(s)!));
  // reach[a][b]: a path of one edge or more from a to b, using only steps allowed.
  const closure = (allowed: (i: number) => boolean) => {
    const r = Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => allowed(a) && allowed(b) && out[a]!.includes(b)));
    for (let k = 0; k < n; k++) for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (r[a]![k] && r[k]![b]) r[a]![b] = true;
    return r;
  };
  const all = closure(() => true);
  const quiet = closure((i) => !f[i]!.heard);
  const silent = ids.some((_, i) => quiet[i]![i]);
  const trap = ids.some((_, v) => {
    if (!all[v]![v]) return false;
    const scc = ids.map((_, w) => w === v || (all[v]![w] && all[w]![v]));
    return ids.every((_, w) => !scc[w] || (f[w]!.idle !== null && out[w]!.every((x) => scc[x])));
  });
  const idle = ids.some((_, v) => {
    let x: number | undefined = v;
    for (let k = 0; k < n && x !== undefined; k++) {
      const next: string | undefined = f[x]!.idle?.step;
      x = next === undefined ? undefined : at.get(next);
      if (x === v) return true;
    }
    return false;
  });
  const start = at.get(flow.start)!;
  // Steps reached from start before any answer step (start included).
  const before = closure((i) => !f[i]!.answers);
  const early = ids.some((_, p) => {
    if (f[p]!.answers || !f[p]!.plays) return false;
    const reached = p === start || (!f[start]!.answers && before[start]![p]);
    return reached && ids.some((_, a) => f[a]!.answers && all[p]![a]);
  });
  const unreachable = ids.some((_, i) => i !== start && !all[start]![i]);
  return { silent, trap, idle, early, unreachable };
}

describe('flow graph: the loader agrees with a brute-force reading of random small flows', () => {
  const verbs = Object.keys(VERB_LINES);
  const arbFlow = fc.integer({ min: 1, max: 7 }).chain((n) =>
    fc.array(fc.tuple(fc.constantFrom(...verbs), fc.array(fc.integer({ min: 0, max: n - 1 }), { minLength: 4, maxLength: 4 })), {
      minLength: n,
      maxLength: n,
    }),
  );

  it('silent loops, traps, idle loops, early audio and unreachable steps', () => {
    fc.assert(
      fc.property(arbFlow, (spec) => {
        const text = flowText(spec.map(([verb, t], i) => `s${i}: ${VERB_LINES[verb]!(t.map((j) => `s${j}`))}`));
        let flow: Flow | undefined;
        let messages: string[] = [];
        let warned = false;
        try {
          ({ flow } = load(text, { onWarning: () => (warned = true) }));
        } catch (e) {
          if (!(e instanceof FlowError)) throw e;
          messages = e.issues.map((i) => i.message);
          warned = e.warnings.length > 0;
        }
        const got: Verdict = {
          silent: messages.some((m) => m.includes('without the caller hearing')),
          trap: messages.some((m) => m.includes('no way out')),
          idle: messages.some((m) => m.includes('a caller who does nothing')),
          early: messages.some((m) => m.includes('before the call is answered')),
          unreachable: warned,
        };
        const reference = flow ?? flowFromSchema(text);
        const want = bruteForce(reference);
        // An idle loop inside a trap or a silent loop is not reported twice.
        if (got.trap || got.silent) want.idle = got.idle;
        expect(got).toEqual(want);
      }),
      { numRuns: 400 },
    );
  });
});

/** The flow's data without the loader (the generated flows pass the schema and cross checks). */
function flowFromSchema(text: string): Flow {
  const data = FlowFile.parse(parseYaml(text));
  const stepOrder = Object.keys(data.steps);
  return { ...data, start: data.start ?? stepOrder[0]!, source: 'f.yaml', stepOrder };
}
