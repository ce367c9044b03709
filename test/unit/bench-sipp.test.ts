// npm run bench:load reads SIPp's statistics file and short message log
// (bench/load/sipp-results.ts). The fixtures are real SIPp 3.6.1 output of the bench's caller
// (bench/load/caller.xml) against SIPp's own answering UAS (ok-*), one answering 486 (busy-*),
// one that answers and hangs up itself 0.1–0.5 s later (test/fixtures/sipp/hangs-up-uas.xml:
// hotline-bye-* with a hold of 2 s, mixed-bye-* with 0.3 s) and one that sends a BYE before
// any answer (early-bye-uas.xml: early-bye-*). Who hung up an answered call first is its first
// BYE: sent by SIPp (the caller, its hold over) or received (the hotline, e.g. a shed caller).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answering, parseShortMessages, parseSippStats } from '../../bench/load/sipp-results.js';

const fixture = (name: string) => readFileSync(`test/fixtures/sipp/${name}`, 'utf8');

describe('parseSippStats (bench:load)', () => {
  it('reads the cumulative counts of the last line: 4 calls placed, 4 passed, none failed', () => {
    expect(parseSippStats(fixture('ok-stat.csv'))).toEqual({ attempted: 4, successful: 4, failed: 0, failures: {} });
  });

  it('counts failed calls with SIPp reason: 486 to every INVITE is an unexpected message', () => {
    expect(parseSippStats(fixture('busy-stat.csv'))).toEqual({ attempted: 3, successful: 0, failed: 3, failures: { UnexpectedMessage: 3 } });
  });

  it('refuses a file without statistics or without a column it needs, naming it', () => {
    expect(() => parseSippStats('')).toThrow(/no statistics/);
    expect(() => parseSippStats('StartTime;OutgoingCall(C)\nx;1\n')).toThrow(/SuccessfulCall\(C\)/);
    expect(() => parseSippStats('OutgoingCall(C);SuccessfulCall(C);FailedCall(C)\n1;x;0\n')).toThrow(/SuccessfulCall\(C\) is not a number/);
  });
});

describe('parseShortMessages and answering (bench:load)', () => {
  it('takes each call INVITE→200 to the microsecond, the 180 before it ignored', () => {
    const calls = parseShortMessages(fixture('ok-short.txt'));
    expect(calls).toHaveLength(4);
    const first = calls[0]!;
    expect(first.final?.status).toBe(200);
    const a = answering(calls, 0);
    expect(a.answered).toBe(4);
    expect(a.unanswered).toBe(0);
    expect(a.refused).toEqual({});
    for (const ms of a.answerMs) {
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThan(50); // SIPp's UAS on loopback answers within a few ms
    }
  });

  it('counts refusals by status and answers none of them', () => {
    const a = answering(parseShortMessages(fixture('busy-short.txt')), 0);
    expect(a).toEqual({ answered: 0, answerMs: [], refused: { 486: 3 }, unanswered: 0, endedByCaller: 0, endedByHotline: 0 });
  });

  const line = (epoch: string, dir: 'S' | 'R', id: string, cseq: string, first: string) =>
    ['2026-11-30', '03:22:02.980473', epoch, dir, id, cseq, first].join('\t');

  it('keeps the first INVITE of a retransmission and the first 200, and takes off the configured answer delay', () => {
    const text = [
      line('100.000000', 'S', 'c1', 'CSeq:1 INVITE', 'INVITE sip:4008009001@127.0.0.1:5060 SIP/2.0'),
      line('100.500000', 'S', 'c1', 'CSeq:1 INVITE', 'INVITE sip:4008009001@127.0.0.1:5060 SIP/2.0'),
      line('100.501000', 'R', 'c1', 'CSeq:1 INVITE', 'SIP/2.0 100 Trying'),
      line('105.004250', 'R', 'c1', 'CSeq:1 INVITE', 'SIP/2.0 200 OK'),
      line('105.010000', 'R', 'c1', 'CSeq:1 INVITE', 'SIP/2.0 200 OK'),
      line('105.011000', 'S', 'c1', 'CSeq:1 ACK', 'ACK sip:4008009001@127.0.0.1:5060 SIP/2.0'),
      line('115.011000', 'S', 'c1', 'CSeq:2 BYE', 'BYE sip:4008009001@127.0.0.1:5060 SIP/2.0'),
      line('115.012000', 'R', 'c1', 'CSeq:2 BYE', 'SIP/2.0 200 OK'),
      line('101.000000', 'S', 'c2', 'CSeq:1 INVITE', 'INVITE sip:4008009001@127.0.0.1:5060 SIP/2.0'),
      line('101.002000', 'R', 'c2', 'CSeq:1 INVITE', 'SIP/2.0 488 Not Acceptable Here'),
      line('102.000000', 'S', 'c3', 'CSeq:1 INVITE', 'INVITE sip:4008009001@127.0.0.1:5060 SIP/2.0'),
      'a line that is not a message',
    ].join('\n');
    const calls = parseShortMessages(text);
    expect(calls.map((c) => c.callId)).toEqual(['c1', 'c2', 'c3']);
    const a = answering(calls, 5000);
    expect(a.answered).toBe(1);
    expect(a.answerMs[0]).toBeCloseTo(4.25, 6);
    expect(a.refused).toEqual({ 488: 1 });
    expect(a.unanswered).toBe(1);
    expect([a.endedByCaller, a.endedByHotline]).toEqual([1, 0]);
  });

  it('a BYE answered 200 is not an answer to the INVITE', () => {
    const text = [
      line('1.0', 'S', 'c1', 'CSeq:1 INVITE', 'INVITE sip:x@127.0.0.1 SIP/2.0'),
      line('3.0', 'R', 'c1', 'CSeq:2 BYE', 'SIP/2.0 200 OK'),
    ].join('\n');
    expect(answering(parseShortMessages(text), 0)).toEqual({ answered: 0, answerMs: [], refused: {}, unanswered: 1, endedByCaller: 0, endedByHotline: 0 });
  });
});

describe('who hung up first (bench:load)', () => {
  const line = (epoch: string, dir: 'S' | 'R', id: string, cseq: string, first: string) =>
    ['2026-11-30', '07:28:36.000000', epoch, dir, id, cseq, first].join('\t');
  const answered = (id: string, t: number) => [
    line(`${t}.000000`, 'S', id, 'CSeq:1 INVITE', 'INVITE sip:4008009001@127.0.0.1:5060 SIP/2.0'),
    line(`${t}.002000`, 'R', id, 'CSeq:1 INVITE', 'SIP/2.0 200 OK'),
    line(`${t}.002100`, 'S', id, 'CSeq:1 ACK', 'ACK sip:4008009001@127.0.0.1:5060 SIP/2.0'),
  ];
  const callerBye = (id: string, epoch: string) => line(epoch, 'S', id, 'CSeq:2 BYE', 'BYE sip:4008009001@127.0.0.1:5060 SIP/2.0');
  const hotlineBye = (id: string, epoch: string) => line(epoch, 'R', id, 'CSeq:102 BYE', 'BYE sip:13800138000@127.0.0.1:25060 SIP/2.0');
  const byeAnswered = (id: string, epoch: string, dir: 'S' | 'R', cseq: string) => line(epoch, dir, id, cseq, 'SIP/2.0 200 OK');

  it('the hotline hung up every call of hotline-bye-* (SIPp counts them completed, none failed)', () => {
    expect(parseSippStats(fixture('hotline-bye-stat.csv'))).toEqual({ attempted: 3, successful: 3, failed: 0, failures: {} });
    const calls = parseShortMessages(fixture('hotline-bye-short.txt'));
    expect(calls.map((c) => c.firstBye?.by)).toEqual(['hotline', 'hotline', 'hotline']);
    const a = answering(calls, 0);
    expect([a.answered, a.endedByCaller, a.endedByHotline]).toEqual([3, 0, 3]);
  });

  it('mixed-bye-*: each call is the caller\'s or the hotline\'s, whichever BYE came first, all 8 completed', () => {
    expect(parseSippStats(fixture('mixed-bye-stat.csv'))).toEqual({ attempted: 8, successful: 8, failed: 0, failures: {} });
    const calls = parseShortMessages(fixture('mixed-bye-short.txt'));
    expect(Object.fromEntries(calls.map((c) => [c.callId.split('-')[0], c.firstBye?.by]))).toEqual({
      1: 'hotline',
      2: 'hotline',
      3: 'caller',
      4: 'caller',
      5: 'hotline',
      6: 'hotline',
      7: 'caller',
      8: 'hotline',
    });
    const a = answering(calls, 0);
    expect([a.answered, a.endedByCaller, a.endedByHotline]).toEqual([8, 3, 5]);
  });

  it('a BYE before the answer (early-bye-*) is no hang-up of an answered call: SIPp fails the call', () => {
    expect(parseSippStats(fixture('early-bye-stat.csv'))).toEqual({ attempted: 2, successful: 0, failed: 2, failures: { UnexpectedMessage: 2 } });
    const a = answering(parseShortMessages(fixture('early-bye-short.txt')), 0);
    expect(a).toEqual({ answered: 0, answerMs: [], refused: {}, unanswered: 2, endedByCaller: 0, endedByHotline: 0 });
  });

  it('the caller hung up (its BYE sent, answered 200)', () => {
    const calls = parseShortMessages([...answered('c1', 100), callerBye('c1', '110.002200'), byeAnswered('c1', '110.003000', 'R', 'CSeq:2 BYE')].join('\n'));
    expect(calls[0]!.firstBye).toEqual({ by: 'caller', at: 110_002.2 });
    expect(answering(calls, 0)).toMatchObject({ answered: 1, endedByCaller: 1, endedByHotline: 0 });
  });

  it('the hotline hung up (its BYE received, answered 200 by SIPp): the 200 SIPp sends is not a BYE of the caller', () => {
    const calls = parseShortMessages([...answered('c1', 100), hotlineBye('c1', '103.500000'), byeAnswered('c1', '103.500100', 'S', 'CSeq:102 BYE')].join('\n'));
    expect(calls[0]!.firstBye).toEqual({ by: 'hotline', at: 103_500 });
    expect(answering(calls, 0)).toMatchObject({ answered: 1, endedByCaller: 0, endedByHotline: 1 });
  });

  it('a retransmitted BYE counts once and keeps its first time, from either side', () => {
    const text = [
      ...answered('c1', 100),
      hotlineBye('c1', '103.500000'),
      hotlineBye('c1', '104.000000'),
      byeAnswered('c1', '104.000100', 'S', 'CSeq:102 BYE'),
      ...answered('c2', 101),
      callerBye('c2', '111.000000'),
      callerBye('c2', '111.500000'),
      byeAnswered('c2', '111.500200', 'R', 'CSeq:2 BYE'),
    ].join('\n');
    const calls = parseShortMessages(text);
    expect(calls.map((c) => c.firstBye)).toEqual([
      { by: 'hotline', at: 103_500 },
      { by: 'caller', at: 111_000 },
    ]);
    expect(answering(calls, 0)).toMatchObject({ answered: 2, endedByCaller: 1, endedByHotline: 1 });
  });

  it('both BYEs crossing: the first in the log is who hung up', () => {
    const text = [...answered('c1', 100), callerBye('c1', '110.002200'), hotlineBye('c1', '110.002300')].join('\n');
    expect(answering(parseShortMessages(text), 0)).toMatchObject({ endedByCaller: 1, endedByHotline: 0 });
  });

  it('an unanswered or refused call is hung up by nobody; a BYE of a call whose INVITE the log lacks is ignored', () => {
    const text = [
      line('100.000000', 'S', 'c1', 'CSeq:1 INVITE', 'INVITE sip:4008009001@127.0.0.1:5060 SIP/2.0'),
      line('101.000000', 'S', 'c2', 'CSeq:1 INVITE', 'INVITE sip:4008009001@127.0.0.1:5060 SIP/2.0'),
      line('101.002000', 'R', 'c2', 'CSeq:1 INVITE', 'SIP/2.0 488 Not Acceptable Here'),
      hotlineBye('c3', '102.000000'),
    ].join('\n');
    const calls = parseShortMessages(text);
    expect(calls.map((c) => c.callId)).toEqual(['c1', 'c2']);
    expect(answering(calls, 0)).toEqual({ answered: 0, answerMs: [], refused: { 488: 1 }, unanswered: 1, endedByCaller: 0, endedByHotline: 0 });
  });

  it('property: however calls interleave and BYEs repeat, every answered call with a BYE is counted once, by its first BYE', () => {
    const call = fc.record({
      answered: fc.boolean(),
      // Who sent each BYE, in order (a retransmission is the same side again); none: no BYE yet.
      byes: fc.array(fc.constantFrom<'caller' | 'hotline'>('caller', 'hotline'), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(call, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 200 }), (specs, picks) => {
        // Each call's lines in its own order; the log interleaves the calls as `picks` says.
        const queues = specs.map((spec, i) => {
          const id = `c${i}`;
          const lines = [line('100.000000', 'S', id, 'CSeq:1 INVITE', 'INVITE sip:x@127.0.0.1 SIP/2.0')];
          if (!spec.answered) return lines;
          lines.push(line('100.001000', 'R', id, 'CSeq:1 INVITE', 'SIP/2.0 200 OK'));
          spec.byes.forEach((by, n) => {
            const epoch = `${101 + n}.000000`;
            lines.push(by === 'caller' ? callerBye(id, epoch) : hotlineBye(id, epoch));
            lines.push(byeAnswered(id, epoch, by === 'caller' ? 'R' : 'S', by === 'caller' ? 'CSeq:2 BYE' : 'CSeq:102 BYE'));
          });
          return lines;
        });
        const log: string[] = [];
        let p = 0;
        while (queues.some((q) => q.length > 0)) {
          const open = queues.filter((q) => q.length > 0);
          log.push(open[(picks[p++ % Math.max(1, picks.length)] ?? 0) % open.length]!.shift()!);
        }
        const a = answering(parseShortMessages(log.join('\n')), 0);
        const answeredSpecs = specs.filter((s) => s.answered);
        expect(a.answered).toBe(answeredSpecs.length);
        expect(a.endedByCaller).toBe(answeredSpecs.filter((s) => s.byes[0] === 'caller').length);
        expect(a.endedByHotline).toBe(answeredSpecs.filter((s) => s.byes[0] === 'hotline').length);
        expect(a.endedByCaller + a.endedByHotline).toBeLessThanOrEqual(a.answered);
      }),
    );
  });
});
