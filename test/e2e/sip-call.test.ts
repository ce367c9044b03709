// N1 N14 over real SIP: SIPp dials 4008008000 through PJSIP on 127.0.0.1:5060.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, types } from './support/call-helpers.js';
import { runSipp } from './support/sipp.js';
import { freshCaller, startTestController, type TestController } from './support/test-controller.js';

describe('a SIP caller (SIPp) through PJSIP', () => {
  let hotline: TestController;

  beforeAll(async () => {
    hotline = await startTestController('test/fixtures/flows/e2e.yaml');
  });
  afterAll(async () => {
    await hotline?.stop();
  });

  it('N1 N14: 4008008000 rings (180) before it is answered (200), and the call is logged', async () => {
    const number = freshCaller();
    const run = await runSipp({
      scenario: 'test/e2e/sipp/caller-ringback.xml',
      service: '4008008000',
      keys: { caller: number },
      holdMs: 2000,
    });
    expect(run.exitCode, run.output).toBe(0);

    const received = run.messages.filter((m) => m.direction === 'received').map((m) => m.firstLine);
    const ringing = received.findIndex((l) => l.startsWith('SIP/2.0 180'));
    const ok = received.findIndex((l) => l.startsWith('SIP/2.0 200'));
    expect(ringing).toBeGreaterThanOrEqual(0);
    expect(ok).toBeGreaterThan(ringing);
    // The answer came a full ring cycle (500 ms in this flow) after ringing started.
    const ringAt = run.messages.filter((m) => m.direction === 'received')[ringing]!.at;
    const okAt = run.messages.filter((m) => m.direction === 'received')[ok]!.at;
    expect(okAt - ringAt).toBeGreaterThanOrEqual(400);
    expect(okAt - ringAt).toBeLessThanOrEqual(1300);

    const call = await hotline.endedCall(number);
    expect(call).toMatchObject({ caller: number, called: '4008008000', hangupBy: 'caller', outcome: 'abandoned' });
    const events = await hotline.events(call.id);
    expect(types(events).slice(0, 2)).toEqual(['call.ringing', 'call.answered']);
    expect(dataOf(events, 'call.answered')).toMatchObject({ withinBudget: true, rings: 2 });
    // Issue 12: a BYE without a Reason header carries no Q.850 cause (AMI's Hangup says 0,
    // "not set"): a plain BYE is a normal clearing, logged 16, by the caller.
    expect(dataOf(events, 'call.hangup')).toMatchObject({ by: 'caller', cause: 16 });
    expect(call.hangupCause).toBe(16);
  });
});

describe('a silent SIP caller (SIPp, no RTP at all)', () => {
  let hotline: TestController;

  beforeAll(async () => {
    hotline = await startTestController('test/fixtures/flows/caller-care.yaml', { FLOW_TIME_SCALE: '0.5' });
  });
  afterAll(async () => {
    await hotline?.stop();
  });

  it('N3: gets the whole silent-line protocol and a BYE from the hotline', async () => {
    const number = freshCaller();
    const run = await runSipp({
      scenario: 'test/e2e/sipp/caller-silent.xml',
      service: '4008008000',
      keys: { caller: number },
      localPort: 5071,
      timeoutS: 90,
    });
    // The scenario only completes when the hotline hangs up (it waits for the BYE).
    expect(run.exitCode, run.output).toBe(0);
    expect(run.messages.some((m) => m.direction === 'received' && m.firstLine.startsWith('BYE '))).toBe(true);

    const call = await hotline.endedCall(number);
    const events = await hotline.events(call.id);
    expect(events.filter((e) => e.type === 'silent.attempt')).toHaveLength(3);
    expect(types(events)).toContain('silent.goodbye');
    expect(types(events)).not.toContain('silent.ended');
    expect(call).toMatchObject({ hangupBy: 'system', outcome: 'completed' });
  });
});
