// Numbers and keys are spoken one by one (N7 read-back, N6 work numbers and key paths, N13
// ticket numbers): one recorded prompt per key, so any number can be said without text-to-speech
// at call time.

const PAD_KEYS: Record<string, string> = { '*': 'digit.star', '#': 'digit.hash' };

/** The prompt that names one phone-pad key: digit.0-9, digit.star, digit.hash. */
export function keyPrompt(key: string): string {
  return PAD_KEYS[key] ?? `digit.${key}`;
}

/** The digit prompts for the digits in `text`; anything else (spaces, "+", "-") is not spoken. */
export function digitPrompts(text: string): string[] {
  return [...text].filter((c) => c >= '0' && c <= '9').map(keyPrompt);
}

/** The prompts for keys a caller pressed (a menu path), * and # included. */
export function keyPrompts(keys: string): string[] {
  return [...keys].filter((c) => (c >= '0' && c <= '9') || c in PAD_KEYS).map(keyPrompt);
}
