// Typed shapes of the ARI events and resources this controller uses. Only the fields we read
// are declared; Asterisk sends more.

export interface ChannelInfo {
  id: string;
  name: string;
  state: string;
  caller: { number: string; name: string };
  connected?: { number: string; name: string };
  dialplan?: { context: string; exten: string; priority: number; app_name?: string; app_data?: string };
  creationtime: string;
  language?: string;
}

export interface PlaybackInfo {
  id: string;
  target_uri: string;
  state: string;
  media_uri?: string;
}

/** N14: a recording in progress (RecordingStarted, RecordingFinished, RecordingFailed). */
export interface LiveRecordingInfo {
  name: string;
  format: string;
  state: string;
  target_uri?: string;
  /** Whole seconds, on RecordingFinished. */
  duration?: number;
  cause?: string;
}

export interface AriEvent {
  type: string;
  application?: string;
  timestamp?: string;
  channel?: ChannelInfo;
  playback?: PlaybackInfo;
  recording?: LiveRecordingInfo;
  args?: string[];
  digit?: string;
  duration_ms?: number;
  cause?: number;
  cause_txt?: string;
  soft?: boolean;
}

/** What a channel tells the call that owns it. */
export interface ChannelEventMap {
  dtmf: [digit: string];
  'talk-start': [];
  'talk-end': [durationMs: number];
  /**
   * Something asked for the channel's hang-up. `soft`: Asterisk itself or an ARI/AMI client asked
   * (a soft hang-up, whose flag is no Q.850 cause: `cause` is then undefined); otherwise the
   * channel's far end did (a SIP BYE), and `cause` is its Q.850 cause when Asterisk gives one.
   * `flag`: a soft request's softhangup flag (4: Asterisk is shutting down).
   */
  'hangup-request': [cause: number | undefined, soft: boolean, flag?: number];
  /** The channel left the app (hung up, or taken away): every wait of the call ends. */
  end: [cause: number | undefined, causeText: string | undefined];
  /**
   * An originated channel (an agent or callback leg) entered the app: answered, or (issue 9)
   * back from the answering-machine context. `args`: its Stasis arguments, which then carry
   * AMD's verdict (amd-dialplan.ts).
   */
  answered: [args: string[]];
  /** Asterisk's channel state changed (Ringing, Busy, Up…). */
  state: [state: string];
}

/**
 * A channel that is no longer there (hung up, or left the application) when a REST call
 * reached Asterisk. After a hang-up this is a normal outcome, not a failure.
 *
 * Made without a stack trace: one is made for every channel that ends (the reason its pending
 * requests are aborted with) and for every request that meets a gone channel, and capturing the
 * stack was most of its cost (1.8 % of the controller's CPU at 50 calls/s). It is expected
 * control flow, caught by isChannelGone where it is met; its message names the channel and the
 * operation, which is what a log line about it needs. `stack` is still a string (the name and
 * message), so loggers and serializers treat it as any error.
 */
export class ChannelGoneError extends Error {
  constructor(readonly channelId: string, readonly operation: string, detail: string) {
    const message = `channel ${channelId} gone during ${operation}: ${detail}`;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'ChannelGoneError';
  }
}

export function isChannelGone(err: unknown): err is ChannelGoneError {
  return err instanceof ChannelGoneError;
}
