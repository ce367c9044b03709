// The callback routes' deps for in-process HTTP tests: the default allow-list, two groups.
import type { CallbackStore } from '../../../src/callbacks/callback-store.js';
import { DEFAULT_ALLOWED_PATTERNS } from '../../../src/callbacks/number-policy.js';
import type { CallbackRoutesDeps } from '../../../src/http/routes/callbacks.js';

export function callbackDeps(store: CallbackStore, now: () => number = () => Date.UTC(2026, 2, 10, 2, 0, 0)): CallbackRoutesDeps {
  return { store, policy: () => ({ allowedPatterns: DEFAULT_ALLOWED_PATTERNS, groups: ['billing', 'repair'] }), now };
}
