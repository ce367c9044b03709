// What a SIPp run of the bench leaves behind, read back: its statistics file (-trace_stat: the
// counts of calls attempted, succeeded and failed, and why) and its short message log
// (-trace_shortmsg: one line per SIP message with a microsecond time stamp, from which every
// call's INVITE→200 time is taken; SIPp's own response times count whole milliseconds only).

/** The counts of a run, from the last line of SIPp's statistics file (cumulative columns). */
export interface SippCounts {
  /** Calls SIPp placed (OutgoingCall). */
  attempted: number;
  /** Calls whose whole scenario passed: answered, held, hung up (SuccessfulCall). */
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
}

/**
 * Reads `-trace_shortmsg` output: tab-separated date, time, epoch seconds, S(ent) or R(eceived),
 * Call-ID, CSeq and the message's first line. Retransmitted INVITEs and repeated 200s keep the
 * first time.
 */
export function parseShortMessages(text: string): SippCall[] {
  const calls = new Map<string, SippCall>();
  for (const line of text.split('\n')) {
    const fields = line.split('\t');
    if (fields.length < 7) continue;
    const [, , epoch, direction, callId, cseq, firstLine] = fields as [string, string, string, string, string, string, string];
    if (!/\bINVITE$/.test(cseq.trim())) continue;
    const at = Number(epoch) * 1000;
    if (!Number.isFinite(at)) continue;
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
}

/** The answer times "beyond the configured answer delay" (issue 12), and what else came back. */
export function answering(calls: readonly SippCall[], answerDelayMs: number): Answering {
  const answerMs: number[] = [];
  const refused: Record<string, number> = {};
  let unanswered = 0;
  for (const call of calls) {
    if (!call.final) unanswered++;
    else if (call.final.status === 200) answerMs.push(call.final.at - call.invitedAt - answerDelayMs);
    else refused[call.final.status] = (refused[call.final.status] ?? 0) + 1;
  }
  return { answered: answerMs.length, answerMs, refused, unanswered };
}
