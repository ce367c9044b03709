// N6: agents whose phone is not there are skipped, in order, from the endpoint state Asterisk
// reports; endpoints without a state (Local) and failed lookups count as reachable.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/agents/agent-pool.js';
import { checkReachability, splitEndpoint } from '../../src/agents/endpoint-reachability.js';
import type { EndpointState } from '../../src/ari/ari-adapter.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';

const agent = (id: string, endpoint: string): Agent => ({ id, endpoint, workNumber: id, name: id });
const never = () => new Promise<EndpointState>(() => undefined);

let clock: VirtualClock;
let call: AbortController;

beforeEach(() => {
  clock = new VirtualClock();
  call = new AbortController();
});

describe('endpoint reachability (N6)', () => {
  it('N6: splits a dial string into technology and resource', () => {
    expect(splitEndpoint('PJSIP/1001')).toEqual(['PJSIP', '1001']);
    expect(splitEndpoint('pjsip/1001/sip:1001@10.0.0.5')).toEqual(['PJSIP', '1001']);
    expect(splitEndpoint('PJSIP/13800138000@trunk')).toEqual(['PJSIP', 'trunk']);
    expect(splitEndpoint('Local/answer@agents')).toEqual(['LOCAL', 'agents']);
  });

  it('N6: offline and unconfigured endpoints are skipped; online, unknown and Local ones keep their order', async () => {
    const states: Record<string, EndpointState> = { '1001': 'offline', '1002': 'online', '1003': 'unknown', '1004': 'missing' };
    const asked: string[] = [];
    const result = await checkReachability(
      [agent('a1', 'PJSIP/1001'), agent('a2', 'PJSIP/1002'), agent('l1', 'Local/answer@agents'), agent('a3', 'PJSIP/1003'), agent('a4', 'PJSIP/1004')],
      (technology, resource) => {
        asked.push(`${technology}/${resource}`);
        return Promise.resolve(states[resource]!);
      },
      () => undefined,
      clock,
      call.signal,
    );
    expect(result.reachable.map((a) => a.id)).toEqual(['a2', 'l1', 'a3']);
    expect(result.unreachable).toEqual([
      { agent: 'a1', state: 'offline' },
      { agent: 'a4', state: 'missing' },
    ]);
    // Local endpoints have no state in Asterisk: nothing is asked for them.
    expect(asked).toEqual(['PJSIP/1001', 'PJSIP/1002', 'PJSIP/1003', 'PJSIP/1004']);
    // Answered lookups leave no limit timer behind.
    expect(clock.pending).toBe(0);
  });

  it('N6: a lookup slower than 500 ms counts as reachable: the caller is not held for it', async () => {
    let settled = false;
    const result = checkReachability([agent('a1', 'PJSIP/1001')], never, () => undefined, clock, call.signal);
    void result.then(() => (settled = true));
    await clock.advance(499);
    expect(settled).toBe(false);
    await clock.advance(1);
    expect(settled).toBe(true);
    expect((await result).reachable.map((a) => a.id)).toEqual(['a1']);
  });

  it('N6: the 500 ms limit is per lookup, in parallel: a fast answer still counts beside a slow one', async () => {
    const result = checkReachability(
      [agent('a1', 'PJSIP/1001'), agent('a2', 'PJSIP/1002')],
      (_technology, resource) => (resource === '1001' ? never() : Promise.resolve<EndpointState>('offline')),
      () => undefined,
      clock,
      call.signal,
    );
    await clock.advance(500);
    expect(await result).toEqual({ reachable: [agent('a1', 'PJSIP/1001')], unreachable: [{ agent: 'a2', state: 'offline' }] });
  });

  it('N6: a call that ends waits no longer: unanswered lookups count as reachable at once', async () => {
    let settled = false;
    const result = checkReachability([agent('a1', 'PJSIP/1001')], never, () => undefined, clock, call.signal);
    void result.then(() => (settled = true));
    await clock.advance(100);
    call.abort(new Error('caller hung up'));
    await clock.advance(0);
    expect(settled).toBe(true);
    expect((await result).reachable.map((a) => a.id)).toEqual(['a1']);
    expect(clock.pending).toBe(0);
  });

  it('N6: a lookup that fails after the limit is neither reported nor unhandled', async () => {
    const errors: unknown[] = [];
    let fail: (err: Error) => void = () => undefined;
    const result = checkReachability(
      [agent('a1', 'PJSIP/1001')],
      () => new Promise<EndpointState>((_resolve, reject) => (fail = reject)),
      (err) => errors.push(err),
      clock,
      call.signal,
    );
    await clock.advance(500);
    expect((await result).reachable.map((a) => a.id)).toEqual(['a1']);
    fail(new Error('late'));
    await clock.advance(0);
    expect(errors).toEqual([]);
  });

  it('N6: a failed lookup counts as reachable and is reported', async () => {
    const errors: string[] = [];
    const result = await checkReachability(
      [agent('a1', 'PJSIP/1001')],
      () => Promise.reject(new Error('ARI is not connected')),
      (err, a) => errors.push(`${a.id}: ${(err as Error).message}`),
      clock,
      call.signal,
    );
    expect(result.reachable.map((a) => a.id)).toEqual(['a1']);
    expect(result.unreachable).toEqual([]);
    expect(errors).toEqual(['a1: ARI is not connected']);
  });
});
