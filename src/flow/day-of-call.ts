// N2/N10: the day a call is on (daypart, holiday, weekend) for the greeting's and the closing's
// wishes. Holidays imported into the calendar (N15, through the API) count as much as the flow
// file's own lists, when the hours service is wired; without it the flow file alone decides.
import { dayContext, type DayContext } from '../calendar/hotline-calendar.js';
import type { FlowContext } from './context.js';

export function dayOfCall(ctx: Pick<FlowContext, 'clock' | 'flow' | 'services'>): DayContext {
  const { hotline } = ctx.flow;
  const merged = ctx.services.hours?.calendar(ctx.flow);
  const calendar = merged ? { ...hotline, holidays: [...merged.holidays], workdays: [...merged.workdays] } : hotline;
  return dayContext(new Date(ctx.clock.now()), calendar);
}
