// The bench's dialplan, added to the running sandbox Asterisk with its CLI (`dialplan add
// extension`), never written into a file: extensions.conf is generated and extensions_local.conf
// belongs to the end-to-end setup, which reloads it while tests run. Three entries, one per
// system, reached from the generated hotline-inbound context (where SIPp's calls arrive) by a
// number of their own:
//  - the controller's: the generated entry itself (entryContext in src/asterisk/render-config.ts)
//    for the bench flow and the ARI application hotline-bench, so its calls meet exactly what a
//    real caller meets (talk detection set before Stasis, the retry while no controller is there);
//  - the floor: Asterisk answers and plays the same files itself;
//  - the bare ari-client app's: Stasis() and nothing else.
// The CLI takes numeric priorities only, without labels, so the text is numbered here and every
// Goto/GotoIf to a label of the same extension gets its number. One thing cannot be carried over:
// a label the controller itself asks for over ARI. A caller it sheds is sent to the entry's
// `shed` label, which Asterisk cannot find here; the controller then answers and apologises to
// that caller itself (shed-call.ts, route `controller`).

export type SystemName = 'controller' | 'dialplan' | 'bare';
export const SYSTEMS: readonly SystemName[] = ['controller', 'dialplan', 'bare'];

/** Where SIPp's calls arrive (pjsip.conf's `callers` endpoint): the generated entry's context. */
export const ARRIVAL_CONTEXT = 'hotline-inbound';

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

export interface Priority {
  n: number;
  label?: string;
  app: string;
  data: string;
}

export interface Extension {
  context: string;
  exten: string;
  priorities: Priority[];
}

/**
 * Reads dialplan text as extensions.conf writes it (`[context]`, `exten => X,1,App(data)`,
 * ` same => n(label),App(data)`, `;` comment lines) into numbered priorities.
 */
export function parseDialplan(text: string): Extension[] {
  const out: Extension[] = [];
  let context: string | undefined;
  let current: Extension | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const where = `line ${i + 1}`;
    if (line === '' || line.startsWith(';')) return;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      context = header[1];
      current = undefined;
      return;
    }
    const entry = /^(exten|same)\s*=>\s*(.*)$/.exec(line);
    if (!entry) throw new Error(`${where}: not a dialplan line: ${line}`);
    if (!context) throw new Error(`${where}: an extension outside any [context]`);
    let rest = entry[2]!;
    if (entry[1] === 'exten') {
      const comma = rest.indexOf(',');
      if (comma < 0) throw new Error(`${where}: no priority: ${line}`);
      current = { context, exten: rest.slice(0, comma), priorities: [] };
      out.push(current);
      rest = rest.slice(comma + 1);
    } else if (!current) {
      throw new Error(`${where}: "same" before any "exten" in [${context}]`);
    }
    const comma = rest.indexOf(',');
    if (comma < 0) throw new Error(`${where}: no application: ${line}`);
    const priority = /^(\d+|n)(?:\(([A-Za-z0-9_-]+)\))?$/.exec(rest.slice(0, comma).trim());
    if (!priority) throw new Error(`${where}: a priority must be a number or n, with an optional (label): ${line}`);
    const last = current.priorities[current.priorities.length - 1];
    const n = priority[1] === 'n' ? (last ? last.n + 1 : NaN) : Number(priority[1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${where}: "n" needs a priority before it: ${line}`);
    if (last && n <= last.n) throw new Error(`${where}: priority ${n} after ${last.n}`);
    const application = rest.slice(comma + 1);
    const open = application.indexOf('(');
    const close = application.lastIndexOf(')');
    const app = open < 0 ? application.trim() : application.slice(0, open).trim();
    const data = open < 0 ? '' : application.slice(open + 1, close > open ? close : undefined);
    current.priorities.push({ n, ...(priority[2] ? { label: priority[2] } : {}), app, data });
  });
  return out;
}

/**
 * Goto(label) and GotoIf(cond?label[:label]) within the same extension, with the labels' numbers.
 * A target that is neither a number nor a label of the extension is refused: a changed generated
 * entry must stop the bench, not leave callers in a broken dialplan.
 */
export function resolveLabels(extension: Extension): Extension {
  const labels = new Map(extension.priorities.flatMap((p) => (p.label ? [[p.label, p.n] as const] : [])));
  const target = (t: string): string => {
    const name = t.trim();
    if (name === '' || /^\d+$/.test(name)) return t;
    const n = labels.get(name);
    if (n === undefined) throw new Error(`[${extension.context}] ${extension.exten}: no label "${name}" to go to`);
    return String(n);
  };
  const priorities = extension.priorities.map((p) => {
    const app = p.app.toLowerCase();
    if (app === 'goto' && !p.data.includes(',')) return { ...p, data: target(p.data) };
    if (app === 'gotoif') {
      const q = p.data.lastIndexOf('?');
      if (q < 0) return p;
      const targets = p.data.slice(q + 1).split(':').map(target).join(':');
      return { ...p, data: `${p.data.slice(0, q + 1)}${targets}` };
    }
    return p;
  });
  return { ...extension, priorities };
}

/** One CLI argument in double quotes: the CLI takes `\` as the escape inside them. */
export function cliQuote(arg: string): string {
  return `"${arg.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `dialplan add extension` commands for every priority (replacing what is there). */
export function addCommands(text: string): string[] {
  return parseDialplan(text)
    .map(resolveLabels)
    .flatMap((ext) =>
      ext.priorities.map((p) => `dialplan add extension ${cliQuote(`${ext.exten},${p.n},${p.app}(${p.data})`)} into ${ext.context} replace`),
    );
}

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
