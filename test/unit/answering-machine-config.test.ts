// Issue 9: the answering-machine policy as the flow file states it and as Asterisk is
// configured for it. The schema bounds AMD's parameters (refused with file:line:column and the
// path, like every flow error), the loader refuses an analysis longer than the dead-air budget
// (N5: a person who answered hears nothing meanwhile), FLOW_TIME_SCALE leaves the thresholds
// alone, and the generated configuration loads app_amd (with the amd.conf it needs) and holds
// the one context an answered callee is sent through.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AMD_CONTEXT, AMD_PARAMS_VARIABLE, AMD_STASIS_VARIABLE } from '../../src/ari/amd-dialplan.js';
import { amdContext, ASTERISK_MODULES, renderAsteriskConfig } from '../../src/asterisk/render-config.js';
import { loadConfig } from '../../src/config/env.js';
import { FlowError, formatIssue, loadFlow, parseFlow, type FlowIssue } from '../../src/flow/load-flow.js';
import { scaleTimings } from '../../src/flow/scale-timings.js';
import { ANSWERING_MACHINE_DEFAULTS } from '../../src/flow/schema.js';
import { loadCatalogue } from '../../src/prompts/catalogue.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PROMPTS = loadCatalogue(`${root}prompts/catalogue.yaml`).ids;

function issuesOf(text: string): FlowIssue[] {
  try {
    parseFlow(text, 'flow.yaml', PROMPTS);
  } catch (e) {
    if (e instanceof FlowError) return e.issues;
    throw e;
  }
  throw new Error('expected a FlowError');
}

/** 1-based line and column of `needle`'s value (after `key: `). */
function at(text: string, needle: string): string {
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`'${needle}' not in the text`);
  const before = text.slice(0, index + needle.indexOf(':') + 2).split('\n');
  return `flow.yaml:${before.length}:${before.at(-1)!.length + 1}`;
}

/** A flow that dials callbacks (unless `dial` is ''), its callbacks section ending with `extra`. */
const flow = (extra: string, top = '', dial = '  dial: PJSIP/{number}@trunk\n') => `hotline:
  name: Test line
  number: "100"
${top}agents:
  agents:
    a1: { endpoint: Local/a1@agents, workNumber: "27", name: One }
  groups:
    desk: { name: Desk, members: [a1] }
callbacks:
${dial}  group: desk
  entry: bye
${extra}steps:
  bye:
    verb: hangup
`;

describe('issue 9: callbacks.answeringMachine in the flow file', () => {
  it('defaults: AMD on, a machine retried, NOTSURE connected, and Asterisk 22\'s AMD() defaults (total 5000 ms, within the default budget)', () => {
    const loaded = parseFlow(flow(''), 'flow.yaml', PROMPTS);
    expect(loaded.callbacks.answeringMachine).toEqual({
      detect: 'amd', onMachine: 'retry', onNotSure: 'connected',
      initialSilenceMs: 2500, greetingMs: 1500, afterGreetingSilenceMs: 800, totalAnalysisMs: 5000,
      minWordMs: 100, betweenWordsSilenceMs: 50, maxWords: 2, silenceThreshold: 256, maxWordMs: 5000,
    });
    expect(ANSWERING_MACHINE_DEFAULTS.totalAnalysisMs).toBeLessThanOrEqual(loaded.deadAirBudgetMs);
    // A flow without a callbacks section gets the same.
    const bare = parseFlow('hotline: { name: T, number: "100" }\nsteps:\n  bye: { verb: hangup }\n', 'flow.yaml', PROMPTS);
    expect(bare.callbacks.answeringMachine).toEqual(loaded.callbacks.answeringMachine);
  });

  it('the shipped flow loads with the policy', () => {
    const shipped = loadFlow(`${root}dialplans/hotline.yaml`, PROMPTS, { onWarning: () => undefined });
    expect(shipped.callbacks.answeringMachine.detect).toBe('amd');
  });

  it('out-of-range parameters and unknown choices are refused with file:line:column and the path', () => {
    const text = flow('  answeringMachine:\n    greetingMs: 50\n    maxWords: 0\n    detect: sometimes\n');
    const issues = issuesOf(text).map(formatIssue);
    expect(issues).toEqual([
      expect.stringMatching(new RegExp(`^${at(text, 'greetingMs: 50')} callbacks\\.answeringMachine\\.greetingMs: .*500`)),
      expect.stringMatching(new RegExp(`^${at(text, 'maxWords: 0')} callbacks\\.answeringMachine\\.maxWords: .*1`)),
      expect.stringMatching(new RegExp(`^${at(text, 'detect: sometimes')} callbacks\\.answeringMachine\\.detect: `)),
    ]);
    expect(issues[0]).toMatch(/^flow\.yaml:14:17 /);
  });

  it('an unknown key is refused at its line (strict, like every section)', () => {
    const issues = issuesOf(flow('  answeringMachine:\n    greetingMS: 1500\n')).map(formatIssue);
    expect(issues).toEqual(["flow.yaml:14:5 callbacks.answeringMachine.greetingMS: unknown key 'greetingMS'"]);
  });

  it('N5: a total analysis time past the dead-air budget is refused, naming both', () => {
    const text = flow('  answeringMachine:\n    totalAnalysisMs: 6000\n');
    expect(issuesOf(text).map(formatIssue)).toEqual([
      `${at(text, 'totalAnalysisMs: 6000')} callbacks.answeringMachine.totalAnalysisMs: an answering-machine analysis of up to 6000 ms is dead air for a callee who answered; it exceeds the dead-air budget of 5000 ms (N5)`,
    ]);
    // The default 5000 ms under a tighter budget is refused too, at the section's default.
    expect(issuesOf(flow('', 'deadAirBudgetMs: 4000\n')).map((i) => i.message)).toEqual([
      expect.stringContaining('up to 5000 ms is dead air for a callee who answered; it exceeds the dead-air budget of 4000 ms (N5)'),
    ]);
  });

  it('N5: a larger budget takes a longer analysis; detection off or no dialling has no analysis to check', () => {
    expect(parseFlow(flow('  answeringMachine:\n    totalAnalysisMs: 6000\n', 'deadAirBudgetMs: 6000\n'), 'f.yaml', PROMPTS).callbacks.answeringMachine.totalAnalysisMs).toBe(6000);
    expect(() => parseFlow(flow('  answeringMachine:\n    detect: off\n', 'deadAirBudgetMs: 4000\n'), 'f.yaml', PROMPTS)).not.toThrow();
    expect(() => parseFlow(flow('', 'deadAirBudgetMs: 4000\n', ''), 'f.yaml', PROMPTS)).not.toThrow();
  });

  it('FLOW_TIME_SCALE leaves AMD\'s thresholds alone (a greeting is as long as it is) and scales the rest of callbacks', () => {
    const loaded = parseFlow(flow('  retryMs: 600000\n'), 'flow.yaml', PROMPTS);
    const fast = scaleTimings(loaded, 0.1);
    expect(fast.callbacks.answeringMachine).toEqual(loaded.callbacks.answeringMachine);
    expect(fast.callbacks.retryMs).toBe(60_000);
    expect(fast.callbacks.ringMs).toBe(3000);
  });
});

describe('issue 9: the generated Asterisk configuration', () => {
  const config = loadConfig({
    ARI_URL: 'http://127.0.0.1:8088',
    ARI_USER: 'hotline',
    ARI_PASSWORD: 'ari-password-123',
    AMI_USER: 'hotline-ami',
    AMI_SECRET: 'ami-secret-456',
    API_TOKEN: 'a-token-of-24-characters',
  });
  const shipped = loadFlow(`${root}dialplans/hotline.yaml`, PROMPTS, { onWarning: () => undefined });

  it('modules.conf loads app_amd, and amd.conf (without which app_amd declines to load) holds the flow\'s parameters', () => {
    expect(Object.keys(ASTERISK_MODULES)).toContain('app_amd.so');
    const custom = parseFlow(flow('  answeringMachine:\n    greetingMs: 2000\n    maxWords: 3\n'), 'flow.yaml', PROMPTS);
    const files = renderAsteriskConfig(config, custom);
    expect(files['modules.conf']).toMatch(/^load => app_amd\.so ; /m);
    expect(files['amd.conf']).toContain('[general]\n');
    const settings = Object.fromEntries(
      (files['amd.conf'] ?? '').split('\n').filter((l) => /^[a-z_]+ = /.test(l)).map((l) => l.split(' = ') as [string, string]),
    );
    expect(settings).toEqual({
      initial_silence: '2500', greeting: '2000', after_greeting_silence: '800', total_analysis_time: '5000', min_word_length: '100',
      between_words_silence: '50', maximum_number_of_words: '3', silence_threshold: '256', maximum_word_length: '5000',
    });
  });

  it('extensions.conf holds the AMD context: AMD() with the arguments the controller sets, then back to the application with the verdict', () => {
    const text = renderAsteriskConfig(config, shipped)['extensions.conf'] ?? '';
    expect(text).toContain(amdContext());
    const context = text.slice(text.indexOf(`[${AMD_CONTEXT}]`)).split('\n\n')[0]!.split('\n').filter((l) => !l.startsWith(';'));
    expect(context).toEqual([
      `[${AMD_CONTEXT}]`,
      "exten => amd,1,NoOp(answering-machine detection of a callback's callee)",
      ` same => n,AMD(\${${AMD_PARAMS_VARIABLE}})`,
      ` same => n,Stasis(\${${AMD_STASIS_VARIABLE}},amd,\${AMDSTATUS},\${AMDCAUSE})`,
      ' same => n,Hangup()',
    ]);
    // Callers never reach it: the SIP callers' context is the entry, which does not include it.
    expect(renderAsteriskConfig(config, shipped)['pjsip.conf']).not.toContain(AMD_CONTEXT);
    expect(text).not.toMatch(/include\s*=>\s*hotline-callback-amd/);
  });
});
