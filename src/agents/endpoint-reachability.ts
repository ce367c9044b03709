// N6: an agent whose phone is not there (not registered, failing its qualify, or not even
// configured) is skipped rather than rung: ringing it would only cost the caller a timeout.
// Asterisk knows this per endpoint; Local and other dialplan-backed endpoints have no such state
// and count as reachable (their dialplan decides).
import type { EndpointState } from '../ari/ari-adapter.js';
import { childSignal, settleAfter, type Clock } from '../clock/clock.js';
import type { Agent } from './agent-pool.js';

const WITH_STATE = new Set(['PJSIP', 'SIP', 'IAX2']);

export type EndpointStateOf = (technology: string, resource: string) => Promise<EndpointState>;

export interface Reachability {
  reachable: Agent[];
  unreachable: Array<{ agent: string; state: EndpointState }>;
}

// A slow status answer must not hold the caller: after this the agent counts as reachable.
const LOOKUP_LIMIT_MS = 500;

/**
 * The Asterisk endpoint a dial string rings: `PJSIP/1001` → ['PJSIP', '1001'];
 * `PJSIP/1001/sip:1001@host` → ['PJSIP', '1001']; `PJSIP/13800138000@trunk` → ['PJSIP', 'trunk']
 * (a number dialled through the trunk endpoint).
 */
export function splitEndpoint(endpoint: string): [string, string] {
  const [technology = '', target = ''] = endpoint.split('/');
  const at = target.lastIndexOf('@');
  return [technology.toUpperCase(), at >= 0 ? target.slice(at + 1) : target];
}

/** The lookup's answer, or 'unknown' after the limit or as soon as the signal aborts. */
async function withinLimit(lookup: Promise<EndpointState>, clock: Clock, signal: AbortSignal): Promise<EndpointState> {
  const limit = childSignal(signal);
  // The race keeps a handler on the lookup: one failing after the limit is not unhandled.
  try {
    return await Promise.race([lookup, settleAfter(clock, LOOKUP_LIMIT_MS, limit.signal).then(() => 'unknown' as const)]);
  } finally {
    limit.abort();
  }
}

/**
 * Splits agents (kept in order) by their endpoint state, asked in parallel. A failed or slow
 * lookup (ARI briefly away) counts as reachable: the dial itself will tell, and a caller is never sent
 * to the fallback because a status query failed. The 500 ms limit runs on `clock`; once `signal`
 * (the call's) aborts, nothing more is waited for and unanswered lookups count as reachable.
 */
export async function checkReachability(
  agents: Agent[],
  stateOf: EndpointStateOf,
  onError: (err: unknown, agent: Agent) => void,
  clock: Clock,
  signal: AbortSignal,
): Promise<Reachability> {
  const states = await Promise.all(
    agents.map(async (agent): Promise<EndpointState> => {
      const [technology, resource] = splitEndpoint(agent.endpoint);
      if (!WITH_STATE.has(technology) || resource === '') return 'unknown';
      try {
        return await withinLimit(stateOf(technology, resource), clock, signal);
      } catch (err) {
        onError(err, agent);
        return 'unknown';
      }
    }),
  );
  const result: Reachability = { reachable: [], unreachable: [] };
  agents.forEach((agent, i) => {
    const state = states[i]!;
    if (state === 'offline' || state === 'missing') result.unreachable.push({ agent: agent.id, state });
    else result.reachable.push(agent);
  });
  return result;
}
