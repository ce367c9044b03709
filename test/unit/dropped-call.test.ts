// N9: which ends are drops, and the apology callback a drop schedules (immediate, 3 min promise,
// the caller's place kept).
import { describe, expect, it } from 'vitest';
import { createCallFacts } from '../../src/calls/call-facts.js';
import { createCallbackStore } from '../../src/callbacks/callback-store.js';
import { isDropped, recoverDroppedCall } from '../../src/callbacks/dropped-call.js';
import { DEFAULT_ALLOWED_PATTERNS } from '../../src/callbacks/number-policy.js';
import { openDatabase } from '../../src/store/database.js';

const T0 = Date.UTC(2026, 2, 10, 2, 0, 0);

describe('N9 dropped calls', () => {
  it.each([
    ['queued', 'caller', 34, true],
    ['transferring', 'caller', 38, true],
    ['bridged', 'caller', 41, true],
    ['bridged', 'caller', 16, false], // the caller hung up normally
    ['bridged', 'caller', 0, false], // a SIP BYE without a reason, as AMI reports it
    ['queued', 'caller', undefined, false], // no cause known: not called a drop
    ['in-flow', 'caller', 34, false], // not waiting for an agent
    ['bridged', 'system', 34, false], // we hung up
  ] as const)('ended in %s by the %s with cause %s: dropped %s', (endedIn, by, cause, dropped) => {
    expect(isDropped({ endedIn, by, cause })).toBe(dropped);
  });

  it('a drop while queued schedules an immediate "dropped" callback to the group, keeping the place', () => {
    const store = createCallbackStore(openDatabase(':memory:'));
    const facts = createCallFacts({ direction: 'inbound', caller: '13800138000', language: 'zh-CN' });
    facts.group = 'desk';
    facts.queuedAt = T0 - 90_000;
    const row = recoverDroppedCall(
      { callId: 'c1', facts, endedIn: 'queued', by: 'caller', cause: 34, now: T0 },
      store,
      DEFAULT_ALLOWED_PATTERNS,
    );
    expect(row).toMatchObject({
      reason: 'dropped', group: 'desk', number: '13800138000', status: 'pending',
      nextAttemptAt: T0, promisedBy: T0 + 3 * 60_000, createdAt: T0 - 90_000,
    });
  });

  it('a withheld or refused number gets no callback; neither does an outbound call', () => {
    const store = createCallbackStore(openDatabase(':memory:'));
    const end = (caller: string, direction: 'inbound' | 'outbound' = 'inbound') => ({
      callId: 'c1',
      facts: createCallFacts({ direction, caller, language: 'zh-CN' as const }),
      endedIn: 'bridged' as const,
      by: 'caller' as const,
      cause: 34,
      now: T0,
    });
    expect(recoverDroppedCall(end('anonymous'), store, DEFAULT_ALLOWED_PATTERNS)).toBeUndefined();
    expect(recoverDroppedCall(end('008613800138000'), store, DEFAULT_ALLOWED_PATTERNS)).toBeUndefined();
    expect(recoverDroppedCall(end('13800138000', 'outbound'), store, DEFAULT_ALLOWED_PATTERNS)).toBeUndefined();
    expect(store.list()).toEqual([]);
  });
});
