// N5/N6: the one place that claims agents. Calls ask it for an agent they want to ring now
// (`claim`), or wait in their group's hold queue (`join`); when the pool says an agent became
// available, the dispatcher gives that agent to the longest-waiting entry of the agent's groups,
// by original request time, claiming the agent in the same tick so that nobody else (a caller
// who just arrived) can take it first. Callbacks (N8) will wait here as entries too.
import type { Logger } from 'pino';
import type { AgentClaim, AgentPool } from './agent-pool.js';

export interface QueueEntry {
  readonly group: string;
  /** The call (or callback) that waits. */
  readonly owner: string;
  /** When the caller first asked for the group: the place in the queue, kept across re-queues. */
  readonly requestedAt: number;
  /** N8: the pending callback whose place the caller took (not dialled while the caller waits). */
  readonly callback?: number;
  /** 1-based place in the group's queue now; 0 once the entry has left or holds an agent. */
  position(): number;
  /**
   * The next agent claimed for this entry. Resolves once the dispatcher has claimed one; the
   * entry is out of the queue from then on (back in with `requeue`).
   */
  next(): Promise<AgentClaim>;
  /**
   * Back into the queue at the place it had: the agent it was given did not take the call. That
   * agent is not given to this entry again while it waits (an agent who lets calls ring out
   * would otherwise hold the head of the queue for ever), unless the agent comes free anew.
   */
  requeue(failedAgent?: string): void;
  /** Out of the queue for good (served, gave up, hung up); idempotent. */
  leave(): void;
}

interface Entry {
  group: string;
  owner: string;
  requestedAt: number;
  callback?: number;
  seq: number;
  waiting: boolean;
  left: boolean;
  /** Agents that did not take this entry's call. */
  skip: Set<string>;
  /** A claim made for the entry before it asked for it with next(). */
  ready?: AgentClaim;
  deliver?: (claim: AgentClaim) => void;
}

export class Dispatcher {
  private readonly queues = new Map<string, Entry[]>();
  private seq = 0;

  constructor(
    private readonly pool: AgentPool,
    private readonly logger: Logger,
  ) {
    pool.on('available', (agentId) => this.offer(agentId));
  }

  /** Who waits where, in order (the queues API and the coming dashboard). */
  snapshot(): Array<{ group: string; waiting: Array<{ owner: string; requestedAt: number; position: number; callback?: number }> }> {
    return [...this.queues.entries()].map(([group]) => ({
      group,
      waiting: this.waitingOf(group).map((e, i) => ({
        owner: e.owner, requestedAt: e.requestedAt, position: i + 1, ...(e.callback === undefined ? {} : { callback: e.callback }),
      })),
    }));
  }

  /**
   * N8: callbacks whose callers wait in a queue in their place, or talk to the agent it gave
   * them: the scheduler does not dial them meanwhile.
   */
  heldCallbacks(): number[] {
    return [...this.queues.values()].flatMap((q) => q.filter((e) => !e.left && e.callback !== undefined).map((e) => e.callback!));
  }

  /** How many entries wait for the group. */
  waiting(group: string): number {
    return this.queues.get(group)?.filter((e) => e.waiting).length ?? 0;
  }

  /**
   * Claims an agent for a call that rings the group's candidates in order. Refused (null) while
   * the group has callers waiting: they were first.
   */
  claim(agentId: string, owner: string, group: string): AgentClaim | null {
    if (this.waiting(group) > 0) return null;
    return this.pool.claim(agentId, owner);
  }

  /**
   * Puts a call in the group's queue; if an agent of the group is free already, it is claimed at
   * once. `callback`: the pending callback whose place (requestedAt) the caller takes (N8).
   */
  join(group: string, owner: string, requestedAt: number, callback?: number): QueueEntry {
    const entry: Entry = {
      group, owner, requestedAt, seq: this.seq++, waiting: true, left: false, skip: new Set(), ...(callback === undefined ? {} : { callback }),
    };
    const queue = this.queues.get(group) ?? [];
    queue.push(entry);
    queue.sort((a, b) => a.requestedAt - b.requestedAt || a.seq - b.seq);
    this.queues.set(group, queue);
    this.serveFree(group);
    return {
      group,
      owner,
      requestedAt,
      ...(callback === undefined ? {} : { callback }),
      position: () => (entry.waiting ? this.waitingOf(group).indexOf(entry) + 1 : 0),
      next: () =>
        new Promise<AgentClaim>((resolve) => {
          if (entry.ready) {
            const claim = entry.ready;
            entry.ready = undefined;
            resolve(claim);
          } else {
            entry.deliver = resolve;
          }
        }),
      requeue: (failedAgent?: string) => {
        if (entry.left || entry.waiting) return;
        if (failedAgent !== undefined) entry.skip.add(failedAgent);
        entry.waiting = true;
        this.serveFree(group);
      },
      leave: () => {
        if (entry.left) return;
        entry.left = true;
        entry.waiting = false;
        entry.deliver = undefined;
        // A claim made for an entry that leaves before taking it goes back to the pool.
        entry.ready?.release({ answered: false });
        entry.ready = undefined;
        const q = this.queues.get(group) ?? [];
        const at = q.indexOf(entry);
        if (at >= 0) q.splice(at, 1);
      },
    };
  }

  private waitingOf(group: string): Entry[] {
    return (this.queues.get(group) ?? []).filter((e) => e.waiting);
  }

  /**
   * An agent became available: the longest-waiting entry of its groups gets it. Coming free anew
   * (after another call, a pause, a login) clears the entries' memory of its missed rings.
   */
  private offer(agentId: string): void {
    const groups = this.pool.groupsOfAgent(agentId);
    for (const g of groups) for (const e of this.waitingOf(g)) e.skip.delete(agentId);
    const head = groups
      .map((g) => this.firstFor(g, agentId))
      .filter((e): e is Entry => e !== undefined)
      .sort((a, b) => a.requestedAt - b.requestedAt || a.seq - b.seq)[0];
    if (head) this.give(head, agentId);
  }

  /** The longest-waiting entry of the group that this agent has not failed. */
  private firstFor(group: string, agentId: string): Entry | undefined {
    return this.waitingOf(group).find((e) => !e.skip.has(agentId));
  }

  /** Free agents of the group (there can be some when a call joins, or is re-queued) serve the queue. */
  private serveFree(group: string): void {
    let candidates;
    try {
      candidates = this.pool.candidates(group);
    } catch {
      return; // a group a reload removed: nobody will come; the caller's max wait ends it
    }
    for (const agent of candidates) {
      const entry = this.firstFor(group, agent.id);
      if (entry) this.give(entry, agent.id);
    }
  }

  private give(entry: Entry, agentId: string): void {
    const claim = this.pool.claim(agentId, entry.owner);
    if (!claim) return;
    entry.waiting = false;
    this.logger.debug({ agentId, owner: entry.owner, group: entry.group }, 'agent given to the longest-waiting call');
    if (entry.deliver) {
      const deliver = entry.deliver;
      entry.deliver = undefined;
      deliver(claim);
    } else {
      entry.ready = claim;
    }
  }
}
