// npm run bench:load's caller (bench/load/caller.xml), written per run with its hold
// (bench/load/caller-scenario.ts): the hold is the timeout of its wait for the hotline's BYE, so
// that a caller the hotline hangs up on (a shed caller: answer, apology, BYE) ends completed,
// and one whose hold runs out hangs up itself. The scenario's behaviour against real SIPp is in
// the fixtures of bench-sipp.test.ts; here, its text.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CALLER_TEMPLATE, callerScenario, withoutHoldTimeouts, writeCallerScenario } from '../../bench/load/caller-scenario.js';

const template = readFileSync(CALLER_TEMPLATE, 'utf8');
/** The scenario's elements (send, recv, label, pause...) in order, with their attributes. */
const elements = (xml: string) =>
  [...xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '').replace(/<!--[\s\S]*?-->/g, '').matchAll(/<(send|recv|label|pause|nop)\b([^>]*)>/g)].map((m) => ({
    name: m[1]!,
    attrs: Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])),
  }));

describe('the bench caller scenario (bench:load)', () => {
  it('writes the hold into the wait for the hotline BYE, and changes nothing else', () => {
    const xml = callerScenario(template, 7250);
    expect(xml).toContain('<recv request="BYE" timeout="7250" ontimeout="caller_hangs_up" />');
    expect(xml.replace('timeout="7250"', 'timeout="10000"')).toBe(template);
  });

  it('refuses a hold that is not a positive whole number of ms', () => {
    for (const hold of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => callerScenario(template, hold)).toThrow(/positive whole number/);
  });

  it('refuses a scenario without its one hold (a -d <pause/> caller, or two holds)', () => {
    expect(() => callerScenario(template.replace(/<recv request="BYE" timeout="\d+" ontimeout="caller_hangs_up" \/>/, '<pause />'), 1000)).toThrow(/has 0/);
    const twice = template.replace(/(<recv request="BYE"[^>]*>)/, '$1\n  $1');
    expect(() => callerScenario(twice, 1000)).toThrow(/has 2/);
  });

  it('answers the hotline BYE after the answer only, hangs up itself when the hold runs out, and measures INVITE→200 as before', () => {
    const list = elements(callerScenario(template, 10_000));
    const shape = list.map((e) => `${e.name}${e.attrs.request ? ` ${e.attrs.request}` : ''}${e.attrs.response ? ` ${e.attrs.response}` : ''}${e.attrs.id ? ` #${e.attrs.id}` : ''}`);
    expect(shape).toEqual([
      'send', // INVITE
      'recv 100',
      'recv 180',
      'recv 183',
      'recv 200',
      'send', // ACK
      'recv BYE', // the hold
      'send', // 200 OK to the hotline's BYE
      'label #caller_hangs_up',
      'send', // the caller's BYE
      'recv 200',
      'label #done',
    ]);
    // INVITE→200 is response time 1, from the first INVITE to the 200 (the short message log has it finer).
    expect(list[0]!.attrs.start_rtd).toBe('1');
    expect(list[4]!.attrs).toMatchObject({ response: '200', rtd: '1', rrs: 'true' });
    expect(list[4]!.attrs.optional).toBeUndefined();
    // Only the provisional answers are optional: a BYE or anything else before the 200 is unexpected, a failure.
    expect(list.filter((e) => e.attrs.optional === 'true').map((e) => e.attrs.response)).toEqual(['100', '180', '183']);
    expect(list[6]!.attrs).toEqual({ request: 'BYE', timeout: '10000', ontimeout: 'caller_hangs_up' });
    expect(list[7]!.attrs.next).toBe('done');
    // Every jump has its label; the last label ends the scenario (a completed call).
    const labels = list.filter((e) => e.name === 'label').map((e) => e.attrs.id);
    for (const e of list) for (const target of [e.attrs.next, e.attrs.ontimeout].filter(Boolean)) expect(labels).toContain(target);
    expect(list.at(-1)).toEqual({ name: 'label', attrs: { id: 'done' } });
    // No pause left: the hold is no longer SIPp's -d.
    expect(list.some((e) => e.name === 'pause')).toBe(false);
  });

  it("answers the hotline's BYE with its own Via, From, To, Call-ID and CSeq", () => {
    const reply = /<send next="done">\s*<!\[CDATA\[([\s\S]*?)\]\]>/.exec(template)?.[1] ?? '';
    const lines = reply.split('\n').map((l) => l.trim()).filter(Boolean);
    expect(lines.slice(0, 6)).toEqual(['SIP/2.0 200 OK', '[last_Via:]', '[last_From:]', '[last_To:]', '[last_Call-ID:]', '[last_CSeq:]']);
  });

  it('is written into the run directory with the hold', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-caller-'));
    try {
      const file = writeCallerScenario(dir, 500);
      expect(file).toBe(join(dir, 'caller.xml'));
      expect(readFileSync(file, 'utf8')).toBe(callerScenario(template, 500));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SIPp's error log without the hold timeouts (bench:load)", () => {
  const log = readFileSync('test/fixtures/sipp/mixed-bye-errors.txt', 'utf8');

  it('drops the warning SIPp writes for each caller whose hold ran out (real 3.6.1 output, no newline between them)', () => {
    expect(log.match(/jumping to label/g)).toHaveLength(3);
    expect(withoutHoldTimeouts(log)).toBe('');
  });

  it('keeps everything else', () => {
    const other = '2026-11-30\t07:28:40.000000\t1796023720.000000: Call-Id: 9-4988@127.0.0.1, receive timeout on message hotline bench caller:10 without label to jump to (ontimeout attribute): aborting call';
    const at = log.indexOf('2026-11-30\t07:28:39.975158');
    expect(withoutHoldTimeouts(`${log.slice(0, at)}${other}${log.slice(at)}`)).toBe(other);
    expect(withoutHoldTimeouts('Unable to bind UDP socket, errno = 98')).toBe('Unable to bind UDP socket, errno = 98');
  });
});
