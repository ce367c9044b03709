// What the agent hears before talking to a caller (N6), or before the hotline calls someone back
// (N8): the same facts as the agent's screen (CallOffer), each part only when there is something
// to say, in the order the flow's `whisper` gives.
import { digitPrompts, keyPrompts } from '../prompts/digit-prompts.js';
import { WHISPER_PARTS, type WhisperPart } from '../flow/schema-parts.js';
import type { CallOffer } from './call-offer.js';

/**
 * The whisper: the flow's parts in the flow's order (caller number, menu keys, an earlier call
 * today, the ticket), each only when there is something to say; then 接听请按1 when confirming.
 */
export function whisperPrompts(offer: CallOffer, confirm: boolean, parts: readonly WhisperPart[] = WHISPER_PARTS): string[] {
  const say: Record<WhisperPart, () => string[]> = {
    caller: () => {
      const digits = digitPrompts(offer.caller);
      return digits.length > 0 ? ['whisper.caller', ...digits] : [];
    },
    path: () => (offer.menuPath.length > 0 ? ['whisper.path', ...offer.menuPath.flatMap(keyPrompts)] : []),
    earlier: () => (offer.calledEarlierToday ? ['whisper.earlier'] : []),
    ticket: () => (offer.ticket !== undefined ? ['whisper.ticket', ...digitPrompts(offer.ticket)] : []),
  };
  const prompts = parts.flatMap((part) => say[part]());
  if (confirm) prompts.push('whisper.accept');
  return prompts;
}

/**
 * N8: the whisper of a callback, before the callee is dialled: 「回拨:」 and why (转接失败, 掉线,
 * 回访…), then the flow's parts (the number to be dialled, the ticket it is about).
 */
export function callbackWhisperPrompts(offer: CallOffer, parts: readonly WhisperPart[] = WHISPER_PARTS): string[] {
  const why = offer.callback ? [`callback.reason.${offer.callback.reason}`] : [];
  return ['whisper.callback', ...why, ...whisperPrompts(offer, false, parts)];
}
