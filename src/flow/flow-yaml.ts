// Reads a flow file's YAML within bounds. A reload runs on the event loop that serves every live
// call, and the yaml library has costs a hostile or broken file can blow up: its composer
// recurses (a few thousand nested brackets overflow the stack, and an overflow inside V8's
// regular expression compiler aborts the process), its duplicate-key check is quadratic in the
// keys of a map, and resolving an alias outside toJS walks the whole document. So:
//
// - the size is checked first (FLOW_LIMITS.bytes);
// - the text goes through yaml's CST parser (iterative, linear), one lexeme at a time: a file
//   nested too deep stops at the first collection past the limit; nesting depth and the number of
//   aliases are counted on the CST before anything recursive runs;
// - the CST is composed with yaml's duplicate-key check off; one iterative walk of the document
//   then finds duplicate keys, resolves each alias once (unknown, self-containing) and counts the
//   nodes aliases expand to (alias and merge-key bombs), each at the offending node;
// - whatever the parser throws becomes a problem at an offset, never an exception.
import { Buffer } from 'node:buffer';
import {
  CST,
  Composer,
  Document,
  Lexer,
  LineCounter,
  Parser,
  YAMLParseError,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Alias,
  type Node,
} from 'yaml';

/** The marker the lexer puts before a scalar's text. */
const { SCALAR } = CST;

export const FLOW_LIMITS = Object.freeze({
  /**
   * The file's size in bytes. The shipped flow is about 9 KB; 256 KB holds some 4,000 steps. The
   * parse is linear but slow per lexeme (about 1 s per MB of valid flow on a busy 2-core host,
   * up to 2.5 s per MB of dense garbage), and it runs on the event loop of every live call.
   */
  bytes: 256 * 1024,
  /** Nested collections (the shipped flow nests 4 deep). */
  depth: 64,
  /** Aliases (`*name`, `<<: *name`): enough to share retry blocks and holiday lists. */
  aliases: 100,
  /** Nodes the aliases add when expanded, all together. */
  aliasNodes: 10_000,
});
export type FlowLimits = typeof FLOW_LIMITS;

export interface YamlProblem {
  /** Offset in the text (0: the document as a whole). */
  offset: number;
  message: string;
}

export interface FlowYaml {
  /** The composed document; empty when reading stopped before composing. */
  doc: Document;
  lineCounter: LineCounter;
  /** Syntax and limit problems: when there are any, `raw` is undefined. */
  problems: YamlProblem[];
  /** The node an alias stands for (the last anchor of its name before it). */
  resolve: (alias: Alias) => Node | undefined;
  /** The document as plain data. */
  raw: unknown;
}

export function readFlowYaml(text: string, limits: FlowLimits = FLOW_LIMITS): FlowYaml {
  const lineCounter = new LineCounter();
  const targets = new Map<Alias, Node>();
  const result = (doc: Document, problems: YamlProblem[], raw?: unknown): FlowYaml => ({
    doc,
    lineCounter,
    problems,
    resolve: (alias) => targets.get(alias),
    raw,
  });

  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.bytes) {
    lineCounter.addNewLine(0);
    return result(new Document(), [{ offset: 0, message: tooLarge(bytes, limits.bytes) }]);
  }

  // yaml makes an Error for every problem it finds: a file of a million commas is a million
  // stack traces. The parse is synchronous, so the limit is back before anything else runs.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    let tokens: CST.Token[];
    try {
      const parsed = parseTokens(text, lineCounter, limits);
      if (parsed.problem) return result(new Document(), [parsed.problem]);
      tokens = parsed.tokens;
    } catch (e) {
      return result(new Document(), [{ offset: 0, message: `the YAML parser failed: ${messageOf(e)}` }]);
    }
    const scanned = scanTokens(tokens, limits);
    if (scanned.problem) return result(new Document(), [scanned.problem]);

    let doc: Document;
    try {
      doc = compose(tokens, text.length);
    } catch (e) {
      return result(new Document(), [{ offset: 0, message: `the YAML parser failed: ${messageOf(e)}` }]);
    }
    const problems: YamlProblem[] = [];
    for (const e of doc.errors) problems.push({ offset: e.pos[0], message: e.message });
    for (const e of doc.warnings) problems.push({ offset: e.pos[0], message: e.message });
    for (const p of inspect(doc, targets, limits, scanned.aliases > 0)) problems.push(p);
    if (problems.length > 0) return result(doc, firstProblems(problems));

    try {
      // Alias expansion is bounded above; yaml's own cap would throw without saying where.
      return result(doc, problems, doc.toJS({ maxAliasCount: -1 }));
    } catch (e) {
      return result(doc, [{ offset: 0, message: messageOf(e) }]);
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/** At most this many problems are listed: the rest of a file of garbage says nothing new. */
const MAX_LISTED = 50;

function firstProblems(problems: YamlProblem[]): YamlProblem[] {
  if (problems.length <= MAX_LISTED) return problems;
  const listed = problems.sort((a, b) => a.offset - b.offset).slice(0, MAX_LISTED);
  const next = problems[MAX_LISTED]!;
  listed.push({ offset: next.offset, message: `and ${problems.length - MAX_LISTED} more problems from here on` });
  return listed;
}

export function tooLarge(bytes: number, limit: number): string {
  return `the flow file is ${bytes} bytes; a flow file may have at most ${limit} bytes (${Math.round(limit / 1024)} KB)`;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * yaml's CST parser, one lexeme at a time: the parser keeps the collections it is inside on a
 * stack, so a file of nested brackets stops at the first one too deep, and a file of aliases at
 * the first one over the count, instead of after the whole file (the parse costs microseconds
 * per lexeme).
 */
function parseTokens(text: string, lineCounter: LineCounter, limits: FlowLimits): { tokens: CST.Token[]; problem?: YamlProblem } {
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0); // parse() would; next() does not
  const tokens: CST.Token[] = [];
  // The stack holds the document and at most a token or two besides the open collections.
  const guard = limits.depth + 2;
  let aliases = 0;
  let previous = '';
  for (const lexeme of new Lexer().lex(text)) {
    // An alias is a lexeme of its own; a scalar's text follows the scalar marker (quoted ones
    // start with their quote).
    if (lexeme[0] === '*' && previous !== SCALAR && ++aliases > limits.aliases) {
      return { tokens, problem: aliasProblem(parser.offset, lexeme, limits) };
    }
    previous = lexeme;
    for (const token of parser.next(lexeme)) tokens.push(token);
    if (parser.stack.length > guard) {
      const problem = tooDeep(parser.stack, limits);
      if (problem) return { tokens, problem };
    }
  }
  for (const token of parser.end()) tokens.push(token);
  return { tokens };
}

function tooDeep(stack: readonly CST.Token[], limits: FlowLimits): YamlProblem | undefined {
  let depth = 0;
  for (const token of stack) {
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    depth += 1;
    if (depth > limits.depth) return deepProblem(token.offset, limits);
  }
  return undefined;
}

function aliasProblem(offset: number, alias: string, limits: FlowLimits): YamlProblem {
  return { offset, message: `more than ${limits.aliases} aliases (${alias} is one too many)` };
}

function deepProblem(offset: number, limits: FlowLimits): YamlProblem {
  return { offset, message: `collections nested more than ${limits.depth} deep; a flow needs a handful of levels` };
}

/** yaml's parseDocument, from tokens already parsed, with the quadratic duplicate-key check off. */
function compose(tokens: readonly CST.Token[], length: number): Document {
  // merge: operators share retry blocks with `<<: *retry`; YAML 1.2 leaves merge keys off by default.
  // logLevel error: yaml would print its own warnings (a collection as a map key) to stderr;
  // the schema reports such a key where it is.
  const composer = new Composer({ merge: true, uniqueKeys: false, prettyErrors: false, logLevel: 'error' });
  let doc: Document | undefined;
  for (const next of composer.compose(tokens, true, length)) {
    if (!doc) {
      doc = next;
    } else {
      const at = next.range[0];
      doc.errors.push(new YAMLParseError([at, at + 1], 'MULTIPLE_DOCS', 'a flow file holds one YAML document (a second one starts here)'));
      break;
    }
  }
  return doc ?? new Document();
}

/**
 * Depth and aliases on the CST, iteratively: the first collection nested deeper than the limit,
 * or the first alias over the count, stops the read.
 */
function scanTokens(tokens: readonly CST.Token[], limits: FlowLimits): { problem?: YamlProblem; aliases: number } {
  let aliases = 0;
  const stack: Array<[token: CST.Token, depth: number]> = tokens.map((t) => [t, 0]);
  stack.reverse();
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    const children: Array<CST.Token | null | undefined> = [];
    let inner = depth;
    switch (token.type) {
      case 'document':
        children.push(token.value);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        inner = depth + 1;
        if (inner > limits.depth) return { problem: deepProblem(token.offset, limits), aliases };
        for (const item of token.items) children.push(item.key, item.value);
        break;
      case 'alias':
        aliases += 1;
        if (aliases > limits.aliases) return { problem: aliasProblem(token.offset, token.source, limits), aliases };
        break;
      case 'block-scalar':
        for (const prop of token.props) children.push(prop);
        break;
      default:
        break;
    }
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child) stack.push([child, inner]);
    }
  }
  return { aliases };
}

/**
 * One walk of the document in order: duplicate keys, aliases resolved to their anchors (unknown
 * ones, ones inside the node they name), and the nodes aliases expand to.
 */
function inspect(doc: Document, targets: Map<Alias, Node>, limits: FlowLimits, hasAliases: boolean): YamlProblem[] {
  const problems: YamlProblem[] = [];
  const anchors = new Map<string, Node>();
  const size = new Map<Node, number>();
  const open = new Set<Node>();
  let added = 0;
  let over = false;

  type Frame = { node: Node; exit: boolean };
  const root = doc.contents;
  const stack: Frame[] = root ? [{ node: root, exit: false }] : [];
  while (stack.length > 0) {
    const { node, exit } = stack.pop()!;
    const kids = childrenOf(node);
    if (exit) {
      // Sizes only matter for what an alias can name.
      let total = 1;
      for (const kid of kids) total += size.get(kid) ?? 1;
      size.set(node, total);
      open.delete(node);
      continue;
    }
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      const at = node.range?.[0] ?? 0;
      if (!target) {
        problems.push({ offset: at, message: `unknown alias *${node.source}` });
      } else if (open.has(target)) {
        problems.push({ offset: at, message: `alias *${node.source} stands for a node that contains it` });
      } else {
        targets.set(node, target);
        const expands = size.get(target) ?? 1;
        size.set(node, expands);
        added += expands - 1;
        if (added > limits.aliasNodes && !over) {
          over = true;
          problems.push({
            offset: at,
            message: `aliases expand the flow by more than ${limits.aliasNodes} nodes (*${node.source} stands for ${expands})`,
          });
        }
      }
      continue;
    }
    if (node.anchor) anchors.set(node.anchor, node);
    if (isMap(node)) duplicateKeys(node.items, problems);
    if (hasAliases && kids.length > 0) {
      open.add(node);
      stack.push({ node, exit: true });
    }
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ node: kids[i]!, exit: false });
  }
  return problems;
}

function childrenOf(node: Node): Node[] {
  if (!isMap(node) && !isSeq(node)) return [];
  const kids: Node[] = [];
  for (const item of node.items as unknown[]) {
    if (isPair(item)) {
      if (isNodeLike(item.key)) kids.push(item.key);
      if (isNodeLike(item.value)) kids.push(item.value);
    } else if (isNodeLike(item)) {
      kids.push(item);
    }
  }
  return kids;
}

function isNodeLike(value: unknown): value is Node {
  return isScalar(value) || isMap(value) || isSeq(value) || isAlias(value);
}

/** yaml's uniqueKeys rule (equal scalar values; merge keys never clash), in linear time. */
function duplicateKeys(pairs: readonly unknown[], problems: YamlProblem[]): void {
  const seen = new Set<unknown>();
  for (const pair of pairs) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const value = pair.key.value;
    if (typeof value === 'symbol') continue;
    if (seen.has(value)) problems.push({ offset: pair.key.range?.[0] ?? 0, message: 'Map keys must be unique' });
    else seen.add(value);
  }
}
