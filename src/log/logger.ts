import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { maskPhone } from './mask-phone.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: Level | 'silent';
  /** Where lines go; stdout when omitted. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
}

const PHONE_FIELDS = ['caller', 'called', 'number', 'callerId'];

// Top level covers child bindings (`logger.child({ callId, caller })`); one level down covers
// logged objects such as `{ call: { caller } }` or `{ row: { called } }`.
export const REDACTED_PATHS = [...PHONE_FIELDS, ...PHONE_FIELDS.map((field) => `*.${field}`)];

function censor(value: unknown): unknown {
  if (typeof value === 'string') return maskPhone(value);
  if (typeof value === 'number' || typeof value === 'bigint') return maskPhone(String(value));
  if (value === null || value === undefined) return value;
  // ARI gives caller as { number, name }: keep its shape, mask the number.
  if (typeof value === 'object' && 'number' in value) {
    const { number } = value;
    return { ...value, number: typeof number === 'string' ? maskPhone(number) : '[Redacted]' };
  }
  // An unknown shape under a phone field may hold a number anywhere: hide it whole.
  return '[Redacted]';
}

export function createLogger({ level, destination }: LoggerOptions): Logger {
  const options = { level, redact: { paths: REDACTED_PATHS, censor } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
