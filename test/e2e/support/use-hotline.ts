// The setup most end-to-end files share: a controller on a flow, and scripted callers, both
// started before the file's tests and stopped after them.
import { afterAll, beforeAll } from 'vitest';
import { clearLane } from './lane.js';
import { TestCallers } from './test-caller.js';
import { startTestController, type TestController } from './test-controller.js';

export interface Hotline {
  /** Valid inside tests (set by beforeAll). */
  hotline: TestController;
  callers: TestCallers;
}

export function useHotline(flowFile: string, extraEnv: Record<string, string> = {}): Hotline {
  const ctx = { callers: new TestCallers() } as Hotline;
  beforeAll(async () => {
    await clearLane(ctx.callers);
    ctx.hotline = await startTestController(flowFile, extraEnv);
    await ctx.callers.connect();
  });
  afterAll(async () => {
    ctx.callers.close();
    await ctx.hotline?.stop();
  });
  return ctx;
}
