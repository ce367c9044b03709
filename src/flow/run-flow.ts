// The interpreter: step after step until a verb names no next step. A hang-up aborts the call's
// signal, which rejects whatever wait is pending, and the error unwinds to the caller of runFlow.
import type { FlowContext } from './context.js';
import type { Step, Verb } from './schema.js';
import { definitionOf } from './verbs/index.js';

// A flow that loops without a wait (a menu always waits) would spin: cap the steps of one call.
const MAX_STEPS = 1000;

export interface RunOptions {
  /** Told each step as it is entered, before it runs: the call's resume point (handle-call). */
  onStep?: (stepId: string) => void;
  /**
   * The call was adopted after a crash or a restart and resumes at `startAt`: that first step
   * runs its verb's `resume` (a step whose effect must not happen twice), later ones their runner.
   */
  resumed?: boolean;
}

export async function runFlow(ctx: FlowContext, startAt: string, options: RunOptions = {}): Promise<void> {
  let stepId: string | undefined = startAt;
  for (let count = 0; stepId !== undefined; count++) {
    if (count >= MAX_STEPS) throw new Error(`flow ran ${MAX_STEPS} steps without ending`);
    ctx.call.signal.throwIfAborted();
    const step: Step | undefined = ctx.flow.steps[stepId];
    if (!step) throw new Error(`unknown step '${stepId}'`);
    ctx.logger.debug({ step: stepId, verb: step.verb satisfies Verb }, 'step');
    options.onStep?.(stepId);
    const definition = definitionOf(step);
    stepId = await (options.resumed && count === 0 ? definition.resume : definition.run)(ctx, step, stepId);
  }
}
