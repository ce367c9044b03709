// The pool with a hand-driven clock and a real in-memory SQLite store.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentsConfig, type AgentsConfigInput } from '../../src/agents/agent-config.js';
import { AgentPool, AgentPoolError, type Agent } from '../../src/agents/agent-pool.js';
import { createAgentStateStore } from '../../src/agents/agent-state-store.js';
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
let clock: number;
const now = () => clock;
const ids = (agents: Agent[]) => agents.map((a) => a.id);

function pool(config: AgentsConfigInput = CONFIG): AgentPool {
  return new AgentPool(AgentsConfig.parse(config), createAgentStateStore(db), now);
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
  clock = 1_000;
});

afterEach(() => {
  db.close();
});

describe('presence', () => {
  it('starts logged out; login makes an agent available from that moment', () => {
    const p = pool();
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'logged-out', since: 1_000 });
    clock = 5_000;
    expect(p.login('a1')).toEqual({ id: 'a1', state: 'available', since: 5_000 });
  });

  it('login, pause and resume are idempotent: a repeat keeps the original since', () => {
    const p = loggedIn('a1');
    clock = 9_000;
    expect(p.login('a1').since).toBe(1_000);
    p.pause('a1');
    clock = 12_000;
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
    p.markBusy('a1');
    expect(codeOf(() => p.logout('a1'))).toBe('agent-busy');
    p.markFree('a1');
    expect(p.status('a1').state).toBe('wrap-up');
    expect(p.logout('a1').state).toBe('logged-out');
    p.login('a1');
    expect(p.status('a1').state).toBe('available');
  });

  it.each(['login', 'logout', 'pause', 'resume', 'markBusy', 'markFree', 'status', 'agent'] as const)(
    '%s of an unknown agent is agent-not-found',
    (method) => {
      const p = pool();
      expect(codeOf(() => p[method]('ghost'))).toBe('agent-not-found');
    },
  );

  it('claim of an unknown agent is refused, not an error: a call may offer one a reload removed', () => {
    expect(pool().claim('ghost')).toBe(false);
  });

  it('persists presence across a restart, but not calls or wrap-up', () => {
    const first = loggedIn('a1', 'a2', 'a3');
    first.pause('a2');
    first.logout('a3');
    first.markBusy('a1');
    clock = 50_000;
    const second = pool();
    expect(second.status('a1')).toEqual({ id: 'a1', state: 'available', since: 1_000 });
    expect(second.status('a2')).toEqual({ id: 'a2', state: 'paused', since: 1_000 });
    expect(second.status('a3').state).toBe('logged-out');
  });

  it('keeps memory unchanged when the store fails', () => {
    const p = new AgentPool(
      AgentsConfig.parse(CONFIG),
      { load: () => [], save: () => { throw new Error('disk full'); } },
      now,
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
  it('busy, then wrap-up for the longest wrap-up of its groups, then available', () => {
    const p = loggedIn('a1');
    clock = 2_000;
    p.markBusy('a1');
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'busy', since: 2_000 });
    clock = 3_000;
    p.markFree('a1');
    // a1 is in 'ordered' (10 s) and 'idle' (30 s).
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'wrap-up', since: 3_000 });
    clock = 32_999;
    expect(p.status('a1').state).toBe('wrap-up');
    clock = 33_000;
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'available', since: 33_000 });
  });

  it('no wrap-up for an agent whose groups have none', () => {
    const p = pool({ agents: { a1: agent(1) }, groups: { g: { name: 'G', members: ['a1'] } } });
    p.login('a1');
    p.markBusy('a1');
    clock = 4_000;
    p.markFree('a1');
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'available', since: 4_000 });
  });

  it('a leg that never connected frees the agent without wrap-up', () => {
    const p = loggedIn('a1');
    p.markBusy('a1');
    clock = 2_000;
    p.markFree('a1', { answered: false });
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'available', since: 2_000 });
  });

  it('pausing during a call shows busy, then paused when the call ends', () => {
    const p = loggedIn('a1');
    p.markBusy('a1');
    clock = 2_000;
    expect(p.pause('a1').state).toBe('busy');
    clock = 3_000;
    p.markFree('a1');
    expect(p.status('a1')).toEqual({ id: 'a1', state: 'paused', since: 3_000 });
  });

  it('claim takes an available agent once', () => {
    const p = loggedIn('a1', 'a2');
    expect(p.claim('a1')).toBe(true);
    expect(p.claim('a1')).toBe(false);
    p.pause('a2');
    expect(p.claim('a2')).toBe(false);
    expect(p.claim('a3')).toBe(false);
  });
});

describe('candidates', () => {
  // Whether a phone is there is the desk's question to Asterisk (endpoint-reachability.test.ts).
  it('ordered: member order, skipping logged-out, paused, busy and wrap-up agents', () => {
    const p = loggedIn('a1', 'a2', 'a3');
    expect(ids(p.candidates('ordered'))).toEqual(['a1', 'a2', 'a3']);
    p.pause('a2');
    p.markBusy('a3');
    expect(ids(p.candidates('ordered'))).toEqual(['a1']);
    p.markFree('a3');
    expect(ids(p.candidates('ordered'))).toEqual(['a1']);
    p.logout('a1');
    p.resume('a2');
    expect(ids(p.candidates('ordered'))).toEqual(['a2']);
  });

  it('gives whole agents, endpoint and work number included', () => {
    const p = loggedIn('a3');
    expect(p.candidates('solo')).toEqual([{ id: 'a3', endpoint: 'PJSIP/1003', workNumber: '1003', name: 'Agent 3' }]);
  });

  it('round-robin: the first member moves on at every call', () => {
    const p = loggedIn('a1', 'a2', 'a3');
    expect(ids(p.candidates('rr'))).toEqual(['a1', 'a2', 'a3']);
    expect(ids(p.candidates('rr'))).toEqual(['a2', 'a3', 'a1']);
    p.pause('a3');
    expect(ids(p.candidates('rr'))).toEqual(['a1', 'a2']);
    expect(ids(p.candidates('rr'))).toEqual(['a1', 'a2']);
    expect(ids(p.candidates('rr'))).toEqual(['a2', 'a1']);
  });

  it('longest-idle: never used first in member order, then the earliest last call', () => {
    const p = pool({
      agents: { a1: agent(1), a2: agent(2), a3: agent(3), a4: agent(4) },
      groups: { idle: { name: 'Idle', strategy: 'longest-idle', members: ['a1', 'a2', 'a3', 'a4'] } },
    });
    for (const id of ['a1', 'a2', 'a3', 'a4']) p.login(id);
    expect(ids(p.candidates('idle'))).toEqual(['a1', 'a2', 'a3', 'a4']);
    clock = 2_000;
    p.markBusy('a3');
    p.markFree('a3');
    clock = 3_000;
    p.markBusy('a1');
    p.markFree('a1');
    // a no-answer does not restart the idle clock
    clock = 4_000;
    p.markBusy('a2');
    p.markFree('a2', { answered: false });
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

  it('N6: an agent removed while on a call finishes it: it can still be marked free', () => {
    const p = loggedIn('a1');
    expect(p.claim('a1')).toBe(true);
    p.reconfigure(AgentsConfig.parse(NEXT));
    expect(() => p.markFree('a1', { answered: true })).not.toThrow();
    expect(codeOf(() => p.status('a1'))).toBe('agent-not-found');
  });

  it('N6: a config with unknown members is refused and the pool stays as it was', () => {
    const p = loggedIn('a1');
    expect(() => p.reconfigure(AgentsConfig.parse({ agents: {}, groups: { g: { name: 'G', members: ['zz'] } } }))).toThrow(/unknown agent/);
    expect(ids(p.candidates('ordered'))).toEqual(['a1']);
  });
});
