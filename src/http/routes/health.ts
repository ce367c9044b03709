import { Router } from 'express';

/** One reason the controller is not fully well: a stable code and words for the operator. */
export interface HealthReason {
  code: string;
  detail: string;
}

/** ARI's REST requests as /health shows them. */
export interface AriRequestHealth {
  /** How requests travel now: the events WebSocket or HTTP (absent while being chosen). */
  transport?: 'websocket' | 'http';
  inFlight: number;
  oldestMs: number;
  /** Requests that timed out within the last timeout period. */
  recentTimeouts: number;
  timeoutMs: number;
}

export interface HealthStatus {
  ari: boolean;
  ami: boolean;
  activeCalls: number;
  /** Why the status is 'degraded' (empty when all is well). */
  reasons?: HealthReason[];
  ariRequests?: AriRequestHealth;
}

/**
 * GET /health, without a token so a monitor can probe it.
 * `status` is 'degraded' when either Asterisk link is down or anything else is wrong, and
 * `reasons` says what (stable codes: ari-not-connected, ari-events-socket-closed,
 * ari-choosing-transport, asterisk-shutting-down, ari-application-replaced, ari-requests-stuck,
 * ami-down). The HTTP status is 503 only when ARI is down: without ARI no call is answered, so a
 * monitor or load balancer must act; otherwise calls still flow (maybe slowly, when requests are
 * stuck in an overloaded Asterisk, where restarting the controller would not help) and the body
 * says what is wrong.
 */
export function healthRoutes(health: () => HealthStatus): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    const { ari, ami, activeCalls, reasons = [], ariRequests } = health();
    res.status(ari ? 200 : 503).json({
      status: ari && ami && reasons.length === 0 ? 'ok' : 'degraded',
      ari,
      ami,
      activeCalls,
      reasons,
      ...(ariRequests ? { ariRequests } : {}),
    });
  });
  return router;
}
