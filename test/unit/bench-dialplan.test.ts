// npm run bench:load writes its dialplan into a file of its own (bench/load/dialplan.ts), included
// by the generated extensions.conf: whole contexts, the generated entry word for word with its
// labels, so a caller the controller sheds goes back to the bench entry's `shed` label (route
// `dialplan`) as it would from the real entry.
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ChannelInfo } from '../../src/ari/types.js';
import { entryContext, INBOUND_CONTEXT, SHED_LABEL } from '../../src/asterisk/render-config.js';
import { createCallFacts } from '../../src/calls/call-facts.js';
import { CallSession, type SessionAri } from '../../src/calls/call-session.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { loadFlow } from '../../src/flow/load-flow.js';
import { shedPlan } from '../../src/flow/ring-budget.js';
import type { Flow, Ring } from '../../src/flow/schema.js';
import { loadCatalogue } from '../../src/prompts/catalogue.js';
import {
  ARRIVAL_CONTEXT,
  BENCH_APPS,
  BENCH_ENTRIES,
  benchDialplanFile,
  bareDialplan,
  floorDialplan,
  SYSTEMS,
} from '../../bench/load/dialplan.js';
import { parseExtension, runExtension } from './support/dialplan.js';

const catalogue = loadCatalogue('prompts/catalogue.yaml').ids;
const benchFlow = loadFlow('bench/load/flow.yaml', catalogue, { onWarning: () => undefined });
const FILES = { greeting: ['hotline/zh-CN/salute.noon', 'hotline/zh-CN/greeting.body'], menu: ['hotline/zh-CN/menu.main'] };
const { context, number } = BENCH_ENTRIES.controller;

/** The file as the bench writes it (bench/load.bench.ts). */
const fileFor = (flow: Flow) =>
  benchDialplanFile({
    controller: entryContext(context, BENCH_APPS.controller, flow),
    dialplan: floorDialplan(BENCH_ENTRIES.dialplan, FILES),
    bare: bareDialplan(BENCH_ENTRIES.bare, BENCH_APPS.bare),
  });
const file = fileFor(benchFlow);
const lines = file.split('\n');

/** Each `[context]` of the file with its lines. */
function sections(text: string): { name: string; body: string[] }[] {
  const out: { name: string; body: string[] }[] = [];
  for (const line of text.split('\n')) {
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) out.push({ name: header[1]!, body: [] });
    else out.at(-1)?.body.push(line);
  }
  return out;
}

describe('the bench dialplan file (bench:load)', () => {
  it('holds whole contexts: the three entries, then the arrival routing, and nothing before the first header but comments', () => {
    expect(sections(file).map((s) => s.name)).toEqual([...SYSTEMS.map((s) => BENCH_ENTRIES[s].context), ARRIVAL_CONTEXT]);
    // Text inclusion: a line before the first header would belong to the last context of the file before it.
    const first = lines.findIndex((l) => l.startsWith('['));
    expect(lines.slice(0, first).every((l) => l === '' || l.startsWith(';'))).toBe(true);
    expect(file).not.toMatch(/^\[(general|globals)\]$/im);
  });

  it('every line is a comment, a section, or an extension line, as Asterisk’s parser reads them', () => {
    for (const l of lines) expect(l, JSON.stringify(l)).toMatch(/^(|\s*;.*|\[[a-z-]+\]|exten => [0-9]+,1,[A-Za-z]+\(.*\)| same => n(\([a-z]+\))?,[A-Za-z]+\(.*\))$/);
  });

  it("the controller's entry is the generated entry word for word, labels and all, with the shed apology at `shed`", () => {
    const entry = entryContext(context, BENCH_APPS.controller, benchFlow);
    expect(file).toContain(entry);
    const labels = parseExtension(file, context, number).flatMap((p) => (p.label ? [p.label] : []));
    expect(labels).toEqual(['stasis', 'retry', 'again', 'unavailable', SHED_LABEL, 'shedwait', 'shedanswer']);
    expect(file).toContain(` same => n(stasis),Stasis(${BENCH_APPS.controller},talk-detect)`);
  });

  it('a caller sent to `shed` there is answered at the flow’s answer time (at once, no ringback) and hears the flow’s overload prompt', () => {
    const run = runExtension(parseExtension(file, context, number), () => 'FAILED', { start: SHED_LABEL, vars: { HOTLINE_WAITED: '0' } });
    expect(shedPlan(benchFlow.ring).answerAtMs).toBe(0);
    expect(run).toMatchObject({ by: 'fallback', answeredAt: 0, ringingAt: [], stasisAt: [] });
    expect(run.played).toEqual([`hotline/${benchFlow.hotline.language}/${benchFlow.overload.prompt}`]);
  });

  it('for every ring the schema allows, `shed` in the bench entry gives what it gives in the generated hotline-inbound entry', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 20 }),
        (onMs, offMs, answerAfterRings, waited) => {
          const ring: Ring = { cadence: { onMs, offMs }, answerAfterRings };
          const flow = { ...benchFlow, ring };
          const from = { start: SHED_LABEL, vars: { HOTLINE_WAITED: String(waited) } };
          const real = parseExtension(entryContext(INBOUND_CONTEXT, 'hotline', flow), INBOUND_CONTEXT, number);
          expect(runExtension(parseExtension(fileFor(flow), context, number), () => 'FAILED', from)).toEqual(runExtension(real, () => 'FAILED', from));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("the controller hands a shed caller back to the context and number it entered Stasis from: the bench entry's, which has `shed`", async () => {
    const stasis = / same => n\(stasis\),Stasis\(([^)]*)\)/.exec(sections(file).find((s) => s.name === context)!.body.join('\n'))![1]!;
    // What Asterisk reports for a caller that SIPp's call reached through the arrival Goto.
    const channel: ChannelInfo = {
      id: 'bench-1',
      name: 'PJSIP/callers-00000001',
      state: 'Ring',
      caller: { number: 'sipp', name: '' },
      dialplan: { context, exten: number, priority: 4, app_name: 'Stasis', app_data: stasis },
      creationtime: new Date(0).toISOString(),
    };
    const targets: unknown[] = [];
    const ari = { continueAt: (_: string, target: unknown) => (targets.push(target), Promise.resolve()) } as unknown as SessionAri;
    const session = new CallSession({
      ari,
      events: new EventEmitter(),
      channel,
      facts: createCallFacts({ direction: 'inbound', caller: 'sipp', language: 'zh-CN' }),
      clock: new VirtualClock(0),
      logger: pino({ level: 'silent' }),
      voice: { silenceMs: 1200, talkMs: 160 },
    });
    expect(session.canHandBack).toBe(true);
    await session.handBack(SHED_LABEL);
    expect(targets).toEqual([{ context, extension: number, label: SHED_LABEL }]);
    expect(parseExtension(file, context, number).some((p) => p.label === SHED_LABEL)).toBe(true);
  });

  it('the floor answers and plays the greeting, then the menu; the bare entry only enters its app', () => {
    expect(floorDialplan(BENCH_ENTRIES.dialplan, FILES)).toBe(`[hotline-bench-dialplan]
exten => 4008009002,1,Answer()
 same => n,Playback(hotline/zh-CN/salute.noon&hotline/zh-CN/greeting.body)
 same => n,Playback(hotline/zh-CN/menu.main)
 same => n,Hangup()
`);
    expect(bareDialplan(BENCH_ENTRIES.bare, BENCH_APPS.bare)).toBe('[hotline-bench-bare]\nexten => 4008009003,1,Stasis(hotline-bench-bare)\n same => n,Hangup()\n');
    expect(file).toContain(floorDialplan(BENCH_ENTRIES.dialplan, FILES));
    expect(file).toContain(bareDialplan(BENCH_ENTRIES.bare, BENCH_APPS.bare));
  });

  it('reaches each system from the generated arrival context by a number of its own, not the real hotline number', () => {
    expect(sections(file).at(-1)).toEqual({
      name: ARRIVAL_CONTEXT,
      body: [...SYSTEMS.map((s) => `exten => ${BENCH_ENTRIES[s].number},1,Goto(${BENCH_ENTRIES[s].context},${BENCH_ENTRIES[s].number},1)`), ''],
    });
    expect(new Set(SYSTEMS.map((s) => BENCH_ENTRIES[s].number)).size).toBe(3);
    const shipped = loadFlow('dialplans/hotline.yaml', catalogue, { onWarning: () => undefined });
    expect(SYSTEMS.map((s) => BENCH_ENTRIES[s].number)).not.toContain(shipped.hotline.number);
    expect(benchFlow.hotline.number).toBe(BENCH_ENTRIES.controller.number);
  });
});
