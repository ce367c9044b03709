// N6: 「请您拨入后先选择X,再选择Y。」 The keys come from the flow graph, so they stay right when an
// operator reorders a menu.
import type { KeyEdge } from './define-verb.js';
import type { Flow } from './schema.js';
import { definitionOf } from './verbs/index.js';

// Each verb declares the edges a caller can choose (keyEdges): a menu's options with their keys,
// other verbs' onward steps without one. Edges a caller takes by failing to act (a menu's
// invalid/noInput fallbacks, a silent line's onSilence) or by having called before (repeat-caller
// routes) are left out: "press X" cannot lead there.
function edgesOf(flow: Flow, stepId: string): KeyEdge[] {
  const step = flow.steps[stepId];
  return step ? definitionOf(step).keyEdges(step) : [];
}

/**
 * The fewest menu keys that lead from the flow's start to `targetStepId`: [] when no key is
 * needed, null when no sequence of keys reaches it (or there is no such step). Steps on the way
 * that need no key (plays, greetings, other verbs' fallbacks) cost nothing.
 */
export function keyPathTo(flow: Flow, targetStepId: string): string[] | null {
  if (!Object.hasOwn(flow.steps, targetStepId) || !Object.hasOwn(flow.steps, flow.start)) return null;

  // 0-1 BFS: keyless edges go to the front of the deque, key edges to the back, so steps leave
  // the deque in order of key count and the first time a step leaves, its count is final.
  const keys = new Map<string, number>([[flow.start, 0]]);
  const via = new Map<string, { from: string; key: string | null }>();
  const done = new Set<string>();
  const deque: string[] = [flow.start];

  while (deque.length > 0) {
    const at = deque.shift() as string;
    if (done.has(at)) continue;
    done.add(at);
    if (at === targetStepId) break;
    const cost = keys.get(at) ?? 0;
    for (const { to, key } of edgesOf(flow, at)) {
      const next = cost + (key === null ? 0 : 1);
      if (done.has(to) || next >= (keys.get(to) ?? Infinity)) continue;
      keys.set(to, next);
      via.set(to, { from: at, key });
      if (key === null) deque.unshift(to);
      else deque.push(to);
    }
  }

  if (!done.has(targetStepId)) return null;
  const path: string[] = [];
  for (let step = targetStepId; step !== flow.start; ) {
    const edge = via.get(step);
    if (!edge) break;
    if (edge.key !== null) path.push(edge.key);
    step = edge.from;
  }
  return path.reverse();
}
