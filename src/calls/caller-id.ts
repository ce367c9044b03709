// A caller ID that names somebody. "anonymous", "unknown" or an empty string is shared by every
// caller who withholds their number: never a repeat caller, never a ticket's owner.
export function isIdentified(caller: string): boolean {
  return /[0-9]{3}/.test(caller);
}
