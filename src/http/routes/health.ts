import { Router } from 'express';
import type { AdmissionStatus } from '../../overload/admission.js';

export interface HealthStatus {
  ari: boolean;
  ami: boolean;
  activeCalls: number;
  /** Issue 12: live calls against the capacity, the event loop's delay, and callers shed. */
  load?: AdmissionStatus;
}

/**
 * GET /health, without a token so a monitor can probe it.
 * `status` is 'degraded' when either Asterisk link is down, or while new callers are shed
 * (`shedding` says why: `capacity` or `event-loop`; `load` has the figures and the counts). The
 * HTTP status is 503 only when ARI is down: without ARI no call is answered, so a monitor or load
 * balancer must act; with AMI down or callers shed, calls still flow (those shed are answered
 * and apologised to) and the body says what is wrong.
 */
export function healthRoutes(health: () => HealthStatus): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    const { ari, ami, activeCalls, load } = health();
    const shedding = load?.shedding?.reason ?? null;
    res.status(ari ? 200 : 503).json({
      status: ari && ami && !shedding ? 'ok' : 'degraded',
      ari,
      ami,
      activeCalls,
      ...(load ? { shedding, load } : {}),
    });
  });
  return router;
}
