// N14: the flow file's `recording` section: whether calls are recorded, and how long recordings
// are kept. Consent is asked by the `record` step (src/flow/verbs/record.ts), which the operator
// places right after the answer: it plays the announcement (本次通话可能会被录音…) and takes the
// decline key. Nothing is recorded on a call whose caller did not hear the announcement, and
// nothing on a call whose caller declined. The announcement is the step's prompt, not a setting
// here, so the loader checks it against the prompt catalogue like every prompt a step plays.
import { z } from 'zod';
import { Digit } from '../flow/schema-parts.js';

export const RECORDING_MODES = ['off', 'call', 'agent'] as const;
export type RecordingMode = (typeof RECORDING_MODES)[number];

export const RecordingPolicy = z
  .object({
    mode: z
      .enum(RECORDING_MODES)
      .default('off')
      .describe(
        "N14: off: nothing is recorded (the record step passes through without a word); call: the whole call from the end of the announcement, both directions (a snoop on the caller's channel); agent: only the conversation with an agent (the transfer's bridge)",
      ),
    declineKey: Digit.nullable()
      .default('9')
      .describe(
        'N14: the key that declines the recording, pressed during the announcement or within the record step\'s declineWaitMs after it; null: no decline is offered (then use an announcement that offers none, e.g. recording.notice-plain)',
      ),
    retentionDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(90)
      .describe('N14: a recording is deleted (file and audio) by the daily retention job this many days after it started'),
    maxMinutes: z
      .number()
      .int()
      .min(1)
      .max(600)
      .default(120)
      .describe('N14: Asterisk ends a recording after this long (a bound on the disk a stuck call can fill)'),
    format: z.literal('wav').default('wav').describe('the file format Asterisk writes: WAV, 8 kHz, 16-bit, mono'),
  })
  .strict()
  .default({ mode: 'off', declineKey: '9', retentionDays: 90, maxMinutes: 120, format: 'wav' })
  .describe('N14: call recording with consent (the record step plays the announcement and takes the decline key)');
export type RecordingPolicy = z.output<typeof RecordingPolicy>;
