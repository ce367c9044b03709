import { describe, expect, it } from 'vitest';
import { AgentNotifier, type AgentEvent } from '../../src/agents/agent-notifier.js';
import type { CallOffer } from '../../src/agents/call-offer.js';

const INFO: CallOffer = {
  callId: 'c1',
  caller: '13800138000',
  menuPath: ['2', '1'],
  calledEarlierToday: true,
  ticket: '2605010001',
  group: 'repair',
};

describe('AgentNotifier', () => {
  it('delivers offer, connected and ended to the agent subscribed, only', () => {
    const n = new AgentNotifier();
    const a1: AgentEvent[] = [];
    const a2: AgentEvent[] = [];
    n.subscribe('a1', (e) => a1.push(e));
    n.subscribe('a2', (e) => a2.push(e));
    n.offer('a1', INFO);
    n.connected('a1', 'c1');
    n.ended('a1', 'c1');
    expect(a1).toEqual([
      { type: 'offer', info: INFO },
      { type: 'connected', callId: 'c1' },
      { type: 'ended', callId: 'c1' },
    ]);
    expect(a2).toEqual([]);
  });

  it('unsubscribe stops delivery and is idempotent', () => {
    const n = new AgentNotifier();
    const seen: AgentEvent[] = [];
    const off = n.subscribe('a1', (e) => seen.push(e));
    const other = n.subscribe('a1', () => undefined);
    off();
    off();
    expect(n.listenerCount('a1')).toBe(1);
    n.offer('a1', INFO);
    expect(seen).toEqual([]);
    other();
    expect(n.listenerCount('a1')).toBe(0);
  });

  it('a throwing listener reaches onListenerError, not the publisher, and others still get the event', () => {
    const errors: [unknown, string][] = [];
    const n = new AgentNotifier((err, agentId) => errors.push([err, agentId]));
    const seen: AgentEvent[] = [];
    n.subscribe('a1', () => {
      throw new Error('screen gone');
    });
    n.subscribe('a1', (e) => seen.push(e));
    expect(() => n.offer('a1', INFO)).not.toThrow();
    expect(errors).toEqual([[new Error('screen gone'), 'a1']]);
    expect(seen).toHaveLength(1);
  });

  it('an agent id of "error" is an ordinary id', () => {
    const n = new AgentNotifier();
    expect(() => n.offer('error', INFO)).not.toThrow();
  });

  it('remembers the current call until it ends', () => {
    const n = new AgentNotifier();
    expect(n.currentCall('a1')).toBeUndefined();
    n.offer('a1', INFO);
    expect(n.currentCall('a1')).toEqual({ info: INFO, connected: false });
    n.connected('a1', 'c1');
    expect(n.currentCall('a1')).toEqual({ info: INFO, connected: true });
    n.ended('a1', 'other-call');
    expect(n.currentCall('a1')).toBeDefined();
    n.ended('a1', 'c1');
    expect(n.currentCall('a1')).toBeUndefined();
  });

  it('N8: a callback is offered as `callback`, with why and which attempt; a screen that reconnects gets it again', () => {
    const n = new AgentNotifier();
    const seen: AgentEvent[] = [];
    n.subscribe('a1', (e) => seen.push(e));
    const callback: CallOffer = { ...INFO, menuPath: [], calledEarlierToday: false, callback: { id: 3, reason: 'dropped', attempt: 2 } };
    n.offer('a1', callback);
    expect(seen).toEqual([{ type: 'callback', info: callback }]);
    expect(n.currentCall('a1')).toEqual({ info: callback, connected: false });
  });
});
