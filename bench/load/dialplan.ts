// The bench's dialplan: a file of its own, extensions_bench.conf (BENCH_DIALPLAN_FILE) next to the
// generated extensions.conf, which ends with a `#tryinclude` of it; the bench writes it, reloads
// the dialplan and deletes it at the end (install-dialplan.ts). extensions.conf is generated and
// extensions_local.conf belongs to the end-to-end setup, so neither is touched. The include is
// text inclusion: the file holds whole `[context]` sections, and Asterisk merges a context named
// twice (pbx_config finds the one it already has), so the file's [hotline-inbound] adds the
// bench numbers to the generated one. Three entries, one per system, reached from the generated
// hotline-inbound context (where SIPp's calls arrive) by a number of their own:
//  - the controller's: the generated entry itself (entryContext in src/asterisk/render-config.ts)
//    for the bench flow and the ARI application hotline-bench, so its calls meet exactly what a
//    real caller meets (talk detection set before Stasis, the retry while no controller is there,
//    and its labels: a caller the controller sheds goes back to the `shed` label of the context
//    and number it entered Stasis from, shed-call.ts route `dialplan`);
//  - the floor: Asterisk answers and plays the same files itself;
//  - the bare ari-client app's: Stasis() and nothing else.
import { INBOUND_CONTEXT } from '../../src/asterisk/render-config.js';

export type SystemName = 'controller' | 'dialplan' | 'bare';
export const SYSTEMS: readonly SystemName[] = ['controller', 'dialplan', 'bare'];

/** Where SIPp's calls arrive (pjsip.conf's `callers` endpoint): the generated entry's context. */
export const ARRIVAL_CONTEXT = INBOUND_CONTEXT;

export interface BenchEntry {
  /** The number SIPp dials for this system. */
  number: string;
  /** Its own context, reached from ARRIVAL_CONTEXT. */
  context: string;
}

export const BENCH_ENTRIES: Readonly<Record<SystemName, BenchEntry>> = {
  controller: { number: '4008009001', context: 'hotline-bench-controller' },
  dialplan: { number: '4008009002', context: 'hotline-bench-dialplan' },
  bare: { number: '4008009003', context: 'hotline-bench-bare' },
};

/** The ARI applications of the two ARI systems. */
export const BENCH_APPS = { controller: 'hotline-bench', bare: 'hotline-bench-bare' } as const;

/** Each system's entry context, as dialplan text. */
export type BenchDialplan = Readonly<Record<SystemName, string>>;

/** The floor: Asterisk answers at once and plays the greeting, then the menu prompt. */
export function floorDialplan(entry: BenchEntry, files: { greeting: string[]; menu: string[] }): string {
  return `[${entry.context}]
exten => ${entry.number},1,Answer()
 same => n,Playback(${files.greeting.join('&')})
 same => n,Playback(${files.menu.join('&')})
 same => n,Hangup()
`;
}

/** The bare app's entry: straight into its application. */
export function bareDialplan(entry: BenchEntry, app: string): string {
  return `[${entry.context}]
exten => ${entry.number},1,Stasis(${app})
 same => n,Hangup()
`;
}

/** Each bench number in the arrival context, sent on to its own context. */
export function arrivalDialplan(entries: readonly BenchEntry[]): string {
  return `[${ARRIVAL_CONTEXT}]\n${entries.map((e) => `exten => ${e.number},1,Goto(${e.context},${e.number},1)`).join('\n')}\n`;
}

/** The whole file: the three entries as given (labels and all), then the arrival routing. */
export function benchDialplanFile(texts: BenchDialplan): string {
  return [
    '; The load bench (npm run bench:load) writes this file while it runs and deletes it at its end.',
    '',
    ...SYSTEMS.map((s) => texts[s]),
    arrivalDialplan(SYSTEMS.map((s) => BENCH_ENTRIES[s])),
  ].join('\n');
}
