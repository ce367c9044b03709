// N12: a number that called earlier today, and reached an agent then, is asked
// 「请问您是咨询之前的问题吗?是请按1」. 1 goes straight to that group's transfer step (the whisper
// then tells the agent); anything else, or nothing, goes on as for a first call. A number that
// called before without reaching an agent is not asked: there is no group to go back to.
import type { VerbHandler } from '../context.js';
import type { Flow, StepOf } from '../schema.js';

export const repeatCaller: VerbHandler<'repeat-caller'> = async (ctx, step, stepId) => {
  const { call } = ctx;
  const earlier = ctx.earlierToday?.() ?? { calls: 0, lastGroup: null };
  const target = earlier.lastGroup === null ? undefined : routeFor(ctx.flow, step, earlier.lastGroup);
  ctx.record('repeat.checked', { step: stepId, earlierCalls: earlier.calls, group: earlier.lastGroup, target: target ?? null });
  if (target === undefined) return step.next;

  call.forgetInput();
  await call.play([step.prompt], { bargeIn: true });
  const digit = await call.nextDigit(step.timeoutMs);
  if (digit !== '1') {
    ctx.record('repeat.declined', { step: stepId, digit });
    return step.next;
  }
  ctx.record('repeat.routed', { step: stepId, group: earlier.lastGroup!, target });
  return target;
};

/** The operator's route for the group, else the first transfer step to it in the flow file. */
export function routeFor(flow: Flow, step: StepOf<'repeat-caller'>, group: string): string | undefined {
  if (Object.hasOwn(step.routes, group)) return step.routes[group];
  return flow.stepOrder.find((id) => {
    const candidate = flow.steps[id];
    return candidate?.verb === 'transfer' && candidate.group === group;
  });
}
