// N8 after a controller restart: the callee of a callback, answered and in the flow when the
// controller that dialled it stopped, is adopted as the outbound call it was, not hung up (its
// row is done: nobody would call it back again). What the call needs comes from its callback
// row: the number, the reason, the group, the language and the ticket. The agent reserved for it
// is not: an agent already talking to the callee is taken back by the transfer step resumed at
// (the call's resume point names the leg), and one still waiting on hold music was hung up with
// the old controller's other legs, so the transfer rings the group as for any caller.
import { noClaim } from '../agents/agent-pool.js';
import type { AgentLeg } from '../agents/agent-desk.js';
import type { ChannelInfo } from '../ari/types.js';
import type { CallbackCall } from '../calls/call-facts.js';
import type { CallStart } from '../calls/handle-call.js';
import type { Flow } from '../flow/schema.js';
import type { CallbackRow } from './callback-store.js';

/** The adopted callee's channel (with the number it was dialled on) and how its call starts. */
export function adoptedCallbackStart(
  row: CallbackRow | undefined,
  channel: ChannelInfo,
  flow: Pick<Flow, 'callbacks'>,
): { channel: ChannelInfo; start: CallStart } {
  const settings = flow.callbacks;
  // N16: a revisit starts over at its own greeting, as the scheduler starts it.
  const entry = (row?.reason === 'revisit' ? settings.revisit?.entry : undefined) ?? settings.entry;
  const start: CallStart = { adopted: true, direction: 'outbound', ...(entry === undefined ? {} : { startAt: entry }) };
  if (!row) return { channel, start };
  return {
    // The listing's connected line is whatever the endpoint said; the row has the number dialled.
    channel: { ...channel, connected: { number: row.number, name: '' } },
    start: { ...start, callback: adoptedCallback(row, settings.group ?? '') },
  };
}

/** The callback as its adopted call sees it: no agent reserved any more (see above). */
function adoptedCallback(row: CallbackRow, defaultGroup: string): CallbackCall {
  const claim = noClaim('', `callback-${row.id}`);
  const leg: AgentLeg = {
    agent: { id: '', endpoint: '', workNumber: '', name: '' },
    outcome: 'failed',
    ringMs: 0,
    channelId: '',
    gone: Promise.resolve(),
  };
  return {
    id: row.id,
    reason: row.reason,
    group: row.group ?? defaultGroup,
    claim,
    leg,
    releaseAgent: () => Promise.resolve(),
    attempt: row.attempts,
    ...(row.language ? { language: row.language } : {}),
    ...(row.ticket !== null ? { ticket: row.ticket } : {}),
  };
}
