// N15: the flow file's `hours` section (placeholder while service hours are built).
import { z } from 'zod';

export const ServiceHoursConfig = z.object({}).strict().default({}).describe('N15: service hours');
export type ServiceHoursConfig = z.output<typeof ServiceHoursConfig>;
