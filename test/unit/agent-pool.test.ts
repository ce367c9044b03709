// The pool on a VirtualClock (wrap-up ends by a clock timer) and a real in-memory SQLite store.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentsConfig, type AgentsConfigInput } from '../../src/agents/agent-config.js';
import { AgentPool, AgentPoolError, type Agent, type AgentClaim } from '../../src/agents/agent-pool.js';
import { createAgentStateStore } from '../../src/agents/agent-state-store.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { openDatabase, type Database } from '../../src/store/database.js';

const agent = (n: number) => ({ endpoint: `PJSIP/100${n}`, workNumber: `100${n}`, name: `Agent ${n}` });

const CONFIG: AgentsConfigInput = {
  agents: { a1: agent(1), a2: agent(2), a3: agent(3) },
  groups: {
    ordered: { name: 'Ordered', members: ['a1', 'a2', 'a3'], wrapUpMs: 10_000 },
    rr: { name: 'RR', strategy: 'round-robin', members: ['a1', 'a2', 'a3'] },
    idle: { name: 'Idle', strategy: 'longest-idle', members: ['a1', 'a2', 'a3'], wrapUpMs: 30_000 },
    solo: { name: 'Solo', members: ['a3'] },
  },
};

let db: Database;
let clock: VirtualClock;
let service: AbortController;
const T0 = 1_000;
const ids = (agents: Agent[]) => agents.map((a) => a.id);

/** Moves the clock to an absolute time (ms), firing the timers due on the way. */
const at = (ms: number) => clock.advance(ms - clock.now());

function pool(config: AgentsConfigInput = CONFIG): AgentPool {
  return new AgentPool(AgentsConfig.parse(config), createAgentStateStore(db), clock, service.signal);
}

/** claim() that must succeed. */
function take(p: AgentPool, agentId: string, owner = 'call-1'): AgentClaim {
  const claim = p.claim(agentId, owner);
  if (!claim) throw new Error(`${agentId} could not be claimed (${p.status(agentId).state})`);
  return claim;
}

/** Records every `available` with the time and the state listeners see. */
function watch(p: AgentPool): string[] {
  const seen: string[] = [];
  p.on('available', (agentId) => seen.push(`${agentId}@${clock.now()}:${p.status(agentId).state}`));
  return seen;
}

function loggedIn(...agentIds: string[]): AgentPool {
  const p = pool();
  for (const id of agentIds) p.login(id);
  return p;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof AgentPoolError) return err.code;
    throw err;
  }
  return undefined;
}

beforeEach(() => {
  db = openDatabase(':memory:');
  clock = new VirtualClock(T0);
  service = new AbortController();
});

afterEach(() => {
  service.abort();
  db.close();
});

describe('presence', () => {
  it('starts logged out; login makes an agent available from that moment', async () => {
    const p = pool();
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'logged-out', since: 1_000 });
    await at(5_000);
    expect(p.login('a1')).toEqual({ id: 'a1', state: 'available', since: 5_000 });
  });

  it('login, pause and resume are idempotent: a repeat keeps the original since', async () => {
    const p = loggedIn('a1');
    await at(9_000);
    expect(p.login('a1').since).toBe(1_000);
    p.pause('a1');
    await at(12_000);
    expect(p.pause('a1')).toEqual({ id: 'a1', state: 'paused', since: 9_000 });
    expect(p.resume('a1')).toEqual({ id: 'a1', state: 'available', since: 12_000 });
  });

  it('login of a paused agent leaves it paused', () => {
    const p = loggedIn('a1');
    p.pause('a1');
    expect(p.login('a1').state).toBe('paused');
  });

  it('refuses pause and resume of a logged-out agent', () => {
    const p = pool();
    expect(codeOf(() => p.pause('a1'))).toBe('agent-logged-out');
    expect(codeOf(() => p.resume('a1'))).toBe('agent-logged-out');
  });

  it('refuses logout during a call, allows it in wrap-up', () => {
    const p = loggedIn('a1');
    const claim = take(p, 'a1');
    expect(codeOf(() => p.logout('a1'))).toBe('agent-busy');
    claim.release();
    expect(p.status('a1').state).toBe('wrap-up');
    expect(p.logout('a1').state).toBe('logged-out');
    p.login('a1');
    expect(p.status('a1').state).toBe('available');
  });

  it.each(['login', 'logout', 'pause', 'resume', 'status', 'agent'] as const)(
    '%s of an unknown agent is agent-not-found',
    (method) => {
      const p = pool();
      expect(codeOf(() => p[method]('ghost'))).toBe('agent-not-found');
    },
  );

  it('claim of an unknown agent is refused, not an error: a call may offer one a reload removed', () => {
    expect(pool().claim('ghost', 'call-1')).toBeNull();
  });

  it('persists presence across a restart, but not calls or wrap-up', async () => {
    const first = loggedIn('a1', 'a2', 'a3');
    first.pause('a2');
    first.logout('a3');
    take(first, 'a1');
    await at(50_000);
    const second = pool();
    expect(second.status('a1')).toEqual({ id: 'a1', state: 'available', since: 1_000 });
    expect(second.status('a2')).toEqual({ id: 'a2', state: 'paused', since: 1_000 });
    expect(second.status('a3').state).toBe('logged-out');
  });

  it('keeps memory unchanged when the store fails', () => {
    const p = new AgentPool(
      AgentsConfig.parse(CONFIG),
      { load: () => [], save: () => { throw new Error('disk full'); } },
      clock,
      service.signal,
    );
    expect(() => p.login('a1')).toThrow('disk full');
    expect(p.status('a1').state).toBe('logged-out');
  });

  it('rejects a config whose groups name unknown agents', () => {
    expect(() => pool({ agents: { a1: agent(1) }, groups: { g: { name: 'G', members: ['a1', 'ghost'] } } })).toThrow(
      /unknown agent 'ghost'/,
    );
  });

  it('lists every agent with its groups and status', () => {
    const p = loggedIn('a2');
    expect(p.list()).toEqual([
      { id: 'a1', endpoint: 'PJSIP/1001', workNumber: '1001', name: 'Agent 1', groups: ['ordered', 'rr', 'idle'], state: 'logged-out', since: 1_000 },
      { id: 'a2', endpoint: 'PJSIP/1002', workNumber: '1002', name: 'Agent 2', groups: ['ordered', 'rr', 'idle'], state: 'available', since: 1_000 },
      { id: 'a3', endpoint: 'PJSIP/1003', workNumber: '1003', name: 'Agent 3', groups: ['ordered', 'rr', 'idle', 'solo'], state: 'logged-out', since: 1_000 },
    ]);
  });
});

describe('calls and wrap-up', () => {
  it('busy, then wrap-up for the longest wrap-up of its groups, then available', async () => {
    const p = loggedIn('a1');
    await at(2_000);
    const claim = take(p, 'a1');
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'busy', since: 2_000 });
    await at(3_000);
    claim.release();
    // a1 is in 'ordered' (10 s) and 'idle' (30 s).
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'wrap-up', since: 3_000 });
    await at(32_999);
    expect(p.status('a1').state).toBe('wrap-up');
    await at(33_000);
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'available', since: 33_000 });
  });

  it('no wrap-up for an agent whose groups have none', async () => {
    const p = pool({ agents: { a1: agent(1) }, groups: { g: { name: 'G', members: ['a1'] } } });
    p.login('a1');
    const claim = take(p, 'a1');
    await at(4_000);
    claim.release();
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'available', since: 4_000 });
    expect(clock.pending).toBe(0);
  });

  it('a leg that never connected frees the agent without wrap-up', async () => {
    const p = loggedIn('a1');
    const claim = take(p, 'a1');
    await at(2_000);
    claim.release({ answered: false });
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'available', since: 2_000 });
  });

  it('pausing during a call shows busy, then paused when the call ends', async () => {
    const p = loggedIn('a1');
    const claim = take(p, 'a1');
    await at(2_000);
    expect(p.pause('a1').state).toBe('busy');
    await at(3_000);
    claim.release();
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'paused', since: 3_000 });
  });

  it('claim takes an available agent once, for its owner', () => {
    const p = loggedIn('a1', 'a2');
    const claim = p.claim('a1', 'call-7');
    expect(claim).toMatchObject({ agentId: 'a1', owner: 'call-7', released: false });
    expect(p.claim('a1', 'call-8')).toBeNull();
    p.pause('a2');
    expect(p.claim('a2', 'call-8')).toBeNull();
    expect(p.claim('a3', 'call-8')).toBeNull();
  });

  it('an agent in wrap-up cannot be claimed', async () => {
    const p = loggedIn('a1');
    take(p, 'a1').release();
    expect(p.claim('a1', 'call-2')).toBeNull();
    await at(T0 + 30_000);
    expect(take(p, 'a1', 'call-2').owner).toBe('call-2');
  });

  it('release() twice frees once', async () => {
    const p = loggedIn('a1');
    const seen = watch(p);
    const claim = take(p, 'a1');
    await at(2_000);
    claim.release({ answered: false });
    expect(claim.released).toBe(true);
    await at(3_000);
    claim.release();
    // The second release neither starts a wrap-up nor restarts the longest-idle clock.
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'available', since: 2_000 });
    expect(clock.pending).toBe(0);
    expect(seen).toEqual(['a1@2000:available']);
  });

  it("a stale claim cannot free the agent's next claim", async () => {
    const p = loggedIn('a1');
    const first = take(p, 'a1', 'call-1');
    first.release({ answered: false });
    const second = take(p, 'a1', 'call-2');
    await at(2_000);
    first.release({ answered: false });
    first.release();
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'busy', since: 1_000 });
    expect(p.claim('a1', 'call-3')).toBeNull();
    expect(second.released).toBe(false);
    second.release({ answered: false });
    expect(p.status('a1').state).toBe('available');
  });
});

describe('available (the dispatcher hears when an agent can take work)', () => {
  it('available fires on login, resume, release and at the end of wrap-up (clock timer), once each', async () => {
    const p = pool();
    const seen = watch(p);
    p.login('a1');
    p.login('a1');
    expect(seen).toEqual(['a1@1000:available']);

    await at(2_000);
    p.pause('a1');
    p.resume('a1');
    p.resume('a1');
    expect(seen.slice(1)).toEqual(['a1@2000:available']);

    await at(3_000);
    take(p, 'a1').release({ answered: false });
    expect(seen.slice(2)).toEqual(['a1@3000:available']);

    take(p, 'a1').release();
    expect(seen).toHaveLength(3);
    await at(3_000 + 29_999);
    expect(seen).toHaveLength(3);
    await at(3_000 + 30_000);
    expect(seen.slice(3)).toEqual(['a1@33000:available']);

    await clock.runAll();
    expect(seen).toHaveLength(4);
  });

  it('listeners of available see status available', async () => {
    const p = pool();
    const states: string[] = [];
    p.on('available', (agentId) => states.push(JSON.stringify(p.status(agentId))));
    p.login('a1');
    take(p, 'a1').release({ answered: false });
    take(p, 'a1').release();
    await clock.runAll();
    expect(states).toEqual([
      JSON.stringify({ id: 'a1', state: 'available', since: 1_000 }),
      JSON.stringify({ id: 'a1', state: 'available', since: 1_000 }),
      JSON.stringify({ id: 'a1', state: 'available', since: 31_000 }),
    ]);
  });

  it('a listener can claim the agent it hears about', async () => {
    const p = loggedIn('a1');
    const got: AgentClaim[] = [];
    p.on('available', (agentId) => {
      const claim = p.claim(agentId, 'queued-call');
      if (claim) got.push(claim);
    });
    take(p, 'a1').release();
    await clock.runAll();
    expect(got.map((c) => c.owner)).toEqual(['queued-call']);
    expect(p.status('a1').state).toBe('busy');
  });

  it('nothing fires for a login into paused, a pause, a logout, a claim or a resume while busy', () => {
    const p = loggedIn('a1');
    const seen = watch(p);
    p.pause('a1');
    p.logout('a1');
    p.login('a1');
    expect(seen).toEqual(['a1@1000:available']);
    const claim = take(p, 'a1');
    p.pause('a1');
    p.resume('a1');
    expect(seen).toHaveLength(1);
    claim.release({ answered: false });
    expect(seen).toHaveLength(2);
  });

  it('wrap-up timer is cancelled by logout', async () => {
    const p = loggedIn('a1');
    const seen = watch(p);
    take(p, 'a1').release();
    expect(clock.pending).toBe(1);
    await at(5_000);
    p.logout('a1');
    expect(clock.pending).toBe(0);
    await clock.advance(60_000);
    expect(seen).toEqual([]);
    // Logging in again after the wrap-up would have ended: available from the login, no wrap-up.
    p.login('a1');
    expect(seen).toEqual(['a1@65000:available']);
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'available', since: 65_000 });
  });

  it('wrap-up timer is cancelled by logout, and a new call after a new login gets its own', async () => {
    const p = loggedIn('a1');
    const seen = watch(p);
    take(p, 'a1').release();
    p.logout('a1');
    await at(20_000);
    p.login('a1');
    take(p, 'a1').release();
    // The first wrap-up would have ended at 31 000; only the second one (20 000 + 30 000) counts.
    await at(31_000);
    expect(p.status('a1').state).toBe('wrap-up');
    await at(50_000);
    expect(seen).toEqual(['a1@20000:available', 'a1@50000:available']);
  });

  it('paused during wrap-up: nothing at its end; resume then fires once', async () => {
    const p = loggedIn('a1');
    const seen = watch(p);
    take(p, 'a1').release();
    p.pause('a1');
    await at(40_000);
    expect(seen).toEqual([]);
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'paused', since: 1_000 });
    p.resume('a1');
    expect(seen).toEqual(['a1@40000:available']);
  });

  it('resumed during wrap-up: nothing at the resume; the end of wrap-up fires once', async () => {
    const p = loggedIn('a1');
    const seen = watch(p);
    take(p, 'a1').release();
    p.pause('a1');
    await at(5_000);
    p.resume('a1');
    expect(seen).toEqual([]);
    await at(31_000);
    expect(seen).toEqual(['a1@31000:available']);
  });

  it('a reload announces the agents it adds that are available, and no others', () => {
    const p = loggedIn('a1', 'a2');
    const seen = watch(p);
    createAgentStateStore(db).save({ agentId: 'a4', state: 'available', updatedAt: 500 });
    createAgentStateStore(db).save({ agentId: 'a5', state: 'paused', updatedAt: 500 });
    p.reconfigure(
      AgentsConfig.parse({
        agents: { a1: agent(1), a2: agent(2), a4: agent(4), a5: agent(5) },
        groups: { g: { name: 'G', members: ['a1', 'a2', 'a4', 'a5'] } },
      }),
    );
    expect(seen).toEqual(['a4@1000:available']);
  });

  it('nothing fires once the service has stopped; wrap-up timers end with it', async () => {
    const p = loggedIn('a1', 'a2');
    const seen = watch(p);
    take(p, 'a1').release();
    const claim = take(p, 'a2');
    service.abort();
    expect(clock.pending).toBe(0);
    claim.release({ answered: false });
    p.logout('a2');
    p.login('a2');
    await clock.runAll();
    expect(seen).toEqual([]);
  });
});

describe('candidates', () => {
  // Whether a phone is there is the desk's question to Asterisk (endpoint-reachability.test.ts).
  it('ordered: member order, skipping logged-out, paused, busy and wrap-up agents', () => {
    const p = loggedIn('a1', 'a2', 'a3');
    expect(ids(p.candidates('ordered'))).toEqual(['a1', 'a2', 'a3']);
    p.pause('a2');
    const claim = take(p, 'a3');
    expect(ids(p.candidates('ordered'))).toEqual(['a1']);
    claim.release();
    expect(ids(p.candidates('ordered'))).toEqual(['a1']);
    p.logout('a1');
    p.resume('a2');
    expect(ids(p.candidates('ordered'))).toEqual(['a2']);
  });

  it('gives whole agents, endpoint and work number included', () => {
    const p = loggedIn('a3');
    expect(p.candidates('solo')).toEqual([{ id: 'a3', endpoint: 'PJSIP/1003', workNumber: '1003', name: 'Agent 3' }]);
  });

  it('candidates() read twice does not move round-robin; a claim does', () => {
    const p = loggedIn('a1', 'a2', 'a3');
    expect(ids(p.candidates('rr'))).toEqual(['a1', 'a2', 'a3']);
    expect(ids(p.candidates('rr'))).toEqual(['a1', 'a2', 'a3']);
    // rrmemory: the next call starts after the member claimed, whoever was first in the list.
    take(p, 'a2').release({ answered: false });
    expect(ids(p.candidates('rr'))).toEqual(['a3', 'a1', 'a2']);
    expect(ids(p.candidates('rr'))).toEqual(['a3', 'a1', 'a2']);
    take(p, 'a3').release({ answered: false });
    expect(ids(p.candidates('rr'))).toEqual(['a1', 'a2', 'a3']);
  });

  it('round-robin: unavailable members are skipped without losing the place', () => {
    const p = loggedIn('a1', 'a2', 'a3');
    take(p, 'a1').release({ answered: false });
    p.pause('a2');
    expect(ids(p.candidates('rr'))).toEqual(['a3', 'a1']);
    const busy = take(p, 'a3');
    expect(ids(p.candidates('rr'))).toEqual(['a1']);
    busy.release({ answered: false });
    p.resume('a2');
    expect(ids(p.candidates('rr'))).toEqual(['a1', 'a2', 'a3']);
  });

  it('round-robin: a claim through another group moves every round-robin group of the agent', () => {
    const p = pool({
      agents: { a1: agent(1), a2: agent(2), a3: agent(3) },
      groups: {
        rr1: { name: 'RR1', strategy: 'round-robin', members: ['a1', 'a2', 'a3'] },
        rr2: { name: 'RR2', strategy: 'round-robin', members: ['a3', 'a2'] },
        plain: { name: 'Plain', members: ['a2'] },
      },
    });
    for (const id of ['a1', 'a2', 'a3']) p.login(id);
    expect(ids(p.candidates('plain'))).toEqual(['a2']);
    take(p, 'a2').release({ answered: false });
    expect(ids(p.candidates('rr1'))).toEqual(['a3', 'a1', 'a2']);
    expect(ids(p.candidates('rr2'))).toEqual(['a3', 'a2']);
  });

  it('round-robin: a reload that removes the member claimed last starts from the first member', () => {
    const p = loggedIn('a1', 'a2', 'a3');
    take(p, 'a1').release({ answered: false });
    p.reconfigure(
      AgentsConfig.parse({
        agents: { a2: agent(2), a3: agent(3) },
        groups: { rr: { name: 'RR', strategy: 'round-robin', members: ['a2', 'a3'] } },
      }),
    );
    expect(ids(p.candidates('rr'))).toEqual(['a2', 'a3']);
  });

  it('longest-idle: never used first in member order, then the earliest last call', async () => {
    const p = pool({
      agents: { a1: agent(1), a2: agent(2), a3: agent(3), a4: agent(4) },
      groups: { idle: { name: 'Idle', strategy: 'longest-idle', members: ['a1', 'a2', 'a3', 'a4'] } },
    });
    for (const id of ['a1', 'a2', 'a3', 'a4']) p.login(id);
    expect(ids(p.candidates('idle'))).toEqual(['a1', 'a2', 'a3', 'a4']);
    await at(2_000);
    take(p, 'a3').release();
    await at(3_000);
    take(p, 'a1').release();
    // a no-answer does not restart the idle clock
    await at(4_000);
    take(p, 'a2').release({ answered: false });
    expect(ids(p.candidates('idle'))).toEqual(['a2', 'a4', 'a3', 'a1']);
  });

  it('an unknown group is group-not-found', () => {
    expect(codeOf(() => pool().candidates('nope'))).toBe('group-not-found');
  });
});

describe('reconfigure (a reloaded flow, N6)', () => {
  const NEXT: AgentsConfigInput = {
    agents: { a2: agent(2), a3: agent(3), a4: agent(4) },
    groups: { ordered: { name: 'Ordered', members: ['a4', 'a3', 'a2'] } },
  };

  it('N6: new agents join with their stored presence, kept agents keep theirs, removed agents leave the groups and the listing', () => {
    const p = loggedIn('a1', 'a2');
    p.pause('a2');
    // a4 was logged in before an earlier reload removed it: its row comes back with it.
    createAgentStateStore(db).save({ agentId: 'a4', state: 'available', updatedAt: 500 });
    p.reconfigure(AgentsConfig.parse(NEXT));

    expect(p.list().map((a) => [a.id, a.state, a.groups])).toEqual([
      ['a2', 'paused', ['ordered']],
      ['a3', 'logged-out', ['ordered']],
      ['a4', 'available', ['ordered']],
    ]);
    expect(ids(p.candidates('ordered'))).toEqual(['a4']);
    expect(codeOf(() => p.candidates('rr'))).toBe('group-not-found');
    expect(codeOf(() => p.login('a1'))).toBe('agent-not-found');
  });

  it('N6: an agent removed while on a call finishes it: its claim can still be released', () => {
    const p = loggedIn('a1');
    const seen = watch(p);
    const claim = take(p, 'a1');
    p.reconfigure(AgentsConfig.parse(NEXT));
    expect(() => claim.release({ answered: true })).not.toThrow();
    expect(claim.released).toBe(true);
    expect(codeOf(() => p.status('a1'))).toBe('agent-not-found');
    expect(p.claim('a1', 'call-2')).toBeNull();
    expect(seen).toEqual([]);
  });

  it('N6: an agent removed during wrap-up is not announced when it ends; added back, it is', async () => {
    const p = loggedIn('a1');
    const seen = watch(p);
    take(p, 'a1').release();
    p.reconfigure(AgentsConfig.parse(NEXT));
    await clock.runAll();
    expect(seen).toEqual([]);
    p.reconfigure(AgentsConfig.parse(CONFIG));
    expect(seen).toEqual(['a1@31000:available']);
  });

  it('N6: a config with unknown members is refused and the pool stays as it was', () => {
    const p = loggedIn('a1');
    expect(() => p.reconfigure(AgentsConfig.parse({ agents: {}, groups: { g: { name: 'G', members: ['zz'] } } }))).toThrow(/unknown agent/);
    expect(ids(p.candidates('ordered'))).toEqual(['a1']);
  });
});
