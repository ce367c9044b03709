// N6: an agent whose phone is not there (not registered, failing its qualify, or not even
// configured) is skipped rather than rung: ringing it would only cost the caller a timeout.
// Asterisk knows this per endpoint; Local and other dialplan-backed endpoints have no such state
// and count as reachable (their dialplan decides).
import type { EndpointState } from '../ari/ari-adapter.js';
import type { Agent } from './agent-pool.js';

const WITH_STATE = new Set(['PJSIP', 'SIP', 'IAX2']);

export type EndpointStateOf = (technology: string, resource: string) => Promise<EndpointState>;

export interface Reachability {
  reachable: Agent[];
  unreachable: Array<{ agent: string; state: EndpointState }>;
}

/** `PJSIP/1001` → ['PJSIP', '1001']; `PJSIP/1001/sip:1001@host` → ['PJSIP', '1001']. */
export function splitEndpoint(endpoint: string): [string, string] {
  const [technology = '', resource = ''] = endpoint.split('/');
  return [technology.toUpperCase(), resource];
}

/**
 * Splits agents (kept in order) by their endpoint state, asked in parallel. A failed lookup
 * (ARI briefly away) counts as reachable: the dial itself will tell, and a caller is never sent
 * to the fallback because a status query failed.
 */
export async function checkReachability(
  agents: Agent[],
  stateOf: EndpointStateOf,
  onError: (err: unknown, agent: Agent) => void,
): Promise<Reachability> {
  const states = await Promise.all(
    agents.map(async (agent): Promise<EndpointState> => {
      const [technology, resource] = splitEndpoint(agent.endpoint);
      if (!WITH_STATE.has(technology) || resource === '') return 'unknown';
      try {
        return await stateOf(technology, resource);
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
