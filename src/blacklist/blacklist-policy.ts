// N11: the flow file's `blacklist` section (placeholder while the blacklist is built).
import { z } from 'zod';

export const BlacklistPolicy = z.object({}).strict().default({}).describe('N11: blacklist and flood protection');
export type BlacklistPolicy = z.output<typeof BlacklistPolicy>;
