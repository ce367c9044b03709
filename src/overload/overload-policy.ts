// Issue 12: the flow file's `overload` section, what a caller hears when the controller sheds
// the call (more live calls than HOTLINE_MAX_CALLS, its event loop lagging, or Asterisk
// answering ARI late; see admission.ts). The call is answered on time either way (N1); then:
//  - `prompt`, played by Asterisk's entry dialplan (the controller hands the call back to it, so
//    a shed call costs the controller one request), followed by `unavailable.then`;
//  - or, with `callback` and while neither the controller nor Asterisk is the problem (capacity,
//    not the event loop or ARI latency) and a callback slot is free, the controller keeps the call, apologises with
//    `callback.prompt` and takes a callback number (N7) before it hangs up.
import { z } from 'zod';
import { CALLBACK_REASONS } from '../callbacks/deadlines.js';
import { Ms, PromptId } from '../flow/schema-parts.js';

export const OverloadCallback = z
  .object({
    prompt: PromptId.default('busy.callback').describe('the apology before the callback offer (N7: 您方便留一下联系电话吗?…)'),
    reason: z.enum(CALLBACK_REASONS).default('unanswered-query').describe('sets the promised callback deadline (N8)'),
    tries: z.number().int().min(1).max(5).default(2),
    timeoutMs: Ms(1000, 30_000).default(5000).describe('wait for each key (a listening window: at most deadAirBudgetMs, N5)'),
  })
  .strict();
export type OverloadCallback = z.output<typeof OverloadCallback>;

export const OverloadPolicy = z
  .object({
    prompt: PromptId.default('busy').describe(
      "what Asterisk's entry dialplan plays to a caller the controller sheds, answered on time; then unavailable.then (hang up, or the backup line)",
    ),
    callback: z
      .union([OverloadCallback, z.literal(false)])
      .default(false)
      .describe(
        'N7: offer shed callers a callback instead, while the controller sheds for capacity (not for its own lag or ARI latency) and has a slot free (a tenth of HOTLINE_MAX_CALLS); false: never',
      ),
  })
  .strict()
  .default({ prompt: 'busy', callback: false })
  .describe('issue 12: what a caller hears when the controller sheds the call (overload)');
export type OverloadPolicy = z.output<typeof OverloadPolicy>;
