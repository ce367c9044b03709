// What a SIPp run of the bench leaves behind, read back: its statistics file (-trace_stat: the
// counts of calls attempted, succeeded and failed, and why) and its short message log
// (-trace_shortmsg: one line per SIP message with a microsecond time stamp, from which every
// call's INVITE→200 time is taken, SIPp's own response times counting whole milliseconds only,
// and who hung up an answered call first: the caller or the hotline).

/** The counts of a run, from the last line of SIPp's statistics file (cumulative columns). */
export interface SippCounts {
  /** Calls SIPp placed (OutgoingCall). */
  attempted: number;
  /** Calls whose whole scenario passed: answered, then hung up by the caller after its hold or by the hotline (SuccessfulCall). */
  successful: number;
  /** Calls that failed, for whatever reason (FailedCall). */
  failed: number;
  /** The failures by SIPp's reason (FailedUnexpectedMessage, FailedMaxUDPRetrans...), non-zero only. */
  failures: Record<string, number>;
}

/** Reads `-trace_stat` output: a `;`-separated header and a line per period; the last is the run. */
export function parseSippStats(text: string): SippCounts {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0]?.split(';');
  const last = lines.length > 1 ? lines[lines.length - 1]?.split(';') : undefined;
  if (!header || !last) throw new Error('SIPp wrote no statistics (its statistics file is empty)');
  const column = (name: string): number => {
    const at = header.indexOf(name);
    if (at < 0) throw new Error(`SIPp's statistics have no ${name} column`);
    const value = Number(last[at]);
    if (!Number.isFinite(value)) throw new Error(`SIPp's ${name} is not a number: ${JSON.stringify(last[at])}`);
    return value;
  };
  const failures: Record<string, number> = {};
  header.forEach((name, i) => {
    const reason = /^Failed(\w+)\(C\)$/.exec(name)?.[1];
    const n = Number(last[i]);
    // FailedCall is the total, not a reason.
    if (reason && reason !== 'Call' && Number.isFinite(n) && n > 0) failures[reason] = n;
  });
  return { attempted: column('OutgoingCall(C)'), successful: column('SuccessfulCall(C)'), failed: column('FailedCall(C)'), failures };
}

/** One call as the short message log shows it. */
export interface SippCall {
  callId: string;
  /** When the first INVITE went out, epoch ms (microsecond precision). */
  invitedAt: number;
  /** The first final response to the INVITE: its status code and when it came. */
  final?: { status: number; at: number };
  /**
   * Who sent the call's first BYE: the caller (SIPp sent it: its hold ran out) or the hotline
   * (SIPp received it: e.g. a shed caller's apology ended). None: no BYE in the log.
   */
  firstBye?: { by: 'caller' | 'hotline'; at: number };
}

/**
 * Reads `-trace_shortmsg` output: tab-separated date, time, epoch seconds, S(ent) or R(eceived),
 * Call-ID, CSeq and the message's first line. Retransmitted INVITEs, repeated 200s and
 * retransmitted BYEs keep the first time; the 200 OK that answers a BYE is not a BYE. The log is
 * in the order SIPp handled the messages, so the first BYE line of a call is the first BYE.
 */
export function parseShortMessages(text: string): SippCall[] {
  const calls = new Map<string, SippCall>();
  for (const line of text.split('\n')) {
    const fields = line.split('\t');
    if (fields.length < 7) continue;
    const [, , epoch, direction, callId, cseq, firstLine] = fields as [string, string, string, string, string, string, string];
    const at = Number(epoch) * 1000;
    if (!Number.isFinite(at)) continue;
    if (/\bBYE$/.test(cseq.trim())) {
      const call = calls.get(callId);
      if (call && !call.firstBye && firstLine.startsWith('BYE ') && (direction === 'S' || direction === 'R')) {
        call.firstBye = { by: direction === 'S' ? 'caller' : 'hotline', at };
      }
      continue;
    }
    if (!/\bINVITE$/.test(cseq.trim())) continue;
    if (direction === 'S' && firstLine.startsWith('INVITE ')) {
      if (!calls.has(callId)) calls.set(callId, { callId, invitedAt: at });
      continue;
    }
    const status = direction === 'R' ? /^SIP\/2\.0 (\d{3})\b/.exec(firstLine)?.[1] : undefined;
    const call = calls.get(callId);
    if (status === undefined || call === undefined || call.final || Number(status) < 200) continue;
    call.final = { status: Number(status), at };
  }
  return [...calls.values()];
}

export interface Answering {
  /** Calls answered (a 200 to their INVITE). */
  answered: number;
  /** INVITE→200 of each answered call, ms, less the configured answer delay. */
  answerMs: number[];
  /** Final responses other than 200 to INVITEs, by status code (e.g. 488 when RTP ports ran out). */
  refused: Record<string, number>;
  /** INVITEs that got no final response at all. */
  unanswered: number;
  /** Answered calls the caller hung up first (its hold ran out: SIPp sent the first BYE). */
  endedByCaller: number;
  /**
   * Answered calls the hotline hung up first (SIPp received the first BYE and answered it: a
   * completed call, not a failed one), e.g. the callers the controller shed: answered, apology, BYE.
   */
  endedByHotline: number;
}

/** The answer times "beyond the configured answer delay" (issue 12), what else came back, and who hung up. */
export function answering(calls: readonly SippCall[], answerDelayMs: number): Answering {
  const answerMs: number[] = [];
  const refused: Record<string, number> = {};
  let unanswered = 0;
  const endedBy = { caller: 0, hotline: 0 };
  for (const call of calls) {
    if (!call.final) unanswered++;
    else if (call.final.status !== 200) refused[call.final.status] = (refused[call.final.status] ?? 0) + 1;
    else {
      answerMs.push(call.final.at - call.invitedAt - answerDelayMs);
      // Only an answered call is hung up; a BYE before the answer is a failure SIPp counts.
      if (call.firstBye && call.firstBye.at >= call.final.at) endedBy[call.firstBye.by]++;
    }
  }
  return { answered: answerMs.length, answerMs, refused, unanswered, endedByCaller: endedBy.caller, endedByHotline: endedBy.hotline };
}
