// N19: prompts should be spoken at 120–200 Chinese characters a minute. The rate is computed from
// a prompt's text and its audio length, so the same check judges generated and recorded prompts.
import type { Language } from './language.js';

/** N19's range for Mandarin, in characters a minute. */
export const ZH_CHARS_PER_MINUTE = { min: 120, max: 200 } as const;

/**
 * Below this many spoken units a rate says more about the silence around a word than about the
 * speed of speech (a single digit is one syllable plus padding), so it is reported, not judged.
 */
export const MIN_UNITS_TO_JUDGE = 4;

export interface SpeechRate {
  /** Spoken units: characters for zh-CN, words for en. */
  units: number;
  unit: 'chars' | 'words';
  durationSec: number;
  /** Units a minute. */
  perMinute: number;
  /** Whether the rate meets N19; null where N19 has no range (en) or the text is too short. */
  withinNorm: boolean | null;
}

const HAN = /\p{Script=Han}/gu;
// Arabic digits in Mandarin prompts ("请按1") are each read as one syllable, like a character.
const DIGIT = /[0-9]/g;
const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

/** Counts what N19 counts: Han characters (and digits read as characters) for zh-CN, words for en. */
export function spokenUnits(text: string, lang: Language): number {
  if (lang === 'zh-CN') return (text.match(HAN)?.length ?? 0) + (text.match(DIGIT)?.length ?? 0);
  return text.match(WORD)?.length ?? 0;
}

/** The speech rate of `text` spoken in `durationSec` seconds. */
export function speechRate(text: string, lang: Language, durationSec: number): SpeechRate {
  if (!Number.isFinite(durationSec) || durationSec <= 0) {
    throw new RangeError(`audio duration must be a positive number of seconds, got ${durationSec}`);
  }
  const units = spokenUnits(text, lang);
  const perMinute = (units * 60) / durationSec;
  const judged = lang === 'zh-CN' && units >= MIN_UNITS_TO_JUDGE;
  return {
    units,
    unit: lang === 'zh-CN' ? 'chars' : 'words',
    durationSec,
    perMinute,
    withinNorm: judged
      ? perMinute >= ZH_CHARS_PER_MINUTE.min && perMinute <= ZH_CHARS_PER_MINUTE.max
      : null,
  };
}

/**
 * The duration of a PCM WAV file from its header, so a prompt check needs no audio tool. Walks
 * the RIFF chunks rather than assuming a 44-byte header: sox and recording tools add chunks
 * (LIST, fact) before `data`. `fileBytes`: the whole file's size when `wav` holds only its first
 * bytes (N14 measures long call recordings from their header).
 */
export function wavDurationSec(wav: Uint8Array, fileBytes = wav.byteLength): number {
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  const tag = (at: number) => String.fromCharCode(...wav.subarray(at, at + 4));
  if (wav.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let byteRate: number | undefined;
  for (let at = 12; at + 8 <= wav.byteLength; ) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    if (id === 'fmt ' && at + 16 <= wav.byteLength) byteRate = view.getUint32(at + 16, true);
    if (id === 'data') {
      if (!byteRate) throw new Error('WAVE file has no usable "fmt " chunk before its data');
      // A header written before the length was known says 0 or 0xFFFFFFFF; the file length wins.
      const available = fileBytes - (at + 8);
      const dataBytes = size === 0 || size > available ? available : size;
      return dataBytes / byteRate;
    }
    at += 8 + size + (size % 2); // chunks are padded to an even length
  }
  throw new Error('WAVE file has no "data" chunk');
}
