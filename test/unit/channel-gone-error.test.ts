// ChannelGoneError is expected control flow (a channel that ended), made without a stack trace.
import { describe, expect, it } from 'vitest';
import { ChannelGoneError, isChannelGone } from '../../src/ari/types.js';
import { createLogger } from '../../src/log/logger.js';

describe('ChannelGoneError', () => {
  it('carries no stack frames, only its name and message, and leaves other errors their stacks', () => {
    const err = new ChannelGoneError('chan-1', 'play', 'it left the application');
    expect(err.stack).toBe('ChannelGoneError: channel chan-1 gone during play: it left the application');
    expect([err.channelId, err.operation, isChannelGone(err), err instanceof Error]).toEqual(['chan-1', 'play', true, true]);
    expect(new Error('other').stack).toMatch(/\n\s+at /);
  });

  it('restores the stack trace limit it found, whatever it was', () => {
    const limit = Error.stackTraceLimit;
    try {
      Error.stackTraceLimit = 3;
      new ChannelGoneError('chan-1', 'play', 'x');
      expect(Error.stackTraceLimit).toBe(3);
    } finally {
      Error.stackTraceLimit = limit;
    }
  });

  it('is logged like any error: type, message and the (frameless) stack', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } });
    logger.warn({ err: new ChannelGoneError('chan-1', 'hangup', 'not found') }, 'gone');
    const logged = JSON.parse(lines[0] ?? '{}') as { err?: Record<string, unknown> };
    expect(logged.err).toMatchObject({ type: 'ChannelGoneError', message: 'channel chan-1 gone during hangup: not found', channelId: 'chan-1' });
  });
});
