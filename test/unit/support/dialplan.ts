// A small interpreter for the generated entry dialplan (src/asterisk/render-config.ts), so unit
// tests check what a caller meets (when Stasis() is tried, when the call is answered, what it
// hears) instead of the text's shape. It knows only what the generator writes: priorities and
// labels, Set, GotoIf/Goto with labels, Wait, Ringing, Answer, Playback, Dial, Hangup, NoOp,
// Stasis, and $[...] expressions of the forms `"a" = "b"`, `a >= b`, `a > b` and `a + b`.
// Anything else throws, so a generator change that this interpreter does not know fails loudly.
// Applications take no time but Wait(); Asterisk's own overhead (about a millisecond per
// priority) is not modelled.

export interface Priority {
  label?: string;
  app: string;
  args: string;
}

/** The priorities of `exten => <number>` in `[context]`, in order. */
export function parseExtension(text: string, context: string, number: string): Priority[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`[${context}]`);
  if (start < 0) throw new Error(`no [${context}]`);
  const out: Priority[] = [];
  let inExten = false;
  for (const raw of lines.slice(start + 1)) {
    if (raw.startsWith('[')) break;
    const first = new RegExp(`^exten => ${number},1,([A-Za-z]+)\\((.*)\\)$`).exec(raw);
    if (first) {
      inExten = true;
      out.push({ app: first[1]!, args: first[2]! });
      continue;
    }
    if (raw.startsWith('exten => ')) inExten = false;
    const next = /^ same => n(?:\(([a-z-]+)\))?,([A-Za-z]+)\((.*)\)$/.exec(raw);
    if (inExten && next) out.push({ ...(next[1] ? { label: next[1] } : {}), app: next[2]!, args: next[3]! });
  }
  if (out.length === 0) throw new Error(`no exten ${number} in [${context}]`);
  return out;
}

/** What Stasis() does at time t: fail (no application), or take the call (the controller has it). */
export type StasisAt = (t: number) => 'FAILED' | 'TAKEN';

export interface RunResult {
  /** Who has the call at the end: the controller (Stasis took it) or the dialplan's fallback. */
  by: 'controller' | 'fallback';
  /** When Stasis() was tried, ms after the call came in. */
  stasisAt: number[];
  ringingAt: number[];
  answeredAt?: number;
  played: string[];
  dialled: string[];
  /** When the dialplan ended (Hangup) or the controller took the call. */
  endedAt: number;
}

const MAX_STEPS = 10_000;

/**
 * Runs the extension from `start` (priority 1, or a label, e.g. where the controller sends a
 * call), with channel variables `vars`, until Hangup or until Stasis takes the call.
 */
export function runExtension(priorities: Priority[], stasis: StasisAt, options: { start?: string; vars?: Record<string, string>; t0?: number } = {}): RunResult {
  const vars = new Map<string, string>(Object.entries(options.vars ?? {}));
  const result: RunResult = { by: 'fallback', stasisAt: [], ringingAt: [], played: [], dialled: [], endedAt: 0 };
  const labelAt = (label: string): number => {
    const i = priorities.findIndex((p) => p.label === label);
    if (i < 0) throw new Error(`no label ${label}`);
    return i;
  };
  let t = options.t0 ?? 0;
  let pc = options.start ? labelAt(options.start) : 0;
  for (let steps = 0; steps < MAX_STEPS; steps++) {
    const p = priorities[pc];
    if (!p) throw new Error('ran off the end of the extension (Asterisk would hang up)');
    const args = substitute(p.args, vars);
    pc++;
    switch (p.app) {
      case 'NoOp':
        break;
      case 'Set': {
        const eq = args.indexOf('=');
        vars.set(args.slice(0, eq), args.slice(eq + 1));
        break;
      }
      case 'GotoIf': {
        const m = /^(.*)\?([a-z-]+)(?::([a-z-]+))?$/.exec(args);
        if (!m) throw new Error(`GotoIf(${args})`);
        const target = truthy(m[1]!) ? m[2] : m[3];
        if (target) pc = labelAt(target);
        break;
      }
      case 'Goto':
        pc = labelAt(args);
        break;
      case 'Wait':
        if (!/^\d+(\.\d+)?$/.test(args)) throw new Error(`Wait(${args})`);
        t += Math.round(Number(args) * 1000);
        break;
      case 'Ringing':
        result.ringingAt.push(t);
        break;
      case 'Answer':
        result.answeredAt ??= t;
        break;
      case 'Playback':
        result.played.push(args);
        break;
      case 'Dial':
        result.dialled.push(args);
        break;
      case 'Stasis':
        result.stasisAt.push(t);
        if (stasis(t) === 'TAKEN') return { ...result, by: 'controller', endedAt: t };
        vars.set('STASISSTATUS', 'FAILED');
        break;
      case 'Hangup':
        return { ...result, endedAt: t };
      default:
        throw new Error(`the test interpreter does not know ${p.app}()`);
    }
  }
  throw new Error(`no end after ${MAX_STEPS} priorities: a loop`);
}

function substitute(text: string, vars: Map<string, string>): string {
  // Variables first, then expressions (Asterisk substitutes inside out).
  const withVars = text.replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => vars.get(name) ?? '');
  return withVars.replace(/\$\[([^\]]*)\]/g, (_, expr: string) => evaluate(expr.trim()));
}

function evaluate(expr: string): string {
  let m = /^"([^"]*)" = "([^"]*)"$/.exec(expr);
  if (m) return m[1] === m[2] ? '1' : '0';
  m = /^(-?\d+) (>=|>|\+) (-?\d+)$/.exec(expr);
  if (!m) throw new Error(`the test interpreter cannot evaluate $[${expr}]`);
  const [a, b] = [Number(m[1]), Number(m[3])];
  if (m[2] === '>=') return a >= b ? '1' : '0';
  if (m[2] === '>') return a > b ? '1' : '0';
  return String(a + b);
}

function truthy(value: string): boolean {
  return value !== '' && value !== '0';
}
