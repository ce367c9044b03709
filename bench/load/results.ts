// What one run (one system at one rate, one repetition) of `npm run bench:load` measured: the
// JSON report's rows, the table's lines and the verdict's input.
import type { SystemName } from './dialplan.js';
import type { Spread } from './stats.js';

export interface RunResult {
  repetition: number;
  /** Calls per second SIPp placed. */
  rate: number;
  system: SystemName;
  startedAt: string;
  /** From SIPp's start until its last call ended, s. */
  durationS: number;
  sipp: {
    attempted: number;
    successful: number;
    /** SIPp's FailedCall: no answer, refused, timed out, an unexpected message; a call the hotline hung up is not one. */
    failed: number;
    /** SIPp's failure reasons (FailedUnexpectedMessage, ...), non-zero only. */
    failures: Record<string, number>;
    answered: number;
    /** Final answers other than 200, by status (488: Asterisk's RTP ports ran out). */
    refused: Record<string, number>;
    unanswered: number;
    /** Answered calls the caller hung up first, its hold over (SIPp sent the first BYE). */
    endedByCaller: number;
    /**
     * Answered calls the hotline hung up first (SIPp received the first BYE and answered it): not
     * failed, but not held either; the controller's shed callers (answer, apology, BYE) are these.
     */
    endedByHotline: number;
    exitCode: number | null;
    /** SIPp was stopped by the run's bound (its own -timeout or the bench's kill). */
    timedOut: boolean;
  };
  /** The system's configured answer delay, taken off every INVITE→200 time. */
  answerDelayMs: number;
  /** INVITE→200 beyond the configured answer delay, ms, over the answered calls. */
  answerMs: Spread;
  /** The system's channels still up `settleS` after the run (ARI GET /channels); null: not read. */
  stuck: number | null;
  /** The controller's or the bare app's process, while SIPp ran (and a short tail). */
  process?: {
    cpuMs: number;
    cpuMsPerCall: number | undefined;
    rssBaseMb: number;
    rssPeakMb: number;
    /** (peak RSS − RSS before the run) / peak live calls, KB; the controller only. */
    kbPerLiveCall?: number | undefined;
    peakLiveCalls?: number;
    /** Every 0.5 s from SIPp's start: s, RSS MB, and the controller's live calls and loop delay p99. */
    timeline?: { t: number; rssMb: number; live?: number; loopP99?: number }[];
  };
  /** The controller's event-loop delay: the worst 1-s window's p99, and the max, ms (/health). */
  loopDelayMs?: { p99: number; max: number; windows: number };
  /** The controller's database, read `settleS` after the run. */
  store?: StoreFigures;
  /** Asterisk's own CPU during the run and its RSS after it. */
  asterisk?: { cpuMs: number; cpuMsPerCall: number | undefined; rssMb: number };
  /** Anything that kept a figure from being measured. */
  errors: string[];
}

export interface StoreFigures {
  calls: number;
  events: number;
  /** Calls SIPp placed without a row in `calls`. */
  missingRows: number;
  /** Rows without a `call.hangup` event (calls handed back to the dialplan excepted: their end is Asterisk's). */
  missingHangups: number;
  /** Rows never closed (`ended_at` unset). */
  unfinished: number;
  /** `call.shed` events by route (dialplan, controller, callback). */
  shed: Record<string, number>;
}
