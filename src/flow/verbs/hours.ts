// N15: branches on the service hours: `open`, `closed` or `holiday` (a public holiday outside its
// hours; `closed` when not given). It plays nothing itself: the flow decides what an after-hours
// caller hears, which must be the hours and a way to leave a callback number (N7), never a dead
// end. The state comes through the hours service, so an operator's override and the imported
// holidays count, not only the flow file.
import { z } from 'zod';
import type { FlowContext, VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { StepId } from '../schema-parts.js';

export const HoursStep = z
  .object({
    verb: z.literal('hours'),
    open: StepId.describe('inside the service hours (or forced open)'),
    closed: StepId.describe('outside them (or forced closed): tell the hours, offer a callback'),
    holiday: StepId.optional().describe('a public holiday outside its hours; default: closed'),
  })
  .strict();
export type HoursStep = z.output<typeof HoursStep>;

/** The branch for the state now; throws when the controller wires no hours service. */
function branch(ctx: FlowContext, step: HoursStep, stepId: string): string {
  const hours = ctx.services.hours;
  if (!hours) throw new Error('no hours service is wired');
  const check = hours.status(ctx.clock.now(), ctx.flow);
  ctx.record('hours.checked', {
    step: stepId,
    state: check.state,
    reason: check.reason,
    override: check.override?.id ?? null,
    opensAt: check.opensAt,
  });
  if (check.state === 'open') return step.open;
  return check.state === 'holiday' ? (step.holiday ?? step.closed) : step.closed;
}

// Nothing to wait for: the decision is immediate (a failure is a rejection, like every verb's).
const run: VerbRunner<HoursStep> = (ctx, step, stepId) => new Promise((resolve) => resolve(branch(ctx, step, stepId)));

export const hours = defineVerb({
  verb: 'hours',
  schema: HoursStep,
  run,
  needs: ['hours'],
  targets: (step) => [
    { path: ['open'], step: step.open },
    { path: ['closed'], step: step.closed },
    ...(step.holiday === undefined ? [] : [{ path: ['holiday'], step: step.holiday }]),
  ],
  // A caller told "press 1, then 2" calls back in service hours: only `open` is on a key path.
  keyEdges: (step) => [{ to: step.open, key: null }],
  // Passes straight through without a sound; before the answer too. A caller whom nobody serves
  // is the after-hours caller.
  graph: (step) => ({ heard: false, plays: false, idle: { path: ['closed'], step: step.closed } }),
});
