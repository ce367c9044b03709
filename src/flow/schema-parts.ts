// The zod pieces that the flow file's schema (schema.ts) and the verbs' step schemas
// (verbs/*.ts) share. This module imports no verb and no flow schema, so a verb module can use it
// without an import cycle: schema.ts builds the step union from the verb registry, and the verbs
// must never import schema.ts at run time.
import { z } from 'zod';

export const StepId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'step ids use lower-case letters, digits, "-" and "_"');
export const PromptId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'prompt ids use lower-case letters, digits, ".", "-" and "_"');
export const Digit = z.string().regex(/^[0-9*#]$/, 'a menu key is one of 0-9, * or #');

/** A duration in whole milliseconds between min and max. */
export const Ms = (min: number, max: number) => z.number().int().min(min).max(max);

/** The `next` key most verbs have. */
export const Next = { next: StepId };

/** N4: a retry branch (a wrong key, or silence): its prompt, how many tries, then where. */
export const Retry = z
  .object({
    prompt: PromptId.default('unclear.retry'),
    tries: z.number().int().min(1).max(9).default(3),
    then: StepId,
  })
  .strict();

/** N6: the parts of the agent whisper, in their default order. */
export const WHISPER_PARTS = ['caller', 'path', 'earlier', 'ticket'] as const;
export type WhisperPart = (typeof WHISPER_PARTS)[number];
