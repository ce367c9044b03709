import { Router } from 'express';
import type { AdmissionStatus } from '../../overload/admission.js';

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
  /** Issue 12: live calls against the capacity, the event loop's delay, ARI's latency, and callers shed. */
  load?: AdmissionStatus;
  /** Why the status is 'degraded' (empty when all is well). */
  reasons?: HealthReason[];
  ariRequests?: AriRequestHealth;
}

/**
 * GET /health, without a token so a monitor can probe it.
 * `status` is 'degraded' when either Asterisk link is down or anything else is wrong, and
 * `reasons` says what (stable codes: ari-not-connected, ari-events-socket-closed,
 * ari-choosing-transport, asterisk-shutting-down, ari-application-replaced, ari-requests-stuck,
 * ami-down, shedding-capacity, shedding-event-loop, shedding-ari-latency). While new callers are
 * shed, `shedding` says why (`capacity`, `event-loop` or `ari-latency`) and `load` has the
 * figures (ARI latency: the last window's p99 and max, the oldest unanswered request) and the
 * counts. The HTTP status is 503 only when ARI is down: without ARI no call is answered, so a
 * monitor or load balancer must act; otherwise calls still flow (maybe slowly, when requests
 * are stuck in an overloaded Asterisk, where restarting the controller would not help; those
 * shed are answered and apologised to) and the body says what is wrong.
 */
export function healthRoutes(health: () => HealthStatus): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    const { ari, ami, activeCalls, load, reasons = [], ariRequests } = health();
    const shedding = load?.shedding?.reason ?? null;
    const all = shedding ? [...reasons, { code: `shedding-${shedding}`, detail: `new callers are shed (${shedding})` }] : reasons;
    res.status(ari ? 200 : 503).json({
      status: ari && ami && all.length === 0 ? 'ok' : 'degraded',
      ari,
      ami,
      activeCalls,
      reasons: all,
      ...(ariRequests ? { ariRequests } : {}),
      ...(load ? { shedding, load } : {}),
    });
  });
  return router;
}
