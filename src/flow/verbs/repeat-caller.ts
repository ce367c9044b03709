// N12: a number that called earlier today, and reached an agent then, is asked
// 「请问您是咨询之前的问题吗?是请按1」. 1 goes straight to that group's transfer step (the whisper
// then tells the agent); anything else, or nothing, goes on as for a first call. A number that
// called before without reaching an agent is not asked: there is no group to go back to.
import { z } from 'zod';
import type { VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { Ms, PromptId, StepId } from '../schema-parts.js';
import type { Flow } from '../schema.js';

export const RepeatCallerStep = z
  .object({
    verb: z.literal('repeat-caller'),
    prompt: PromptId.default('repeat.ask'),
    timeoutMs: Ms(1000, 30_000).default(5000).describe('wait for the 1 after the question'),
    routes: z
      .record(z.string().min(1), StepId)
      .default({})
      .describe('agent group → step; a group not listed goes to the first transfer step to it'),
    next: StepId.describe('a first caller of the day, or one who does not press 1'),
  })
  .strict();
export type RepeatCallerStep = z.output<typeof RepeatCallerStep>;

const run: VerbRunner<RepeatCallerStep> = async (ctx, step, stepId) => {
  const { call } = ctx;
  const earlier = ctx.facts.earlierToday();
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

/** What routeFor reads of a flow (the loader's graph checks call it before the Flow exists). */
type RouteFlow = Pick<Flow, 'stepOrder'> & { steps: Readonly<Record<string, { verb: string; group?: unknown }>> };

/** The operator's route for the group, else the first transfer step to it in the flow file. */
export function routeFor(flow: RouteFlow, step: RepeatCallerStep, group: string): string | undefined {
  if (Object.hasOwn(step.routes, group)) return step.routes[group];
  return flow.stepOrder.find((id) => {
    const candidate = flow.steps[id];
    return candidate?.verb === 'transfer' && candidate.group === group;
  });
}

export const repeatCaller = defineVerb({
  verb: 'repeat-caller',
  schema: RepeatCallerStep,
  run,
  // Without the caller history every caller is a first caller: the step would never ask.
  needs: ['callerHistory'],
  targets: (step) => [
    { path: ['next'], step: step.next },
    ...Object.entries(step.routes).map(([group, to]) => ({ path: ['routes', group], step: to })),
  ],
  prompts: (step) => [{ path: ['prompt'], prompt: step.prompt }],
  windows: (step) => [{ path: ['timeoutMs'], ms: step.timeoutMs }],
  groups: (step) => Object.keys(step.routes).map((group) => ({ path: ['routes', group], group, isKey: true })),
  // The routes need an earlier call today: a first-time caller cannot take them by a key.
  keyEdges: (step) => [{ to: step.next, key: null }],
  // A first caller of the day goes on to next without a word. A repeat caller's 1 can also lead
  // to the first transfer step to each group, which the step does not name.
  graph: (step, flow) => ({
    heard: false,
    implicit: Object.keys(flow.agents.groups).flatMap((group) => routeFor(flow, step, group) ?? []),
  }),
});
