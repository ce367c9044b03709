// Who can take a call right now (N6). Presence (logged in, paused) is the agent's choice and is
// persisted; being on a call and wrap-up are facts of live calls and stay in memory. The pool
// never dials: the transfer verb asks for candidates and reports what happened to each.
import { checkAgentsConfig, type AgentsConfig, type Strategy } from './agent-config.js';
import type { AgentStateStore, Presence } from './agent-state-store.js';

export type AgentState = 'logged-out' | 'available' | 'paused' | 'busy' | 'wrap-up';

export interface Agent {
  id: string;
  endpoint: string;
  workNumber: string;
  name: string;
}

export interface AgentStatus {
  id: string;
  state: AgentState;
  /** When the agent entered this state (ms epoch). */
  since: number;
}

export interface AgentListing extends Agent, AgentStatus {
  groups: string[];
}

export type AgentPoolErrorCode = 'agent-not-found' | 'group-not-found' | 'agent-busy' | 'agent-logged-out';

export class AgentPoolError extends Error {
  override readonly name = 'AgentPoolError';

  constructor(
    readonly code: AgentPoolErrorCode,
    /** The agent or group id the error is about. */
    readonly id: string,
    message: string,
  ) {
    super(message);
  }
}

export interface MarkFreeOptions {
  /**
   * false when the agent's leg never connected (no answer, busy, unreachable): no wrap-up, and
   * the longest-idle clock keeps running, as with Asterisk's `leastrecent`. Default true.
   */
  answered?: boolean;
}

interface GroupEntry {
  strategy: Strategy;
  members: readonly string[];
}

interface Live {
  presence: Presence;
  presenceSince: number;
  busySince: number | null;
  /** The last markFree, answered or not. */
  freedAt: number | null;
  wrapUpUntil: number | null;
  /** The last answered call's end, for longest-idle. */
  lastCallEndedAt: number | null;
}

export class AgentPool {
  private readonly agents = new Map<string, Agent>();
  private readonly groups = new Map<string, GroupEntry>();
  private readonly groupsOf = new Map<string, string[]>();
  private readonly wrapUpMs = new Map<string, number>();
  private readonly live = new Map<string, Live>();
  private readonly rotation = new Map<string, number>();

  constructor(
    config: AgentsConfig,
    private readonly store: AgentStateStore,
    private readonly now: () => number,
  ) {
    this.reconfigure(config);
  }

  /**
   * Takes the agents and groups of a (re)loaded flow. New agents start with their stored
   * presence (logged out if none); agents still configured keep their live state; an agent
   * removed while on a call leaves the groups and the listing at once, and its call ends
   * normally (it can still be marked free).
   */
  reconfigure(config: AgentsConfig): void {
    const problems = checkAgentsConfig(config);
    if (problems.length > 0) throw new Error(`invalid agents config:\n${problems.join('\n')}`);

    this.agents.clear();
    this.groups.clear();
    this.groupsOf.clear();
    this.wrapUpMs.clear();
    for (const [id, a] of Object.entries(config.agents)) {
      this.agents.set(id, { id, endpoint: a.endpoint, workNumber: a.workNumber, name: a.name });
      this.groupsOf.set(id, []);
      this.wrapUpMs.set(id, 0);
    }
    for (const [groupId, g] of Object.entries(config.groups)) {
      this.groups.set(groupId, { strategy: g.strategy, members: [...g.members] });
      for (const member of g.members) {
        this.groupsOf.get(member)?.push(groupId);
        // An agent in several groups gets the longest wrap-up: the time is for the agent's own
        // notes, whichever queue the call came from.
        this.wrapUpMs.set(member, Math.max(this.wrapUpMs.get(member) ?? 0, g.wrapUpMs));
      }
    }

    const started = this.now();
    const added: string[] = [];
    for (const id of this.agents.keys()) {
      if (this.live.has(id)) continue;
      added.push(id);
      this.live.set(id, {
        presence: 'logged-out',
        presenceSince: started,
        busySince: null,
        freedAt: null,
        wrapUpUntil: null,
        lastCallEndedAt: null,
      });
    }
    // Rows of agents removed from the config are ignored, not deleted: re-adding the agent
    // brings back its presence as it was.
    for (const row of this.store.load()) {
      const entry = added.includes(row.agentId) ? this.live.get(row.agentId) : undefined;
      if (entry) Object.assign(entry, { presence: row.state, presenceSince: row.updatedAt });
    }
  }

  agent(agentId: string): Agent {
    const agent = this.agents.get(agentId);
    if (!agent) throw new AgentPoolError('agent-not-found', agentId, `no agent with id ${agentId}`);
    return agent;
  }

  /** Idempotent: an agent already logged in (paused or not) stays as they are. */
  login(agentId: string): AgentStatus {
    if (this.entry(agentId).presence === 'logged-out') this.setPresence(agentId, 'available');
    return this.status(agentId);
  }

  /** Refused while the agent is on a call: the call would lose its agent's state. */
  logout(agentId: string): AgentStatus {
    const entry = this.entry(agentId);
    if (entry.busySince !== null) {
      throw new AgentPoolError('agent-busy', agentId, `agent ${agentId} is on a call; log out after it ends`);
    }
    if (entry.presence !== 'logged-out') {
      this.setPresence(agentId, 'logged-out');
      entry.wrapUpUntil = null;
    }
    return this.status(agentId);
  }

  /** Allowed during a call: the agent gets no new call once this one ends. */
  pause(agentId: string): AgentStatus {
    this.requireLoggedIn(agentId);
    if (this.entry(agentId).presence !== 'paused') this.setPresence(agentId, 'paused');
    return this.status(agentId);
  }

  resume(agentId: string): AgentStatus {
    this.requireLoggedIn(agentId);
    if (this.entry(agentId).presence !== 'available') this.setPresence(agentId, 'available');
    return this.status(agentId);
  }

  /** The agent is on a call, or being rung for one. Unconditional: see claim() for offers. */
  markBusy(agentId: string): void {
    const entry = this.entry(agentId);
    entry.busySince ??= this.now();
  }

  /**
   * Marks the agent busy if, and only if, it is available now. Two calls can hold the same
   * candidate list; the one that claims first gets the agent.
   */
  claim(agentId: string): boolean {
    // A call that started before a reload may still offer an agent the reload removed.
    if (!this.agents.has(agentId) || this.status(agentId).state !== 'available') return false;
    this.markBusy(agentId);
    return true;
  }

  markFree(agentId: string, options: MarkFreeOptions = {}): void {
    const entry = this.entry(agentId, true);
    const at = this.now();
    entry.busySince = null;
    entry.freedAt = at;
    if (options.answered ?? true) {
      entry.lastCallEndedAt = at;
      const wrapUp = this.wrapUpMs.get(agentId) ?? 0;
      entry.wrapUpUntil = wrapUp > 0 ? at + wrapUp : null;
    }
  }

  status(agentId: string): AgentStatus {
    const e = this.entry(agentId);
    const now = this.now();
    const afterCall = Math.max(e.presenceSince, e.freedAt ?? -Infinity);
    let state: AgentState;
    let since: number;
    if (e.presence === 'logged-out') {
      state = 'logged-out';
      since = e.presenceSince;
    } else if (e.busySince !== null) {
      state = 'busy';
      since = e.busySince;
    } else if (e.presence === 'paused') {
      state = 'paused';
      since = afterCall;
    } else if (e.wrapUpUntil !== null && now < e.wrapUpUntil) {
      state = 'wrap-up';
      since = afterCall;
    } else {
      state = 'available';
      since = Math.max(afterCall, e.wrapUpUntil ?? -Infinity);
    }
    return { id: agentId, state, since };
  }

  /** Every agent in config order, with its groups and status. */
  list(): AgentListing[] {
    return [...this.agents.values()].map((agent) => ({
      ...agent,
      groups: [...(this.groupsOf.get(agent.id) ?? [])],
      ...this.status(agent.id),
    }));
  }

  /**
   * The group's available agents in the order to try them. Round-robin moves its starting
   * member on by one at every call of this method, i.e. once per transfer. Whether their
   * phones are there is the desk's question to Asterisk, not the pool's.
   */
  candidates(groupId: string): Agent[] {
    const group = this.groups.get(groupId);
    if (!group) throw new AgentPoolError('group-not-found', groupId, `no agent group with id ${groupId}`);

    let order = [...group.members];
    if (group.strategy === 'round-robin') {
      const start = this.rotation.get(groupId) ?? 0;
      order = [...order.slice(start), ...order.slice(0, start)];
      this.rotation.set(groupId, (start + 1) % group.members.length);
    } else if (group.strategy === 'longest-idle') {
      // Array.prototype.sort is stable: agents never used, or idle equally long, keep member order.
      const ended = (id: string) => this.live.get(id)?.lastCallEndedAt ?? null;
      order.sort((a, b) => {
        const x = ended(a);
        const y = ended(b);
        if (x === y) return 0;
        if (x === null) return -1;
        if (y === null) return 1;
        return x - y;
      });
    }

    return order
      .filter((id) => this.status(id).state === 'available')
      .map((id) => this.agent(id));
  }

  /** A configured agent's live state; `removed` also finds one a reload took out (markFree). */
  private entry(agentId: string, removed = false): Live {
    const entry = removed || this.agents.has(agentId) ? this.live.get(agentId) : undefined;
    if (!entry) throw new AgentPoolError('agent-not-found', agentId, `no agent with id ${agentId}`);
    return entry;
  }

  private requireLoggedIn(agentId: string): void {
    if (this.entry(agentId).presence === 'logged-out') {
      throw new AgentPoolError('agent-logged-out', agentId, `agent ${agentId} is not logged in`);
    }
  }

  // The store is written first: if SQLite fails, the API reports an error and memory still
  // matches what a restart would load.
  private setPresence(agentId: string, presence: Presence): void {
    const at = this.now();
    this.store.save({ agentId, state: presence, updatedAt: at });
    const entry = this.entry(agentId);
    entry.presence = presence;
    entry.presenceSince = at;
  }
}
