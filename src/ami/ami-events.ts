// The AMI events the controller reads, on their own so that the Asterisk config renderer can list
// them without loading the AMI client.

/**
 * Every AMI event the monitor reads, and so the only ones Asterisk is asked to send it (the
 * AMI user's eventfilter lines in manager.conf, src/asterisk/render-config.ts). Without the
 * filter the call class brings a dozen more per channel (Newchannel, Newstate, NewConnectedLine,
 * Bridge*, Dial*, ChannelTalking*…) that the controller parsed and threw away: 4-5 % of its CPU
 * at 50 calls/s. Add a name here when the monitor starts reading it.
 */
export const AMI_EVENTS = ['FullyBooted', 'Shutdown', 'Hangup', 'HangupRequest', 'SoftHangupRequest'] as const;

export type AmiEventName = (typeof AMI_EVENTS)[number];
