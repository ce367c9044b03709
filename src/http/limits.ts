// The HTTP edge's limits, in one place. The app takes them from its deps (HttpAppDeps.limits);
// nothing reads them from the environment, so tests and the controller see the same defaults.

export interface RateLimit {
  /** Requests allowed per client (IP) and window. */
  limit: number;
  windowMs: number;
}

export interface HttpLimits {
  /**
   * Wrong or missing tokens per IP and window. Once reached, every request from that IP gets
   * 429 `rate-limited` until the window ends, the right token included: otherwise the limit
   * would not limit guessing (a 200 among 429s would still tell a guess was right).
   */
  authFailures: RateLimit;
  /** Every request but /health, per IP: far above what an operator screen sends. */
  requests: RateLimit;
  /** GET /health per IP: a monitor probes every few seconds. */
  health: RateLimit;
  /** Open event streams per agent (an agent's screen, a second tab, a reconnect in flight). */
  streamsPerAgent: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  authFailures: { limit: 10, windowMs: 60_000 },
  requests: { limit: 1_200, windowMs: 60_000 },
  health: { limit: 120, windowMs: 60_000 },
  streamsPerAgent: 5,
};

export type HttpLimitsOverride = { [K in keyof HttpLimits]?: HttpLimits[K] extends number ? number : Partial<HttpLimits[K]> };

export function resolveLimits(override: HttpLimitsOverride = {}): HttpLimits {
  const d = DEFAULT_HTTP_LIMITS;
  const limits: HttpLimits = {
    authFailures: { ...d.authFailures, ...override.authFailures },
    requests: { ...d.requests, ...override.requests },
    health: { ...d.health, ...override.health },
    streamsPerAgent: override.streamsPerAgent ?? d.streamsPerAgent,
  };
  const checks: [string, number][] = [
    ['streamsPerAgent', limits.streamsPerAgent],
    ...(['authFailures', 'requests', 'health'] as const).flatMap((name): [string, number][] => [
      [`${name}.limit`, limits[name].limit],
      [`${name}.windowMs`, limits[name].windowMs],
    ]),
  ];
  for (const [name, value] of checks) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`HTTP limit ${name} must be a positive integer, got ${value}`);
  }
  return limits;
}
