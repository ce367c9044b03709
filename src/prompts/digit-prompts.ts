// Numbers are spoken digit by digit (N7 read-back, N6 work numbers, N13 ticket numbers): one
// recorded prompt per digit, so any number can be said without text-to-speech at call time.

/** The digit prompts for the digits in `text`; anything else (spaces, "+", "-") is not spoken. */
export function digitPrompts(text: string): string[] {
  return [...text].filter((c) => c >= '0' && c <= '9').map((c) => `digit.${c}`);
}
