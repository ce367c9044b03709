// The flow as a graph, checked before any call runs it: steps are nodes, every target a verb
// declares is an edge, and each verb says how its steps behave (define-verb's GraphFacts). A
// flow that would trap a caller is refused at load instead of spinning on a live call:
//
// - a loop that can repeat without the caller hearing a prompt or pressing a key (it spins
//   through ARI requests until the interpreter's step cap, in dead air);
// - a loop with no way out: steps that lead only to each other, none of which ends the call;
// - a loop a caller who does nothing (and whom no agent or service takes) goes round forever;
// - a step that plays before an answer step on some path from the start: the caller hears audio
//   on an unanswered line, then is answered (N1: answer first). A flow with no answer step at all
//   on that path is not one of these (early media only, and the unit tests' step fragments);
// - a step no entry reaches (a warning unless the flow says `checks: { unreachable: error }`).
//
// Every check is linear in steps and edges (iterative Tarjan, no recursion): a flow of tens of
// thousands of steps is checked in milliseconds.
import type { FlowShape } from './define-verb.js';
import type { FlowFile, GraphChecks } from './schema.js';
import { definitionOf } from './verbs/index.js';


/** One finding, about a step (its id line is where the issue points). */
export interface GraphFinding {
  severity: 'error' | 'warning';
  step: string;
  message: string;
}

/** Where calls enter the flow: the start step (an inbound call, not yet answered) and others. */
export interface FlowEntry {
  step: string;
  /** How the entry is named in messages, e.g. `start` or `callbacks.entry`. */
  name: string;
  /** The call is answered before the flow begins here (an answered callback). */
  answered: boolean;
}

interface Node {
  id: string;
  verb: string;
  out: number[];
  heard: boolean;
  plays: boolean;
  answers: boolean;
  /** The idle edge: target index and the key that names it, or null when the call ends. */
  idle: { to: number; key: string } | null;
}

/**
 * Checks the flow graph. `order` lists the step ids in file order (messages start a loop at the
 * step listed first); every target must name an existing step (the cross checks ran before).
 */
export function checkFlowGraph(
  flow: Pick<FlowFile, 'steps' | 'agents'>,
  order: readonly string[],
  entries: readonly FlowEntry[],
  checks: GraphChecks,
): GraphFinding[] {
  const nodes = buildNodes(flow, order);
  const findings: GraphFinding[] = [];
  const all = nodes.map((_, i) => i);

  // 1. Loops nobody leaves: a strongly connected set with a cycle, no edge out, no end.
  const sccs = stronglyConnected(nodes, all, () => true);
  const trapped = new Set<number>();
  for (const scc of sccs) {
    if (!isCycle(nodes, scc)) continue;
    const inside = new Set(scc);
    const exits = scc.some((i) => nodes[i]!.idle === null || nodes[i]!.out.some((j) => !inside.has(j)));
    if (exits) continue;
    for (const i of scc) trapped.add(i);
    const members = sortByOrder(scc);
    const loop = cycleThrough(nodes, members[0]!, inside);
    const what =
      members.length === 1
        ? `step '${nodes[members[0]!]!.id}' leads only to itself and does not end the call`
        : `${names(nodes, members)} lead only to each other and none ends the call`;
    findings.push(
      error(nodes[members[0]!]!.id, `a loop with no way out: ${what}, so a caller who gets here never leaves (${path(nodes, loop)})`),
    );
  }

  // 2. Loops that spin unheard: a cycle through steps none of which always plays or listens.
  const silent = new Set<number>();
  const quiet = (i: number) => !nodes[i]!.heard;
  for (const scc of stronglyConnected(nodes, all.filter(quiet), quiet)) {
    if (!isCycle(nodes, scc)) continue;
    for (const i of scc) silent.add(i);
    const members = sortByOrder(scc);
    const loop = cycleThrough(nodes, members[0]!, new Set(scc));
    findings.push(
      error(
        nodes[members[0]!]!.id,
        `a loop that can repeat without the caller hearing a prompt or pressing a key: ${path(nodes, loop)} ` +
          `(${verbsOf(nodes, loop)} can pass without a sound; put a step that always plays or waits for a key, ` +
          'such as play or menu, on the loop)',
      ),
    );
  }

  // 3. Loops of the idle path: each step has at most one idle edge, so its cycles are simple.
  for (const loop of idleCycles(nodes)) {
    // Inside a trap or a silent loop the finding above says it already.
    if (loop.some((i) => trapped.has(i)) || loop.every((i) => silent.has(i))) continue;
    const first = sortByOrder(loop)[0]!;
    const at = loop.indexOf(first);
    const rotated = [...loop.slice(at), ...loop.slice(0, at), first];
    const hops = rotated
      .slice(0, -1)
      .map((i) => `${nodes[i]!.id} (${nodes[i]!.idle!.key})`)
      .concat(nodes[first]!.id)
      .join(' → ');
    findings.push(
      error(
        nodes[first]!.id,
        `a caller who does nothing, and whom no agent or service takes, goes round ${hops} forever; ` +
          'let one of these fallbacks lead to a goodbye or hangup',
      ),
    );
  }

  // 4. Audio before the answer, on some path from an unanswered entry.
  const toAnswer = towardAnswer(nodes);
  for (const entry of entries.filter((e) => !e.answered)) {
    const from = order.indexOf(entry.step);
    if (from < 0) continue;
    for (const { step, via } of firstAudio(nodes, from)) {
      if (toAnswer[step] === -2) continue;
      const after: number[] = [];
      for (let at = toAnswer[step]!; at !== -1; at = toAnswer[at]!) after.push(at);
      const node = nodes[step]!;
      findings.push(
        error(
          node.id,
          `step '${node.id}' (${node.verb}) plays before the call is answered ` +
            `(${entry.name}: ${path(nodes, [...via, ...after])}); answer first (N1)`,
        ),
      );
    }
  }

  // 5. Steps no entry reaches.
  const reached = reachable(
    nodes,
    entries.map((e) => order.indexOf(e.step)).filter((i) => i >= 0),
  );
  const from = entries.map((e) => `${e.name} '${e.step}'`).join(' or ');
  for (const [i, node] of nodes.entries()) {
    if (reached[i]) continue;
    findings.push({ severity: checks.unreachable, step: node.id, message: `step '${node.id}' cannot be reached from ${from}` });
  }
  return findings;

  function sortByOrder(indices: readonly number[]): number[] {
    return [...indices].sort((a, b) => a - b);
  }
}

function error(step: string, message: string): GraphFinding {
  return { severity: 'error', step, message };
}

function buildNodes(flow: Pick<FlowFile, 'steps' | 'agents'>, order: readonly string[]): Node[] {
  const index = new Map(order.map((id, i) => [id, i]));
  const shape: FlowShape = { steps: flow.steps, agents: flow.agents, stepOrder: [...order] };
  return order.map((id) => {
    const step = flow.steps[id]!;
    const definition = definitionOf(step);
    const facts = definition.graph(step, shape);
    const named = definition.targets(step).map((ref) => ref.step);
    const out = [...new Set([...named, ...facts.implicit].map((to) => index.get(to)).filter((i) => i !== undefined))];
    const idleTo = facts.idle === null ? undefined : index.get(facts.idle.step);
    return {
      id,
      verb: step.verb,
      out,
      heard: facts.heard,
      plays: facts.plays,
      answers: facts.answers,
      idle: facts.idle === null || idleTo === undefined ? null : { to: idleTo, key: facts.idle.path.join('.') },
    };
  });
}

/** A strongly connected set that holds a cycle: more than one step, or a step leading to itself. */
function isCycle(nodes: readonly Node[], scc: readonly number[]): boolean {
  return scc.length > 1 || nodes[scc[0]!]!.out.includes(scc[0]!);
}

/**
 * Tarjan's strongly connected components of the subgraph of `within` (edges to steps outside it
 * are ignored), iteratively: a flow of any length cannot overflow the stack.
 */
function stronglyConnected(nodes: readonly Node[], within: readonly number[], keep: (i: number) => boolean): number[][] {
  const index = new Int32Array(nodes.length).fill(-1);
  const low = new Int32Array(nodes.length);
  const onStack = new Uint8Array(nodes.length);
  const stack: number[] = [];
  const result: number[][] = [];
  let counter = 0;
  for (const root of within) {
    if (index[root] !== -1) continue;
    // Each frame: a node and the position of the next edge to follow.
    const frames: Array<[node: number, edge: number]> = [[root, 0]];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const [v, e] = frame;
      const out = nodes[v]!.out;
      if (e < out.length) {
        frame[1] = e + 1;
        const w = out[e]!;
        if (!keep(w)) continue;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          frames.push([w, 0]);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, index[w]!);
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]]!, low[v]!);
      if (low[v] === index[v]) {
        const scc: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          scc.push(w);
        } while (w !== v);
        result.push(scc);
      }
    }
  }
  return result;
}

/** The shortest cycle from `start` back to it inside `inside`: [start, …, start]. */
function cycleThrough(nodes: readonly Node[], start: number, inside: ReadonlySet<number>): number[] {
  const via = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (const w of nodes[v]!.out) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const back = [start];
        for (let at = v; ; at = via.get(at)!) {
          back.push(at);
          if (at === start) break;
        }
        return back.reverse();
      }
      if (via.has(w)) continue;
      via.set(w, v);
      queue.push(w);
    }
  }
  return [start, start];
}

/** The cycles of the idle edges (at most one per step), each as its steps in order. */
function idleCycles(nodes: readonly Node[]): number[][] {
  const state = new Uint8Array(nodes.length); // 0 new, 1 on the current walk, 2 done
  const cycles: number[][] = [];
  for (let root = 0; root < nodes.length; root++) {
    if (state[root] !== 0) continue;
    const walk: number[] = [];
    let v: number | undefined = root;
    while (v !== undefined && state[v] === 0) {
      state[v] = 1;
      walk.push(v);
      v = nodes[v]!.idle?.to;
    }
    if (v !== undefined && state[v] === 1) cycles.push(walk.slice(walk.indexOf(v)));
    for (const w of walk) state[w] = 2;
  }
  return cycles;
}

/**
 * For every step, the next step on a shortest way to an answer step: -1 for an answer step, -2
 * when no answer step can follow. One breadth-first search backwards from every answer step.
 */
function towardAnswer(nodes: readonly Node[]): Int32Array {
  const into: number[][] = nodes.map(() => []);
  for (const [v, node] of nodes.entries()) for (const w of node.out) into[w]!.push(v);
  const next = new Int32Array(nodes.length).fill(-2);
  const queue: number[] = [];
  for (const [v, node] of nodes.entries()) {
    if (!node.answers) continue;
    next[v] = -1;
    queue.push(v);
  }
  for (let head = 0; head < queue.length; head++) {
    const w = queue[head]!;
    for (const v of into[w]!) {
      if (next[v] !== -2) continue;
      next[v] = w;
      queue.push(v);
    }
  }
  return next;
}

/**
 * The steps that can play first, reached from `from` without passing an answer step; each with
 * the path that gets there. The search stops at them: what follows already comes after audio.
 */
function firstAudio(nodes: readonly Node[], from: number): Array<{ step: number; via: number[] }> {
  const parent = new Int32Array(nodes.length).fill(-2);
  parent[from] = -1;
  const queue = [from];
  const found: Array<{ step: number; via: number[] }> = [];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    const node = nodes[v]!;
    if (node.answers) continue;
    if (node.plays) {
      const via: number[] = [];
      for (let at = v; at !== -1; at = parent[at]!) via.push(at);
      found.push({ step: v, via: via.reverse() });
      continue;
    }
    for (const w of node.out) {
      if (parent[w] !== -2) continue;
      parent[w] = v;
      queue.push(w);
    }
  }
  return found.sort((a, b) => a.step - b.step);
}

function reachable(nodes: readonly Node[], roots: readonly number[]): Uint8Array {
  const seen = new Uint8Array(nodes.length);
  const queue = [...roots];
  for (const r of roots) seen[r] = 1;
  for (let head = 0; head < queue.length; head++) {
    for (const w of nodes[queue[head]!]!.out) {
      if (seen[w]) continue;
      seen[w] = 1;
      queue.push(w);
    }
  }
  return seen;
}

function path(nodes: readonly Node[], steps: readonly number[]): string {
  return steps.map((i) => nodes[i]!.id).join(' → ');
}

function names(nodes: readonly Node[], steps: readonly number[]): string {
  const ids = steps.map((i) => `'${nodes[i]!.id}'`);
  if (ids.length > 8) return `steps ${ids.slice(0, 8).join(', ')} and ${ids.length - 8} more`;
  return `steps ${ids.slice(0, -1).join(', ')} and ${ids.at(-1)}`;
}

function verbsOf(nodes: readonly Node[], loop: readonly number[]): string {
  const verbs = [...new Set(loop.map((i) => nodes[i]!.verb))];
  return verbs.length === 1 ? `${verbs[0]}` : `${verbs.slice(0, -1).join(', ')} and ${verbs.at(-1)}`;
}
