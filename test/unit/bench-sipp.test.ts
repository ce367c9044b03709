// npm run bench:load reads SIPp's statistics file and short message log
// (bench/load/sipp-results.ts). The fixtures are real SIPp 3.6.1 output of the bench's caller
// (bench/load/caller.xml) against SIPp's own answering UAS (ok-*) and one answering 486 (busy-*).
import { readFileSync } from 'node:fs';
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
    expect(a).toEqual({ answered: 0, answerMs: [], refused: { 486: 3 }, unanswered: 0 });
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
  });

  it('a BYE answered 200 is not an answer to the INVITE', () => {
    const text = [
      line('1.0', 'S', 'c1', 'CSeq:1 INVITE', 'INVITE sip:x@127.0.0.1 SIP/2.0'),
      line('3.0', 'R', 'c1', 'CSeq:2 BYE', 'SIP/2.0 200 OK'),
    ].join('\n');
    expect(answering(parseShortMessages(text), 0)).toEqual({ answered: 0, answerMs: [], refused: {}, unanswered: 1 });
  });
});
