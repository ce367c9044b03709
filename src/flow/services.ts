// The services a verb may use, as one read-only bundle shared by every call: the composition root
// wires what it has, and a verb declares what it needs (`needs` in its definition), so a flow
// whose verb needs a service the controller does not wire is rejected at load, not mid-call.
import type { AgentDesk } from '../agents/agent-desk.js';
import type { CallbackStore } from '../callbacks/callback-store.js';
import type { HoursService } from '../calendar/hours-service.js';
import type { Recordings } from '../recording/call-recording.js';
import type { CallerHistory } from '../store/caller-history.js';
import type { SurveyStore } from '../surveys/survey-store.js';
import type { TicketStore } from '../tickets/ticket-store.js';

export interface Services {
  /** N6: the agents a call is transferred to. */
  agents?: AgentDesk;
  /** N7/N8: where callback requests are stored. */
  callbacks?: CallbackStore;
  /** N13: service tickets. */
  tickets?: TicketStore;
  /** N12: who called earlier today (read through the call's facts). */
  callerHistory?: CallerHistory;
  /** N16: satisfaction ratings. */
  surveys?: SurveyStore;
  /** N14: call recordings (their rows and files). */
  recordings?: Recordings;
  /** N15: service hours (the flow's, imported holidays, the operator override). */
  hours?: HoursService;
}

export type ServiceName = keyof Services;

// A record, so that a service added to Services without a name here is a compile error.
const NAMES: { readonly [K in ServiceName]: K } = {
  agents: 'agents',
  callbacks: 'callbacks',
  tickets: 'tickets',
  callerHistory: 'callerHistory',
  surveys: 'surveys',
  recordings: 'recordings',
  hours: 'hours',
};

/** Every service name. */
export const SERVICE_NAMES: readonly ServiceName[] = Object.values(NAMES);

/** The names of the services a bundle actually holds. */
export function wiredServices(services: Readonly<Services>): ReadonlySet<ServiceName> {
  return new Set(SERVICE_NAMES.filter((name) => services[name] !== undefined));
}
