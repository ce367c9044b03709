// N8 after a restart: an answered callback's callee is adopted as the outbound call it was,
// from its callback row. No agent is reserved for it any more (one talking to it is taken back
// by the transfer step; see verb-transfer-resume), so the transfer rings the group as usual.
import { describe, expect, it } from 'vitest';
import { adoptedCallbackStart } from '../../src/callbacks/adopted-callback.js';
import type { CallbackRow } from '../../src/callbacks/callback-store.js';
import type { ChannelInfo } from '../../src/ari/types.js';
import { flowFromYaml } from './support/fake-call.js';

const FLOW = flowFromYaml(`
hotline: { name: Test line, number: "4008008000" }
agents:
  agents: { k1: { endpoint: PJSIP/k1, workNumber: "1077", name: 一号 } }
  groups:
    desk: { name: 服务台, strategy: ordered, members: [k1] }
    repair: { name: 维修, strategy: ordered, members: [k1] }
callbacks:
  dial: PJSIP/{number}@trunk
  group: desk
  entry: callback-greet
  revisit: { group: desk, entry: revisit-greet }
steps:
  answer: { verb: answer, next: bye }
  callback-greet: { verb: play, prompt: callback.greeting, next: bye }
  revisit-greet: { verb: play, prompt: callback.greeting, next: bye }
  bye: { verb: hangup }
`);

const CHANNEL: ChannelInfo = {
  id: 'callee-1',
  name: 'PJSIP/trunk-0001',
  state: 'Up',
  caller: { number: '4008008000', name: '' },
  connected: { number: '', name: '' },
  creationtime: '2026-03-10T02:00:00.000Z',
};

function row(over: Partial<CallbackRow> = {}): CallbackRow {
  return {
    id: 7, callId: 'call-1', number: '13800138000', reason: 'dropped', group: null, promisedBy: 0, status: 'done', attempts: 2,
    createdAt: 0, nextAttemptAt: null, lastAttemptAt: null, outcome: 'answered', claimToken: null, language: 'en', ticket: '2603100001',
    ...over,
  };
}

describe('an adopted callback callee (N8)', () => {
  it('N8 N18 N13: the outbound call it was: the number dialled, the reason, the group, the language and the ticket; no agent reserved', async () => {
    const { channel, start } = adoptedCallbackStart(row(), CHANNEL, FLOW);
    expect(channel.connected).toEqual({ number: '13800138000', name: '' });
    expect(start).toMatchObject({ adopted: true, direction: 'outbound', startAt: 'callback-greet' });
    expect(start.callback).toMatchObject({ id: 7, reason: 'dropped', group: 'desk', attempt: 2, language: 'en', ticket: '2603100001' });
    // The placeholder leg is never live (the transfer rings the group) and freeing it frees nobody.
    expect(start.callback?.leg.channelId).toBe('');
    await expect(start.callback?.releaseAgent()).resolves.toBeUndefined();
  });

  it('N16: a revisit starts over at its own greeting; the row\'s group wins over the flow\'s', () => {
    const { start } = adoptedCallbackStart(row({ reason: 'revisit', group: 'repair', language: null, ticket: null }), CHANNEL, FLOW);
    expect(start.startAt).toBe('revisit-greet');
    expect(start.callback?.group).toBe('repair');
    expect(start.callback).not.toHaveProperty('language');
    expect(start.callback).not.toHaveProperty('ticket');
  });

  it('a callback row that is gone: still adopted as an outbound call at the callback entry, with nothing more known', () => {
    const { channel, start } = adoptedCallbackStart(undefined, CHANNEL, FLOW);
    expect(channel).toBe(CHANNEL);
    expect(start).toEqual({ adopted: true, direction: 'outbound', startAt: 'callback-greet' });
  });
});
