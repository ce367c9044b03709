// N14: the flow file's `recording` section (placeholder while recording is built).
import { z } from 'zod';

export const RecordingPolicy = z.object({}).strict().default({}).describe('N14: call recording with consent');
export type RecordingPolicy = z.output<typeof RecordingPolicy>;
