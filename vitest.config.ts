import { defineConfig } from 'vitest/config';

// End-to-end files share one sandbox Asterisk. Most run in parallel, each in its own lane (its
// own ARI applications and entry context: test/e2e/support/lane.ts); the few that need the real
// entry (SIP callers through hotline-inbound, the demo's default application) run alone after
// them. Unit tests go first, so their CPU does not disturb measured call timings.
// asterisk-restart restarts the shared Asterisk, so it runs alone too (it waits until Asterisk
// answers again before it ends). crash-recovery's 50 callers and second controller made a
// parallel file's agent ring end 1.2 s late (4,234 ms for a 3 s limit), and its own adoption
// figure is measured against 0.75 s: it runs alone.
const ALONE = ['test/e2e/sip-call.test.ts', 'test/e2e/demo.test.ts', 'test/e2e/asterisk-restart.test.ts', 'test/e2e/crash-recovery.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/http/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: ALONE,
          globalSetup: ['test/e2e/global-setup.ts'],
          // Each file's process claims a lane of its own (support/lane.ts; MAX_LANES is larger).
          maxWorkers: 4,
          testTimeout: 120_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e-alone',
          include: ALONE,
          globalSetup: ['test/e2e/global-setup.ts'],
          fileParallelism: false,
          env: { HOTLINE_E2E_ALONE: '1' },
          testTimeout: 120_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
