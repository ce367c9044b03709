import { describe, expect, it } from 'vitest';
import { AgentsConfig, agentsConfigIssues, checkAgentsConfig } from '../../src/agents/agent-config.js';

const agents = {
  a1: { endpoint: 'PJSIP/1001', workNumber: '1001', name: 'Li' },
  a2: { endpoint: 'Local/1002@agents', workNumber: '1002', name: 'Wang' },
};

describe('AgentsConfig', () => {
  it('fills strategy and wrap-up defaults', () => {
    const cfg = AgentsConfig.parse({ agents, groups: { repair: { name: '维修', members: ['a1', 'a2'] } } });
    expect(cfg.groups.repair).toEqual({ name: '维修', strategy: 'ordered', wrapUpMs: 0, members: ['a1', 'a2'] });
  });

  it.each([
    ['an unknown key', { agents, groups: {}, extra: 1 }],
    ['an unknown agent key', { agents: { a1: { ...agents.a1, phone: 'x' } }, groups: {} }],
    ['an endpoint without technology', { agents: { a1: { ...agents.a1, endpoint: '1001' } }, groups: {} }],
    ['a work number with letters', { agents: { a1: { ...agents.a1, workNumber: 'A7' } }, groups: {} }],
    ['a group without members', { agents, groups: { g: { name: 'G', members: [] } } }],
    ['an unknown strategy', { agents, groups: { g: { name: 'G', strategy: 'random', members: ['a1'] } } }],
    ['a negative wrap-up', { agents, groups: { g: { name: 'G', wrapUpMs: -1, members: ['a1'] } } }],
    ['an upper-case id', { agents: { A1: agents.a1 }, groups: {} }],
  ])('rejects %s', (_label, input) => {
    expect(AgentsConfig.safeParse(input).success).toBe(false);
  });
});

describe('checkAgentsConfig', () => {
  it('is empty for a consistent config', () => {
    expect(checkAgentsConfig(AgentsConfig.parse({ agents, groups: { g: { name: 'G', members: ['a2', 'a1'] } } }))).toEqual([]);
  });

  it('lists members that are not agents, duplicates and shared work numbers, with paths', () => {
    const cfg = AgentsConfig.parse({
      agents: { ...agents, a3: { endpoint: 'PJSIP/1003', workNumber: '1001', name: 'Zhao' } },
      groups: { g: { name: 'G', members: ['a1', 'ghost', 'a1'] } },
    });
    expect(checkAgentsConfig(cfg)).toEqual([
      "groups.g.members.1: unknown agent 'ghost'",
      "groups.g.members.2: agent 'a1' is listed twice",
      "agents.a3.workNumber: work number 1001 is also agent 'a1's",
    ]);
    expect(agentsConfigIssues(cfg)[0]?.path).toEqual(['groups', 'g', 'members', 1]);
  });
});
