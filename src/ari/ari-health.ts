// What /health says about ARI: down (and why) the moment the adapter knows, and 'stuck' while
// requests time out (an overloaded Asterisk answers late or not at all). Read on every probe,
// from the adapter's own state: no timer, no polling.
import type { HealthReason } from '../http/routes/health.js';
import type { AriDownReason, AriHealth } from './ari-adapter.js';

const DOWN: Record<AriDownReason, HealthReason> = {
  'not-connected': { code: 'ari-not-connected', detail: 'ARI is not reachable yet; the controller keeps trying' },
  'events-socket-closed': { code: 'ari-events-socket-closed', detail: "ARI's events socket closed; the controller is reconnecting" },
  'choosing-transport': { code: 'ari-choosing-transport', detail: 'ARI is connected; the REST transport is being chosen' },
  'asterisk-shutting-down': { code: 'asterisk-shutting-down', detail: 'Asterisk is shutting down or restarting: calls in progress end' },
  'application-replaced': {
    code: 'ari-application-replaced',
    detail: 'another connection took over the ARI application (a second controller with the same ARI_APP?): no calls come here',
  },
};

export function ariHealthReasons(health: AriHealth): HealthReason[] {
  const reasons: HealthReason[] = [];
  if (!health.up && health.reason) reasons.push(DOWN[health.reason]);
  const { inFlight, oldestMs, recentTimeouts, timeoutMs } = health.requests;
  // A request in flight for longer than its timeout should not exist; counted all the same.
  if (recentTimeouts > 0 || (inFlight > 0 && oldestMs >= timeoutMs)) {
    reasons.push({
      code: 'ari-requests-stuck',
      detail: `${recentTimeouts} ARI request(s) got no answer within ${timeoutMs} ms in the last ${timeoutMs} ms; ${inFlight} in flight, the oldest for ${oldestMs} ms`,
    });
  }
  return reasons;
}
