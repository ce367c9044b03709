// N11: the flow file's `blacklist` section. The listed numbers themselves live in SQLite and are
// managed through the API (operators add and remove them while calls go on); the flow file says
// what holds for the whole hotline: whether callers who withhold their number are refused, what
// a refused caller hears, and the flood rule that lists a number by itself.
import { z } from 'zod';
import { PromptId } from '../flow/schema-parts.js';

export const FloodRule = z
  .object({
    calls: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .describe('N11: a number that calls more often than this within withinMinutes is blocked (this call included)'),
    withinMinutes: z.number().int().min(1).max(1440).describe('the sliding window the calls are counted in, in minutes'),
    blockMinutes: z
      .number()
      .int()
      .min(1)
      .max(43_200)
      .describe('how long the number stays blocked, in minutes (an exact entry added by flood-rule that expires)'),
  })
  .strict();
export type FloodRule = z.output<typeof FloodRule>;

export const BlacklistPolicy = z
  .object({
    anonymous: z
      .enum(['allow', 'refuse'])
      .default('allow')
      .describe(
        'N11: refuse callers whose caller ID is withheld (empty, anonymous, unknown, private, restricted, withheld, or anything but an optional "+" and 3-20 digits) as if they were listed',
      ),
    prompt: PromptId.default('blacklisted').describe('what a refused caller hears before the system hangs up'),
    flood: FloodRule.optional().describe(
      'N11: harassment protection: more than `calls` calls from one number within `withinMinutes` block it for `blockMinutes`; off when absent',
    ),
  })
  .strict()
  .default({ anonymous: 'allow', prompt: 'blacklisted' })
  .describe('N11: who is refused at call start besides the numbers listed through the API (/api/blacklist)');
export type BlacklistPolicy = z.output<typeof BlacklistPolicy>;
