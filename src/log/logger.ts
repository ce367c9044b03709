import { pino, type DestinationStream, type Level, type Logger, type LoggerOptions as PinoOptions } from 'pino';
import { redactError, redactLogArgs, redactValue } from './redact.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: Level | 'silent';
  /** Where lines go; stdout when omitted. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
}

// N14: phone numbers are masked in every line (see redact.ts for the rules). The hook sees each
// call's arguments (merge object or error, message, format arguments) before pino does, and runs
// only for enabled levels, so a debug line costs nothing at info.
const options: PinoOptions = {
  hooks: {
    logMethod(args, method) {
      method.apply(this, redactLogArgs(args) as Parameters<typeof method>);
    },
  },
  // Errors arrive here already serialized and masked by the hook; one that comes some other
  // way (a child's bindings) is serialized and masked the same.
  serializers: { err: (err: unknown) => (err instanceof Error ? redactError(err) : err) },
};

export function createLogger({ level, destination }: LoggerOptions): Logger {
  const logger = destination === undefined ? pino({ ...options, level }) : pino({ ...options, level }, destination);
  // A child's bindings (`logger.child({ callId, caller })`) are serialized once, when the child
  // is made, and pino's bindings formatter applies to the root only; children inherit this
  // method from the root (pino makes them with Object.create), so every level is covered.
  const pinoChild = Object.getPrototypeOf(logger) as Pick<Logger, 'child'>;
  logger.child = function (this: Logger, bindings, childOptions) {
    return pinoChild.child.call(this, redactValue(bindings) as typeof bindings, childOptions);
  } as Logger['child'];
  return logger;
}
