// N14: what reaches a log line has its phone numbers masked, whatever its shape. Two rules:
//  - a phone field (caller, called, number, …) at any depth is masked whole, like a number;
//  - any other string (a message, an error's message and stack, a row's JSON, an array item)
//    has each run of 7 or more digits masked in place: 13912345678# → 139******78#.
// Identifiers are left alone so lines can still be followed: fields named `id` or `…Id`
// (channel, call, playback ids), and decimal runs such as Asterisk's `1714567890.123`, which no
// phone number has. Values are copied only where something changes; the caller's objects are
// never modified.
import { stdSerializers } from 'pino';
import { maskPhone } from './mask-phone.js';

const PHONE_FIELDS = new Set(['caller', 'called', 'number', 'callerId', 'callerNumber', 'phone', 'phoneNumber', 'digits']);
const ID_FIELD = /(?:^id|Id|IDs?|Ids)$/;

// 7+ digits, single spaces or hyphens allowed between them (+86 138-0013-8000), not part of a
// decimal number (ids, addresses, durations) and not an ISO date (2026-05-01).
const DIGIT_RUN = /(?<!\d|\d\.)(?!\d{4}-\d\d-\d\d(?!\d))\d(?:[ -]?\d){6,}(?![ -]?\d|\.\d)/g;
const SEVEN_DIGITS = /\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d/;

// pino prints 5 levels and 100 items of an object (depthLimit, edgeLimit); nothing beyond is
// written, so nothing beyond needs masking.
const MAX_DEPTH = 6;
const MAX_ITEMS = 100;

/** Masks every run of 7+ digits in a free-text string. */
export function maskDigitRuns(text: string): string {
  // The cheap test first: most strings carry no such run.
  if (!SEVEN_DIGITS.test(text)) return text;
  return text.replace(DIGIT_RUN, maskPhone);
}

/** A value under a phone field: masked like a number, shape kept where it is known. */
function censor(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskPhone(value);
  if (typeof value === 'number' || typeof value === 'bigint') return maskPhone(String(value));
  if (value === null || value === undefined || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((item: unknown) => censor(item, depth + 1));
  // ARI gives caller as { number, name }: keep its shape, mask the number (and a name that is
  // a number, as caller ID names often are).
  if (typeof value === 'object' && 'number' in value) {
    const { number } = value;
    const rest = redactValue(value, depth) as Record<string, unknown>;
    return { ...rest, number: typeof number === 'string' ? maskPhone(number) : '[Redacted]' };
  }
  // An unknown shape under a phone field may hold a number anywhere: hide it whole.
  return '[Redacted]';
}

function redactObject(value: object, depth: number): unknown {
  let copy: Record<string, unknown> | undefined;
  const source = value as Record<string, unknown>;
  for (const key in source) {
    if (!Object.prototype.hasOwnProperty.call(source, key)) continue;
    const before = source[key];
    const after = PHONE_FIELDS.has(key) ? censor(before, depth + 1) : ID_FIELD.test(key) ? before : redactValue(before, depth + 1);
    if (after !== before) {
      copy ??= { ...source };
      copy[key] = after;
    }
  }
  return copy ?? value;
}

function redactArray(value: readonly unknown[], depth: number): unknown {
  let copy: unknown[] | undefined;
  const n = Math.min(value.length, MAX_ITEMS);
  for (let i = 0; i < n; i++) {
    const before = value[i];
    const after = redactValue(before, depth + 1);
    if (after !== before) {
      copy ??= [...value];
      copy[i] = after;
    }
  }
  return copy ?? value;
}

/**
 * The value with its phone numbers masked. Errors become pino's serialized form ({ type,
 * message, stack, … }) with message and stack masked; plain objects and arrays are walked;
 * other objects (Date, Buffer, class instances) are left to their own JSON form.
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskDigitRuns(value);
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (value instanceof Error) return redactError(value, depth);
  if (Array.isArray(value)) return redactArray(value, depth);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  return redactObject(value, depth);
}

/** pino's error serializer, then the same masking over what it produced. */
export function redactError(err: Error, depth = 0): unknown {
  return redactSerializedError(stdSerializers.err(err), depth);
}

// pino's serialized errors are not plain objects (they carry a toJSON that hides `raw`, the
// original error): copied into plain ones without `raw`, nested errors (an AggregateError's
// `aggregateErrors`, an error held in a property) included.
function isSerializedError(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string' && typeof (value as { stack?: unknown }).stack === 'string';
}

function redactSerializedError(serialized: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(serialized)) {
    if (key === 'raw') continue;
    const v = serialized[key];
    if (key === 'aggregateErrors' && Array.isArray(v)) {
      out[key] = v.map((e: unknown) => (isSerializedError(e) && depth < MAX_DEPTH ? redactSerializedError(e, depth + 1) : redactValue(e, depth + 1)));
    } else if (isSerializedError(v) && depth < MAX_DEPTH) {
      out[key] = redactSerializedError(v, depth + 1);
    } else {
      out[key] = PHONE_FIELDS.has(key) ? censor(v, depth + 1) : ID_FIELD.test(key) ? v : redactValue(v, depth + 1);
    }
  }
  return out;
}

/** The arguments of a log call, masked: the merge object (or error), the message, format args. */
export function redactLogArgs(args: unknown[]): unknown[] {
  const [first, ...rest] = args;
  if (first instanceof Error) {
    // pino's own handling of an error first: { err }, and its message when none is given.
    const message = rest.length > 0 ? rest[0] : first.message;
    return [{ err: redactError(first) }, redactValue(message), ...rest.slice(1).map((v) => redactValue(v))];
  }
  return args.map((v) => redactValue(v));
}
