// A number keyed on the phone pad (a callback number, a ticket number): keys until #, * starts
// again, and a pause after the last key ends it too, since callers forget the #.
import type { CallPort } from '../calls/call-port.js';

const MAX_LENGTH = 20;

/** The keyed digits; empty when nothing was keyed before the first timeout. */
export async function keyNumber(call: CallPort, timeoutMs: number): Promise<string> {
  let number = '';
  for (;;) {
    const key = await call.nextDigit(timeoutMs);
    if (key === null || key === '#') return number;
    if (key === '*') number = '';
    else number += key;
    if (number.length >= MAX_LENGTH) return number;
  }
}
