// Who can take a call right now (N6). Presence (logged in, paused) is the agent's choice and is
// persisted; being on a call and wrap-up are facts of live calls and stay in memory. The pool
// never dials: a call claims an agent before ringing it and releases the claim when the leg or
// the call ends. One pool serves every call (and the queue's dispatcher): `available` says when
// an agent can take work again.
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../clock/clock.js';
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

export interface ReleaseOptions {
  /**
   * false when the agent's leg never connected (no answer, busy, unreachable): no wrap-up, and
   * the longest-idle clock keeps running, as with Asterisk's `leastrecent`. Default true.
   */
  answered?: boolean;
}

/** An agent held for one call (or one offer) from claim() until release(). */
export interface AgentClaim {
  readonly agentId: string;
  /** Who holds it, e.g. the call id: for logs and the dispatcher. */
  readonly owner: string;
  readonly released: boolean;
  /**
   * Frees the agent (into wrap-up after an answered call). Only the first call counts, and a
   * claim frees only itself: never a later claim of the same agent. Works for an agent a reload
   * removed meanwhile.
   */
  release(options?: ReleaseOptions): void;
}

export interface AgentPoolEvents {
  /**
   * The agent can take work now, after being unable to: login, resume, a released claim
   * without wrap-up, the end of wrap-up, or a reload that adds an available agent. Once per
   * transition; status() already says `available`. Listeners run synchronously inside the call
   * that caused it (or the wrap-up timer) and must not throw. Nothing is emitted once the
   * service signal has aborted.
   */
  available: [agentId: string];
}

interface GroupEntry {
  strategy: Strategy;
  members: readonly string[];
}

interface Live {
  presence: Presence;
  presenceSince: number;
  /** The current claim; null when the agent is on no call. */
  claim: Claim | null;
  busySince: number | null;
  /** The last release, answered or not. */
  freedAt: number | null;
  /** The timer of the wrap-up under way: wrap-up ends when it fires, or at logout. */
  wrapUp: TimerHandle | null;
  /** When the last wrap-up ended by its timer. */
  wrapUpEndedAt: number | null;
  /** The last answered call's end, for longest-idle. */
  lastCallEndedAt: number | null;
}

/**
 * A claim that holds no agent: for a conversation taken back after a restart from an agent the
 * pool would not give (paused or logged out), or a callback adopted with no agent reserved any
 * more. Releasing it frees nothing.
 */
export function noClaim(agentId: string, owner: string): AgentClaim {
  let released = false;
  return {
    agentId,
    owner,
    get released() {
      return released;
    },
    release() {
      released = true;
    },
  };
}

class Claim implements AgentClaim {
  #released = false;
  readonly #free: (claim: Claim, options: ReleaseOptions) => void;

  constructor(
    readonly agentId: string,
    readonly owner: string,
    free: (claim: Claim, options: ReleaseOptions) => void,
  ) {
    this.#free = free;
  }

  get released(): boolean {
    return this.#released;
  }

  release(options: ReleaseOptions = {}): void {
    if (this.#released) return;
    this.#released = true;
    this.#free(this, options);
  }
}

export class AgentPool extends EventEmitter<AgentPoolEvents> {
  private readonly agents = new Map<string, Agent>();
  private readonly groups = new Map<string, GroupEntry>();
  private readonly groupsOf = new Map<string, string[]>();
  private readonly wrapUpMs = new Map<string, number>();
  private readonly live = new Map<string, Live>();
  /** Round-robin groups: the member claimed last; the next call starts after it (rrmemory). */
  private readonly lastClaimed = new Map<string, string>();

  constructor(
    config: AgentsConfig,
    private readonly store: AgentStateStore,
    private readonly clock: Clock,
    /** The service's: aborted when the controller stops, which cancels wrap-up timers. */
    private readonly signal: AbortSignal,
  ) {
    super();
    this.reconfigure(config);
  }

  /**
   * Takes the agents and groups of a (re)loaded flow. New agents start with their stored
   * presence (logged out if none); agents still configured keep their live state; an agent
   * removed while on a call leaves the groups and the listing at once, and its call ends
   * normally (its claim can still be released). Agents the reload adds and that are available
   * are announced with `available`.
   */
  reconfigure(config: AgentsConfig): void {
    const problems = checkAgentsConfig(config);
    if (problems.length > 0) throw new Error(`invalid agents config:\n${problems.join('\n')}`);

    const before = new Set(this.agents.keys());
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

    const started = this.clock.now();
    const added: string[] = [];
    for (const id of this.agents.keys()) {
      if (this.live.has(id)) continue;
      added.push(id);
      this.live.set(id, {
        presence: 'logged-out',
        presenceSince: started,
        claim: null,
        busySince: null,
        freedAt: null,
        wrapUp: null,
        wrapUpEndedAt: null,
        lastCallEndedAt: null,
      });
    }
    // Rows of agents removed from the config are ignored, not deleted: re-adding the agent
    // brings back its presence as it was.
    for (const row of this.store.load()) {
      const entry = added.includes(row.agentId) ? this.live.get(row.agentId) : undefined;
      if (entry) Object.assign(entry, { presence: row.state, presenceSince: row.updatedAt });
    }

    for (const id of this.agents.keys()) {
      if (!before.has(id) && this.isAvailable(id)) this.announce(id);
    }
  }

  agent(agentId: string): Agent {
    const agent = this.agents.get(agentId);
    if (!agent) throw new AgentPoolError('agent-not-found', agentId, `no agent with id ${agentId}`);
    return agent;
  }

  /** Idempotent: an agent already logged in (paused or not) stays as they are. */
  login(agentId: string): AgentStatus {
    this.transition(agentId, () => {
      if (this.entry(agentId).presence === 'logged-out') this.setPresence(agentId, 'available');
    });
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
      this.cancelWrapUp(entry);
    }
    return this.status(agentId);
  }

  /** Allowed during a call: the agent gets no new call once this one ends. */
  pause(agentId: string): AgentStatus {
    this.requireLoggedIn(agentId);
    if (this.entry(agentId).presence !== 'paused') this.setPresence(agentId, 'paused');
    return this.status(agentId);
  }

  /** Available again, or at the end of the call or wrap-up the agent is in. */
  resume(agentId: string): AgentStatus {
    this.requireLoggedIn(agentId);
    this.transition(agentId, () => {
      if (this.entry(agentId).presence !== 'available') this.setPresence(agentId, 'available');
    });
    return this.status(agentId);
  }

  /**
   * Takes the agent for `owner` if, and only if, it is available now; null otherwise (also for
   * an agent that is not configured: a call that started before a reload may still offer one
   * the reload removed). Several calls can hold the same candidate list; the first claim gets
   * the agent. In every round-robin group of the agent, the next call starts after it.
   */
  claim(agentId: string, owner: string): AgentClaim | null {
    if (!this.isAvailable(agentId)) return null;
    const entry = this.entry(agentId);
    const claim = new Claim(agentId, owner, (c, options) => this.freeClaim(c, options));
    entry.claim = claim;
    entry.busySince = this.clock.now();
    // Not reachable while wrap-up counts as unavailable; kept so no wrap-up end can follow a claim.
    this.cancelWrapUp(entry);
    for (const groupId of this.groupsOf.get(agentId) ?? []) {
      if (this.groups.get(groupId)?.strategy === 'round-robin') this.lastClaimed.set(groupId, agentId);
    }
    return claim;
  }

  status(agentId: string): AgentStatus {
    const e = this.entry(agentId);
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
    } else if (e.wrapUp !== null) {
      state = 'wrap-up';
      since = afterCall;
    } else {
      state = 'available';
      since = Math.max(afterCall, e.wrapUpEndedAt ?? -Infinity);
    }
    return { id: agentId, state, since };
  }

  /** The groups an agent belongs to (empty for an agent the flow does not have). */
  groupsOfAgent(agentId: string): readonly string[] {
    return this.groupsOf.get(agentId) ?? [];
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
   * The group's available agents in the order to try them; a pure read, as often as wanted.
   * Round-robin starts after the member claimed last (only claim() moves it). Whether their
   * phones are there is the desk's question to Asterisk, not the pool's.
   */
  candidates(groupId: string): Agent[] {
    const group = this.groups.get(groupId);
    if (!group) throw new AgentPoolError('group-not-found', groupId, `no agent group with id ${groupId}`);

    let order = [...group.members];
    if (group.strategy === 'round-robin') {
      // A member a reload removed starts the group from its first member again.
      const last = order.indexOf(this.lastClaimed.get(groupId) ?? '');
      const start = last < 0 ? 0 : (last + 1) % order.length;
      order = [...order.slice(start), ...order.slice(0, start)];
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

    return order.filter((id) => this.isAvailable(id)).map((id) => this.agent(id));
  }

  private freeClaim(claim: Claim, options: ReleaseOptions): void {
    // A removed agent's entry stays: its call still ends here.
    const entry = this.live.get(claim.agentId);
    if (entry?.claim !== claim) return;
    this.transition(claim.agentId, () => {
      const at = this.clock.now();
      entry.claim = null;
      entry.busySince = null;
      entry.freedAt = at;
      if (options.answered ?? true) {
        entry.lastCallEndedAt = at;
        this.startWrapUp(claim.agentId, entry);
      }
    });
  }

  private startWrapUp(agentId: string, entry: Live): void {
    this.cancelWrapUp(entry);
    const ms = this.wrapUpMs.get(agentId) ?? 0;
    if (ms <= 0) return;
    const timer = this.clock.timer(ms, this.signal, () => {
      if (entry.wrapUp !== timer) return;
      this.transition(agentId, () => {
        entry.wrapUp = null;
        entry.wrapUpEndedAt = this.clock.now();
      });
    });
    entry.wrapUp = timer;
  }

  private cancelWrapUp(entry: Live): void {
    entry.wrapUp?.cancel();
    entry.wrapUp = null;
  }

  /** Applies a change and announces the agent if it made it available. */
  private transition(agentId: string, change: () => void): void {
    const was = this.isAvailable(agentId);
    change();
    if (!was && this.isAvailable(agentId)) this.announce(agentId);
  }

  private announce(agentId: string): void {
    if (!this.signal.aborted) this.emit('available', agentId);
  }

  /** Configured and available now. */
  private isAvailable(agentId: string): boolean {
    return this.agents.has(agentId) && this.status(agentId).state === 'available';
  }

  /** A configured agent's live state. */
  private entry(agentId: string): Live {
    const entry = this.agents.has(agentId) ? this.live.get(agentId) : undefined;
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
    const at = this.clock.now();
    this.store.save({ agentId, state: presence, updatedAt: at });
    const entry = this.entry(agentId);
    entry.presence = presence;
    entry.presenceSince = at;
  }
}
