// Loads a flow file and reports every problem in it at once, each with file:line:column, so an
// operator fixes a broken dialplan in one edit instead of one restart per typo. Stages, each
// reported on its own: the YAML (within size, depth and alias limits), the schema, the cross
// checks (steps, prompts, groups, services, N1, N5), the flow graph (loops, the answer, reach).
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { isAlias, isMap, isScalar, isSeq, type Alias, type Document, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';
import { agentsConfigIssues } from '../agents/agent-config.js';
import { checkFlowGraph, type FlowEntry } from './flow-graph.js';
import { FLOW_LIMITS, readFlowYaml, tooLarge } from './flow-yaml.js';
import { FlowFile, type Flow } from './schema.js';
import type { ServiceName } from './services.js';
import { definitionOf } from './verbs/index.js';

export interface FlowIssue {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the offending node, e.g. `steps.main-menu.options.9`; empty for the document. */
  path: string;
  message: string;
}

export class FlowError extends Error {
  override readonly name = 'FlowError';

  constructor(
    readonly file: string,
    readonly issues: FlowIssue[],
    /** Warnings of the same stage (e.g. unreachable steps), listed after the errors. */
    readonly warnings: readonly FlowIssue[] = [],
  ) {
    super([...issues.map(formatIssue), ...warnings.map(formatWarning)].join('\n'));
  }
}

export function formatIssue(issue: FlowIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where} ${issue.message}`;
}

function formatWarning(warning: FlowIssue): string {
  return formatIssue({ ...warning, message: `warning: ${warning.message}` });
}

/** Without an onWarning, warnings go to the process's warning channel (stderr). */
function emitFlowWarning(warning: FlowIssue): void {
  process.emitWarning(formatIssue(warning), { type: 'FlowWarning', code: 'FLOW_WARNING' });
}

export interface LoadOptions {
  /**
   * The services the controller wires. When given, a step whose verb needs another one is an
   * issue: the flow fails at load, not in the middle of a call. Omitted: not checked.
   */
  services?: ReadonlySet<ServiceName>;
  /**
   * Receives each warning of a flow that loads (steps no entry reaches, unless the flow makes
   * them errors). Default: process.emitWarning, so they reach stderr.
   */
  onWarning?: (warning: FlowIssue) => void;
}

export function loadFlow(file: string, promptIds: ReadonlySet<string>, options: LoadOptions = {}): Flow {
  return parseFlow(readFlowFile(file), file, promptIds, options);
}

/**
 * The file's text; one larger than the limit is refused (FlowError) before it is read. Exported
 * for loads that keep the text too (the stored flow version is the text that was parsed).
 */
export function readFlowFile(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const { size } = fstatSync(fd);
    if (size > FLOW_LIMITS.bytes) {
      throw new FlowError(file, [{ file, line: 1, column: 1, path: '', message: tooLarge(size, FLOW_LIMITS.bytes) }]);
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Validates a flow's text. Throws only FlowError, whatever the text: a problem the parser or a
 * check did not foresee is reported at the document, not thrown raw at the controller.
 */
export function parseFlow(text: string, source: string, promptIds: ReadonlySet<string>, options: LoadOptions = {}): Flow {
  try {
    return parseChecked(text, source, promptIds, options);
  } catch (e) {
    if (e instanceof FlowError) throw e;
    const message = `the flow could not be checked: ${e instanceof Error ? e.message : String(e)}`;
    throw new FlowError(source, [{ file: source, line: 1, column: 1, path: '', message }]);
  }
}

function parseChecked(text: string, source: string, promptIds: ReadonlySet<string>, options: LoadOptions): Flow {
  const yaml = readFlowYaml(text);
  const at = new Locator(yaml.doc, yaml.lineCounter, source, yaml.resolve);

  // A broken document yields nonsense shapes; schema issues on top would only bury the real error.
  if (yaml.problems.length > 0) throw new FlowError(source, sorted(yaml.problems.map((p) => at.at(p.offset, p.message))));
  const raw = yaml.raw;
  if (raw === null || raw === undefined) {
    throw new FlowError(source, [at.value([], 'the flow file is empty; it needs hotline and steps')]);
  }
  const parsed = FlowFile.safeParse(raw);
  if (!parsed.success) throw new FlowError(source, sorted(schemaIssues(parsed.error.issues, raw, at)));

  const data = parsed.data;
  const stepOrder = stepsInOrder(data, at);
  const start = data.start ?? stepOrder[0];
  const issues = crossCheck(data, promptIds, options.services, at);
  if (issues.length > 0 || start === undefined) throw new FlowError(source, sorted(issues));

  // The graph needs every target to exist: it is checked once the cross checks pass.
  const entries: FlowEntry[] = [{ step: start, name: 'start', answered: false }];
  // An answered callback starts there (N8): the callee picked up before the flow runs.
  if (data.callbacks.entry !== undefined) entries.push({ step: data.callbacks.entry, name: 'callbacks.entry', answered: true });
  // N16: so does a revisit, at its own greeting.
  const revisitEntry = data.callbacks.revisit?.entry;
  if (revisitEntry !== undefined) entries.push({ step: revisitEntry, name: 'callbacks.revisit.entry', answered: true });
  const errors: FlowIssue[] = [];
  const warnings: FlowIssue[] = [];
  for (const finding of checkFlowGraph(data, stepOrder, entries, data.checks)) {
    const issue = at.key(['steps', finding.step], finding.message);
    (finding.severity === 'error' ? errors : warnings).push(issue);
  }
  if (errors.length > 0) throw new FlowError(source, sorted(errors), sorted(warnings));
  for (const warning of sorted(warnings)) (options.onWarning ?? emitFlowWarning)(warning);

  return deepFreeze({ ...data, start, source, stepOrder });
}

type Segment = string | number;

// Object.keys lists integer-like keys ("1") first, so "the order the steps are listed in" comes
// from the document.
function stepsInOrder(flow: FlowFile, at: Locator): string[] {
  const listed = [...new Set(at.keys(['steps']).filter((id) => Object.hasOwn(flow.steps, id)))];
  const seen = new Set(listed);
  const rest = Object.keys(flow.steps).filter((id) => !seen.has(id));
  return [...listed, ...rest];
}

function crossCheck(
  flow: FlowFile,
  promptIds: ReadonlySet<string>,
  services: ReadonlySet<ServiceName> | undefined,
  at: Locator,
): FlowIssue[] {
  const issues: FlowIssue[] = [];
  const hasStep = (id: string) => Object.hasOwn(flow.steps, id);

  if (Object.keys(flow.steps).length === 0) issues.push(at.value(['steps'], 'a flow needs at least one step'));
  if (flow.start !== undefined && !hasStep(flow.start)) {
    issues.push(at.value(['start'], `unknown step '${flow.start}'`));
  }
  issues.push(...callbackIssues(flow, at));

  for (const [id, step] of Object.entries(flow.steps)) {
    const base = ['steps', id];
    // Each verb says where its step names steps, prompts and groups: issues point at that line.
    const verb = definitionOf(step);
    for (const { path, step: target } of verb.targets(step)) {
      if (!hasStep(target)) issues.push(at.value([...base, ...path], `unknown step '${target}'`));
    }
    for (const { path, prompt } of verb.prompts(step)) {
      if (!promptIds.has(prompt)) issues.push(at.value([...base, ...path], `unknown prompt '${prompt}'`));
    }
    for (const need of verb.needs.filter((name) => services && !services.has(name))) {
      const message = `verb '${step.verb}' needs the ${need} service, which this controller does not wire`;
      issues.push(at.value([...base, 'verb'], message));
    }
    for (const { path, group, isKey } of verb.groups(step)) {
      if (!Object.hasOwn(flow.agents.groups, group)) {
        const message = `unknown agent group '${group}' (not in agents.groups)`;
        issues.push(isKey ? at.key([...base, ...path], message) : at.value([...base, ...path], message));
      }
    }
  }
  if (!promptIds.has(flow.unavailable.prompt)) {
    issues.push(at.value(['unavailable', 'prompt'], `unknown prompt '${flow.unavailable.prompt}'`));
  }
  // N11: the refusal a listed caller hears; a typo would only show when it fails to play.
  if (!promptIds.has(flow.blacklist.prompt)) {
    issues.push(at.value(['blacklist', 'prompt'], `unknown prompt '${flow.blacklist.prompt}'`));
  }
  issues.push(...overloadIssues(flow, promptIds, services, at));
  const ringIssue = ringBudget(flow);
  if (ringIssue) issues.push(at.value(['ring', 'answerAfterRings'], ringIssue));
  issues.push(...deadAirIssues(flow, at));
  const amdIssue = answeringMachineIssue(flow);
  if (amdIssue) issues.push(at.value(['callbacks', 'answeringMachine', 'totalAnalysisMs'], amdIssue));
  for (const { path, message } of agentsConfigIssues(flow.agents)) issues.push(at.value(['agents', ...path], message));
  return issues;
}

/**
 * N5, checked before any call: no listening window may be longer than the dead-air budget.
 * Retries do not add up, because every retry plays a prompt before it listens again, so the
 * worst silence of a step is its longest single window.
 */
function deadAirIssues(flow: FlowFile, at: Locator): FlowIssue[] {
  const issues: FlowIssue[] = [];
  for (const [id, step] of Object.entries(flow.steps)) {
    for (const { path, ms } of definitionOf(step).windows(step)) {
      if (ms > flow.deadAirBudgetMs) {
        issues.push(
          at.value(
            ['steps', id, ...path],
            `a listening window of ${ms} ms exceeds the dead-air budget of ${flow.deadAirBudgetMs} ms (N5)`,
          ),
        );
      }
    }
  }
  return issues;
}

/**
 * Issue 9, N5: while AMD listens to a callee who answered, nothing is played (it may be a
 * voicemail), so a person hears up to totalAnalysisMs of dead air: at most the flow's budget.
 * Only where it can happen: AMD on, and callbacks that are dialled.
 */
function answeringMachineIssue(flow: FlowFile): string | undefined {
  const { dial, answeringMachine: amd } = flow.callbacks;
  if (dial === undefined || amd.detect !== 'amd' || amd.totalAnalysisMs <= flow.deadAirBudgetMs) return undefined;
  return (
    `an answering-machine analysis of up to ${amd.totalAnalysisMs} ms is dead air for a callee who answered; ` +
    `it exceeds the dead-air budget of ${flow.deadAirBudgetMs} ms (N5)`
  );
}

/** Issue 12: what a shed caller hears exists; a callback offer has somewhere to go and keeps N5. */
function overloadIssues(flow: FlowFile, promptIds: ReadonlySet<string>, services: ReadonlySet<ServiceName> | undefined, at: Locator): FlowIssue[] {
  const issues: FlowIssue[] = [];
  const { prompt, callback } = flow.overload;
  if (!promptIds.has(prompt)) issues.push(at.value(['overload', 'prompt'], `unknown prompt '${prompt}'`));
  if (callback === false) return issues;
  if (!promptIds.has(callback.prompt)) issues.push(at.value(['overload', 'callback', 'prompt'], `unknown prompt '${callback.prompt}'`));
  if (services && !services.has('callbacks')) {
    issues.push(at.value(['overload', 'callback'], 'a callback offer needs the callbacks service, which this controller does not wire'));
  }
  if (callback.timeoutMs > flow.deadAirBudgetMs) {
    issues.push(
      at.value(['overload', 'callback', 'timeoutMs'], `a listening window of ${callback.timeoutMs} ms exceeds the dead-air budget of ${flow.deadAirBudgetMs} ms (N5)`),
    );
  }
  return issues;
}

/** N1: the schema caps answerAfterRings, but the cap and the 3-ring rule must not drift apart. */
function ringBudget(flow: FlowFile): string | undefined {
  const { onMs, offMs } = flow.ring.cadence;
  const answerAt = flow.ring.answerAfterRings * (onMs + offMs);
  const thirdRingEnds = 2 * (onMs + offMs) + onMs;
  if (answerAt < thirdRingEnds) return undefined;
  return (
    `answering after ${flow.ring.answerAfterRings} rings (${answerAt} ms) is past the end of ` +
    `the 3rd ring (${thirdRingEnds} ms) (N1)`
  );
}

function schemaIssues(issues: readonly z.core.$ZodIssue[], raw: unknown, at: Locator): FlowIssue[] {
  return issues.flatMap((issue): FlowIssue[] => {
    const path = issue.path.map((s) => (typeof s === 'number' ? s : String(s)));
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map((key) => at.key([...path, key], `unknown key '${key}'`));
      case 'invalid_key':
        return [at.key(path, issue.issues.map((i) => i.message).join('; ') || issue.message)];
      case 'invalid_union': {
        const present = isPresent(raw, path);
        if (issue.discriminator !== undefined && 'options' in issue && issue.options) {
          const allowed = issue.options.map(String).join(', ');
          return [
            present
              ? at.value(path, `unknown ${issue.discriminator} '${String(valueAt(raw, path))}'; use one of ${allowed}`)
              : at.value(path, `missing required key '${issue.discriminator}' (one of ${allowed})`),
          ];
        }
        const forms = issue.errors.map((branch) => branch[0]?.message).filter(Boolean);
        return [at.value(path, forms.length ? `matches none of: ${forms.join(' | ')}` : issue.message)];
      }
      case 'invalid_type':
        if (path.length > 0 && !isPresent(raw, path)) {
          return [at.value(path, `missing required key '${String(path.at(-1))}'`)];
        }
        return [at.value(path, issue.message)];
      default:
        return [at.value(path, issue.message)];
    }
  });
}

function valueAt(raw: unknown, path: Segment[]): unknown {
  let node = raw;
  for (const seg of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, seg)) return undefined;
    node = (node as Record<Segment, unknown>)[seg];
  }
  return node;
}

function isPresent(raw: unknown, path: Segment[]): boolean {
  return valueAt(raw, path) !== undefined;
}

/** Maps paths of the parsed data back to offsets in the YAML text. */
class Locator {
  /** Each map's pairs by key text (the first of equal keys), built when a path first passes it. */
  private readonly index = new WeakMap<object, Map<string, { key: unknown; value: unknown }>>();

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly file: string,
    private readonly resolve: (alias: Alias) => Node | undefined,
  ) {}

  at(offset: number, message: string): FlowIssue {
    return this.issue(offset, [], message);
  }

  /** An issue about a node's value; a missing key points at the map that should hold it. */
  value(path: Segment[], message: string): FlowIssue {
    const found = this.walk(path);
    // `key:` with nothing after it has an empty node at the end of the line; the key reads better.
    const empty = isScalar(found.value) && found.value.value === null && found.key !== undefined;
    const node = empty ? found.key : (found.value ?? found.key);
    return this.issue(node?.range?.[0] ?? 0, path, message);
  }

  /** An issue about a map key itself: unknown keys, keys that fail their pattern. */
  key(path: Segment[], message: string): FlowIssue {
    const found = this.walk(path);
    const node = found.complete ? (found.key ?? found.value) : found.value;
    return this.issue(node?.range?.[0] ?? 0, path, message);
  }

  /** The keys of the mapping at `path`, in document order. */
  keys(path: Segment[]): string[] {
    const found = this.walk(path);
    const value = isAlias(found.value) ? this.resolve(found.value) : found.value;
    return found.complete && isMap(value) ? value.items.map((item) => keyText(item.key)) : [];
  }

  private issue(offset: number, path: Segment[], message: string): FlowIssue {
    const { line, col } = this.lines.linePos(Math.max(0, offset));
    // Before the first line break the counter says line 0.
    return { file: this.file, line: Math.max(1, line), column: Math.max(1, col), path: path.join('.'), message };
  }

  private pairs(map: { items: readonly { key: unknown; value: unknown }[] }): Map<string, { key: unknown; value: unknown }> {
    let byKey = this.index.get(map);
    if (!byKey) {
      byKey = new Map();
      for (const pair of map.items) {
        const text = keyText(pair.key);
        if (!byKey.has(text)) byKey.set(text, pair);
      }
      this.index.set(map, byKey);
    }
    return byKey;
  }

  /** The node at `path`, or the deepest one on the way when the rest of the path does not exist. */
  private walk(path: Segment[]): { value?: Ranged; key?: Ranged; complete: boolean } {
    let value: unknown = this.doc.contents;
    let key: unknown;
    for (const seg of path) {
      if (isAlias(value)) value = this.resolve(value);
      let next: { key?: unknown; value: unknown } | undefined;
      if (isMap(value)) {
        const pair = this.pairs(value).get(String(seg));
        if (pair) next = { key: pair.key, value: pair.value };
      } else if (isSeq(value)) {
        const item = value.items[Number(seg)];
        if (item !== undefined) next = { value: item };
      }
      if (!next) return { value: ranged(value), key: ranged(key), complete: false };
      ({ key, value } = next);
    }
    return { value: ranged(value), key: ranged(key), complete: true };
  }
}

type Ranged = { range?: readonly number[] | null } & object;

function ranged(node: unknown): Ranged | undefined {
  return node !== null && typeof node === 'object' ? node : undefined;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** At most this many issues are listed per stage; the last line says how many more there are. */
const MAX_ISSUES = 100;

function sorted(issues: FlowIssue[]): FlowIssue[] {
  issues.sort((a, b) => a.line - b.line || a.column - b.column);
  if (issues.length <= MAX_ISSUES) return issues;
  const next = issues[MAX_ISSUES]!;
  const more = { ...next, path: '', message: `and ${issues.length - MAX_ISSUES} more issues from here on` };
  return [...issues.slice(0, MAX_ISSUES), more];
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** N8: a flow that dials callbacks names the group that calls back and the step the callee starts at. */
function callbackIssues(flow: FlowFile, at: Locator): FlowIssue[] {
  const { dial, group, entry } = flow.callbacks;
  const issues: FlowIssue[] = [];
  if (group !== undefined && !Object.hasOwn(flow.agents.groups, group)) {
    issues.push(at.value(['callbacks', 'group'], `unknown agent group '${group}' (not in agents.groups)`));
  }
  if (entry !== undefined && !Object.hasOwn(flow.steps, entry)) {
    issues.push(at.value(['callbacks', 'entry'], `unknown step '${entry}'`));
  }
  if (dial !== undefined) {
    for (const key of ['group', 'entry'] as const) {
      if (flow.callbacks[key] === undefined) issues.push(at.value(['callbacks'], `callbacks.dial needs callbacks.${key}`));
    }
  }
  // N16: the revisit group is both whose tickets are complaints and who calls back.
  const revisit = flow.callbacks.revisit;
  if (revisit && !Object.hasOwn(flow.agents.groups, revisit.group)) {
    issues.push(at.value(['callbacks', 'revisit', 'group'], `unknown agent group '${revisit.group}' (not in agents.groups)`));
  }
  if (revisit?.entry !== undefined && !Object.hasOwn(flow.steps, revisit.entry)) {
    issues.push(at.value(['callbacks', 'revisit', 'entry'], `unknown step '${revisit.entry}'`));
  }
  return issues;
}
