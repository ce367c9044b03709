// Issue 9: the answering-machine policy of callbacks, as the flow states it
// (callbacks.answeringMachine): the AMD() arguments a callback's dial asks for, and what a
// verdict means for the attempt. A machine is not a person reached: by default it counts as an
// unanswered attempt (outcome `machine`), retried on the same ladder as no answer; NOTSURE is
// a person by default (AMD gives up on a silent or unusual greeting, and hanging up on a
// person who answered is worse than reaching a voicemail once more).
import type { AmdRequest, AmdResult } from '../calls/outbound-leg.js';
import type { AnsweringMachine } from '../flow/schema.js';

/** The dial's detection request, or undefined when the flow turns detection off. */
export function amdRequest(settings: AnsweringMachine): AmdRequest | undefined {
  if (settings.detect === 'off') return undefined;
  // AMD()'s positional arguments, in its order (app_amd.c): initialSilence, greeting,
  // afterGreetingSilence, totalAnalysisTime, miniumWordLength, betweenWordSilence,
  // maximumNumberOfWords, silenceThreshold, maximumWordLength. No audioFile: nothing is played
  // to a callee who may be a voicemail.
  const args = [
    settings.initialSilenceMs,
    settings.greetingMs,
    settings.afterGreetingSilenceMs,
    settings.totalAnalysisMs,
    settings.minWordMs,
    settings.betweenWordsSilenceMs,
    settings.maxWords,
    settings.silenceThreshold,
    settings.maxWordMs,
  ];
  return { args: args.join(','), totalMs: settings.totalAnalysisMs };
}

/** What an answered callee's verdict means: the flow runs, or the attempt counts as unanswered. */
export type AmdDecision = { action: 'connected' } | { action: 'retry'; outcome: 'machine' | 'not-sure' };

export function amdDecision(settings: AnsweringMachine, amd: AmdResult | undefined): AmdDecision {
  if (amd?.status === 'MACHINE' && settings.onMachine === 'retry') return { action: 'retry', outcome: 'machine' };
  if (amd?.status === 'NOTSURE' && settings.onNotSure === 'retry') return { action: 'retry', outcome: 'not-sure' };
  // HUMAN, no detection (off, or Asterisk without app_amd), or a policy of "connected".
  return { action: 'connected' };
}
