// The languages prompts exist in. A call's language is a per-call fact (N18): the flow's default
// at the start, changed by the caller's choice; every prompt the call plays is in it.
import { z } from 'zod';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export const Language = z.enum(LANGUAGES);
export type Language = z.infer<typeof Language>;
