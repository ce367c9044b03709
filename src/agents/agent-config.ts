// Agent groups (N6): who can take a transferred call, and in which order they are tried. The lead
// embeds this under `agents` in the flow file, so it follows the flow schema's conventions:
// strict objects (a typo must not be ignored) and the same id pattern as step ids.
import { z } from 'zod';
import { Language } from '../prompts/language.js';

const Id = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'ids use lower-case letters, digits, "-" and "_"');

export const AgentId = Id;
export const GroupId = Id;

export const AgentEntry = z
  .object({
    endpoint: z
      .string()
      // TECH/resource as Asterisk dials it; the resource may hold "@context" and "/n" (Local).
      .regex(/^[A-Za-z][A-Za-z0-9]*\/\S+$/, 'an endpoint is TECH/resource, e.g. PJSIP/1001 or Local/1001@agents')
      .describe('what Asterisk dials to reach the agent'),
    workNumber: z
      .string()
      .regex(/^[0-9]{1,10}$/, 'a work number is 1 to 10 digits (quote it)')
      .describe('N6 工号: read to the caller digit by digit on connect'),
    name: z.string().min(1).describe('shown on screens and in the API, never spoken'),
    language: Language.optional().describe("N18: the language the agent hears the whisper in; default the hotline's"),
  })
  .strict();
export type AgentEntry = z.infer<typeof AgentEntry>;

export const STRATEGIES = ['ordered', 'round-robin', 'longest-idle'] as const;
export const Strategy = z.enum(STRATEGIES);
export type Strategy = z.infer<typeof Strategy>;

export const GroupEntry = z
  .object({
    name: z.string().min(1).describe('the destination spoken in 「您的电话需转接<目的地>」'),
    strategy: Strategy.default('ordered').describe(
      'ordered: members in the order listed; round-robin: the first member tried moves on each ' +
        'time; longest-idle: the agent whose last call ended longest ago first',
    ),
    wrapUpMs: z.number().int().min(0).default(0).describe('after a call, how long the agent gets no new call'),
    members: z.array(AgentId).min(1, 'a group needs at least one member'),
  })
  .strict();
export type GroupEntry = z.infer<typeof GroupEntry>;

export const AgentsConfig = z
  .object({
    agents: z.record(AgentId, AgentEntry),
    groups: z.record(GroupId, GroupEntry),
  })
  .strict();
export type AgentsConfig = z.infer<typeof AgentsConfig>;
export type AgentsConfigInput = z.input<typeof AgentsConfig>;

export interface AgentsConfigIssue {
  /** Path under the agents config, e.g. ['groups', 'repair', 'members', 1], for locating it in YAML. */
  path: (string | number)[];
  message: string;
}

/** Cross-references the schema cannot check, with paths so a flow loader can point at the line. */
export function agentsConfigIssues(cfg: AgentsConfig): AgentsConfigIssue[] {
  const issues: AgentsConfigIssue[] = [];
  for (const [groupId, group] of Object.entries(cfg.groups)) {
    const seen = new Set<string>();
    group.members.forEach((member, i) => {
      const path = ['groups', groupId, 'members', i];
      if (!Object.hasOwn(cfg.agents, member)) issues.push({ path, message: `unknown agent '${member}'` });
      // Listed twice, the agent would be rung twice in one transfer.
      if (seen.has(member)) issues.push({ path, message: `agent '${member}' is listed twice` });
      seen.add(member);
    });
  }
  // The caller hears 「<工号>号客服为您服务」: two agents with one number could not be told apart.
  const byWorkNumber = new Map<string, string>();
  for (const [agentId, agent] of Object.entries(cfg.agents)) {
    const other = byWorkNumber.get(agent.workNumber);
    if (other !== undefined) {
      issues.push({
        path: ['agents', agentId, 'workNumber'],
        message: `work number ${agent.workNumber} is also agent '${other}'s`,
      });
    } else {
      byWorkNumber.set(agent.workNumber, agentId);
    }
  }
  return issues;
}

/** The problems of agentsConfigIssues as `path: message` lines. */
export function checkAgentsConfig(cfg: AgentsConfig): string[] {
  return agentsConfigIssues(cfg).map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}
