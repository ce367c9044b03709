// Why a channel is in the application. Inbound callers enter from the generated dialplan with
// `Stasis(<app>,talk-detect)` (or no arguments, from an entry of their own); legs this controller dials (an agent for a transfer, the
// callee of a callback) are originated into the app with their role and the call that owns them
// as Stasis arguments, so the role travels with the channel: the events of this connection and
// the channel listing after a reconnect (dialplan.app_data) both carry it.
// A snoop channel (N14: it records both directions of a caller's channel) enters the app too,
// with role `snoop` and its call: it is never taken for a new caller, and one whose call is not
// this controller's is hung up like any orphaned leg.

export type ChannelRole = 'inbound' | 'agent-leg' | 'callback-leg' | 'snoop';
/** A channel this controller made (dialled, or a snoop on a caller): never a call of its own. */
export type DialledRole = Exclude<ChannelRole, 'inbound'>;

const DIALLED: readonly DialledRole[] = ['agent-leg', 'callback-leg', 'snoop'];

/**
 * The generated entry's Stasis argument: talk detection (N3) was turned on in the dialplan
 * before Stasis(), so the controller must not set it again over ARI (that request queues behind
 * a playing prompt and was seen to block an adopted call).
 */
export const INBOUND_TALK_DETECT_ARG = 'talk-detect';

/** True when the entry dialplan turned talk detection on (its Stasis arguments say so). */
export function talkDetectedByEntry(args: readonly string[]): boolean {
  return args[0] === INBOUND_TALK_DETECT_ARG;
}

/** The Stasis arguments of a dialled leg: its role and the id of the call that owns it. */
export function legArgs(role: DialledRole, owner: string): string {
  return `${role},${owner}`;
}

/**
 * The role and owner a channel's Stasis arguments name. No arguments: an inbound caller. The
 * older `agent,<call>` form counts as an agent leg (legs dialled by a controller before this
 * version may still be up after an upgrade).
 */
export function roleOf(args: readonly string[]): { role: ChannelRole; owner?: string } {
  const [first = '', owner] = args;
  if (first === 'agent') return { role: 'agent-leg', owner };
  if ((DIALLED as readonly string[]).includes(first)) return { role: first as DialledRole, owner };
  return { role: 'inbound' };
}

/** The Stasis arguments of a listed channel: `app_data` is `<app>,<arg>,<arg>…`. */
export function stasisArgs(appData: string | undefined): { app: string; args: string[] } {
  const [app = '', ...args] = (appData ?? '').split(',');
  return { app, args };
}
