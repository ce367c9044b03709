// Who ended a call and with which Q.850 cause, from what Asterisk reported on two links (issue 12:
// every caller BYE was logged with cause 0 "Unknown").
//
// What Asterisk says, and what it means:
//  - a hang-up request (ARI ChannelHangupRequest, AMI HangupRequest / SoftHangupRequest) comes
//    first, in Asterisk's order of events. A request that is not soft was queued by the channel
//    driver: the far end (the caller's SIP BYE); its `cause` is Q.850 when present. A soft one
//    was asked inside Asterisk (this controller's DELETE, a shutdown, an operator) and its
//    `cause` is a softhangup flag (4: shutdown), never a Q.850 cause;
//  - the channel's final cause (ARI ChannelDestroyed, AMI Hangup) is Q.850, but 0 ("not set")
//    for a BYE without a Reason header: a plain BYE is a normal clearing, so a caller's end
//    whose only figures are 0 or absent is logged as 16, as Asterisk maps a plain end itself.
// The first request in Asterisk's order (ARI's stream; AMI's only when ARI showed none) decides
// who hung up: a request that is not soft is the caller's, even when the controller was hanging
// up at the same moment (Asterisk took the BYE first); a soft one is the controller's when it
// asked, or Asterisk's own when it was shutting down. ARI reports requests before the channel
// leaves the application, so the decision is read once the call has ended (call-session.ts).
// The caller's end with no word from Asterisk at all (the channel vanished while the events
// socket was down) keeps its cause unknown.

export type HangupParty = 'caller' | 'system';

export interface HangupOutcome {
  by: HangupParty;
  /** Q.850. */
  cause?: number;
  causeText?: string;
  /** Asterisk hung the call up because it was shutting down or restarting. */
  shutdown?: true;
}

/** AST_SOFTHANGUP_SHUTDOWN, the soft hang-up flag of a shutdown. */
const SHUTDOWN_FLAG = 4;
const NORMAL_CLEARING = 16;

export class HangupReport {
  private controllerAsked = false;
  private first: { soft: boolean; shutdown: boolean } | undefined;
  /** The first request of each link: ARI's order is trusted over AMI's. */
  private firstAmi: { soft: boolean; shutdown: boolean } | undefined;
  private farEndCause: number | undefined;
  private final: { cause: number; text?: string } | undefined;
  /** The channel's final report came (its last word, even when its cause is 0). */
  private finalSeen = false;
  /** Asterisk reported the end somehow (a request, a final cause of 0): not a silent vanishing. */
  private reported = false;

  /** The controller is about to ask Asterisk to hang up. */
  controllerHangsUp(): void {
    this.controllerAsked = true;
  }

  /**
   * A hang-up request, from ARI or AMI. `cause` is read only when the request is not soft;
   * `flag` is a soft request's softhangup flag when known.
   */
  request(link: 'ari' | 'ami', soft: boolean, cause?: number, flag?: number): void {
    this.reported = true;
    const seen = { soft, shutdown: soft && flag === SHUTDOWN_FLAG };
    if (link === 'ari') this.first ??= seen;
    else this.firstAmi ??= seen;
    if (!soft && cause) this.farEndCause ??= cause;
  }

  /** The channel's final cause (ChannelDestroyed, AMI Hangup); 0 means Asterisk had none. */
  finalCause(cause: number | undefined, text?: string): void {
    if (cause === undefined) return;
    this.reported = true;
    this.finalSeen = true;
    if (cause !== 0 && !this.final) this.final = { cause, ...(text ? { text } : {}) };
  }

  /**
   * Nothing more to wait for once the call has ended: the channel's final report came, the
   * far end's cause is known, or it is the controller's own clearing. (A caller's BYE that
   * carried no cause waits a moment for AMI's Hangup.)
   */
  get settled(): boolean {
    if (this.finalSeen || this.farEndCause !== undefined) return true;
    const first = this.first ?? this.firstAmi;
    return this.controllerAsked && (first === undefined || first.soft);
  }

  decide(): HangupOutcome {
    const first = this.first ?? this.firstAmi;
    const shutdown = first?.shutdown === true;
    let by: HangupParty;
    if (shutdown) by = 'system';
    else if (first) by = first.soft && this.controllerAsked ? 'system' : 'caller';
    else by = this.controllerAsked ? 'system' : 'caller';
    const outcome: HangupOutcome = { by, ...(shutdown ? { shutdown: true as const } : {}) };
    if (this.final) return { ...outcome, cause: this.final.cause, ...(this.final.text ? { causeText: this.final.text } : {}) };
    if (this.farEndCause !== undefined) return { ...outcome, cause: this.farEndCause };
    // The controller's DELETE asks for a normal clearing; so is a plain BYE (Asterisk: 0, "not set").
    if (by === 'system' && this.controllerAsked) return { ...outcome, cause: NORMAL_CLEARING, causeText: 'Normal Clearing' };
    if (by === 'caller' && this.reported) return { ...outcome, cause: NORMAL_CLEARING, causeText: 'Normal Clearing' };
    return outcome;
  }
}
