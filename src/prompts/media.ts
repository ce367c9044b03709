// Where a prompt's audio lives. The controller names it by media URI; the prompt builder writes
// the file Asterisk resolves that URI to. Both derive from here so the two cannot drift apart.
import { join } from 'node:path';
import type { Language } from './language.js';

/** Asterisk's sound directory inside its root; `sound:` URIs are relative to it. */
export const ASTERISK_SOUNDS_DIR = '/usr/share/asterisk/sounds';
/** Our prompts' folder under the sound directory. */
export const PROMPT_SOUNDS_SUBDIR = 'hotline';

/** The media URI a playback uses, e.g. `sound:hotline/zh-CN/greeting.body`. */
export function mediaFor(id: string, lang: Language): string {
  return `sound:${PROMPT_SOUNDS_SUBDIR}/${lang}/${id}`;
}

/** The prompt folder as Asterisk sees it (inside its root). */
export function promptDirInRoot(): string {
  return `${ASTERISK_SOUNDS_DIR}/${PROMPT_SOUNDS_SUBDIR}`;
}

/** The WAV file for a prompt, as seen from the host, for an Asterisk installed under `root`. */
export function promptFile(root: string, id: string, lang: Language): string {
  return join(root, promptDirInRoot(), lang, `${id}.wav`);
}
