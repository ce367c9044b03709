// N14: logs mask phone numbers in every shape the code logs: phone fields at any depth, arrays,
// errors (message, stack, cause), messages and format arguments, child bindings, and any
// string carrying a run of 7+ digits. The "key pressed" debug line never carries the key.
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChannelEvents } from '../../src/ari/ari-adapter.js';
import { createCallFacts } from '../../src/calls/call-facts.js';
import { CallSession, type SessionAri } from '../../src/calls/call-session.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { createLogger } from '../../src/log/logger.js';
import { maskDigitRuns } from '../../src/log/redact.js';

function capture(level: 'info' | 'debug' = 'info') {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level,
    destination: {
      write: (line: string) => {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { logger, lines, raw };
}

describe('maskDigitRuns', () => {
  it.each([
    ['keyed 13912345678#', 'keyed 139******78#'],
    ['from +86 138-0013-8000 today', 'from +86 1**-****-**00 today'],
    ['No.13912345678', 'No.139******78'],
    ['sip:13800138000@pbx', 'sip:138******00@pbx'],
    // Hyphens join digit groups (138-0013-8000), so a channel's sequence number goes with it.
    ['PJSIP/13800138000-00000001', 'PJSIP/138********-******01'],
    ['two 13800138000 13912345678', 'two 138******** *********78'],
    ['{"number":"13912345678"}', '{"number":"139******78"}'],
    // Not phone numbers: short numbers, Asterisk ids, decimals, dates, addresses.
    ['extension 1001, step 123456', 'extension 1001, step 123456'],
    ['channel 1714567890.123 gone', 'channel 1714567890.123 gone'],
    ['took 0.12345678 s', 'took 0.12345678 s'],
    ['on 2026-05-01T03:00:00Z', 'on 2026-05-01T03:00:00Z'],
    ['from 192.168.100.200', 'from 192.168.100.200'],
  ])('%j → %j', (input, expected) => {
    expect(maskDigitRuns(input)).toBe(expected);
  });
});

describe('createLogger redaction', () => {
  it('masks phone fields at any depth and in arrays', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        a: { b: { c: { caller: '13800138000', called: 4008001234 } } },
        rows: [{ callerId: '13912345678' }, { number: '1001' }],
        numbers: ['13800138000', 'anonymous'],
        digits: '13912345678#',
      },
      'nested',
    );
    expect(lines[0]).toMatchObject({
      a: { b: { c: { caller: '138******00', called: '400*****34' } } },
      rows: [{ callerId: '139******78' }, { number: '**01' }],
      numbers: ['138******00', 'anonymous'],
      digits: '139******78#',
    });
  });

  it('masks numbers in free text: messages, nested strings, JSON held in a string, format arguments', () => {
    const { logger, raw } = capture();
    logger.info({ row: { data: '{"number":"13912345678"}', note: 'caller keyed 13912345678#' } }, 'for 13800138000');
    logger.info('callback to %s (%j)', '13800138000', { to: '13912345678' });
    const text = raw.join('');
    expect(text).not.toMatch(/13800138000|13912345678/);
    expect(text).toContain('139******78#');
    expect(text).toContain('for 138******00');
    expect(text).toContain('callback to 138******00');
  });

  it('masks errors: message, stack and cause, under err or as the first argument; type kept', () => {
    const { logger, lines, raw } = capture();
    const err = new TypeError('no channel for 13800138000', { cause: new Error('dial 13912345678 failed') });
    logger.error({ err, channelId: '1714567890.123' }, 'transfer failed');
    logger.error(new RangeError('bad number 13912345678'));
    logger.warn({ nested: { failure: new Error('x 13800138000') } }, 'nested error');
    expect(raw.join('')).not.toMatch(/13800138000|13912345678/);
    expect(lines[0]).toMatchObject({
      err: { type: 'TypeError', message: expect.stringContaining('no channel for 138******00') as string },
      channelId: '1714567890.123',
      msg: 'transfer failed',
    });
    expect((lines[0]?.err as { stack: string }).stack).toMatch(/^TypeError: no channel for 138\*{6}00/);
    expect((lines[0]?.err as { message: string }).message).toContain('139******78');
    expect(lines[1]).toMatchObject({ err: { type: 'RangeError', message: 'bad number 139******78' }, msg: 'bad number 139******78' });
    expect(lines[2]).toMatchObject({ nested: { failure: { type: 'Error', message: 'x 138******00' } } });
  });

  it("masks errors inside errors: an AggregateError's errors, an error held in a property", () => {
    const { logger, lines, raw } = capture();
    const err = Object.assign(new AggregateError([new Error('a 13912345678')], 'all failed'), { detail: new Error('inner 13800138000') });
    logger.error({ err }, 'agg');
    expect(raw.join('')).not.toMatch(/13800138000|13912345678/);
    expect(lines[0]).toMatchObject({
      err: { type: 'AggregateError', aggregateErrors: [{ message: 'a 139******78' }], detail: { message: 'inner 138******00' } },
    });
  });

  it('masks the bindings of children and grandchildren', () => {
    const { logger, raw, lines } = capture();
    logger.child({ callId: 'c1', caller: '13800138000' }).child({ leg: { endpoint: 'PJSIP/13912345678' } }).info('answered');
    expect(raw.join('')).not.toMatch(/13800138000|13912345678/);
    expect(lines[0]).toMatchObject({ callId: 'c1', caller: '138******00', leg: { endpoint: 'PJSIP/139******78' } });
  });

  it('leaves ids, numbers that are not phone fields and the caller’s objects alone', () => {
    const { logger, lines } = capture();
    const row = { callId: '1714567890.123', channelId: '13800138000', caller: '13800138000', ts: 1714567890123, delayMs: 5006 };
    const original = structuredClone(row);
    logger.info({ row }, 'row');
    expect(row).toEqual(original);
    expect(lines[0]).toMatchObject({ row: { ...original, caller: '138******00' } });
  });

  it('survives circular objects', () => {
    const { logger, lines } = capture();
    const a: Record<string, unknown> = { caller: '13800138000' };
    a.self = a;
    logger.info({ a }, 'loop');
    expect(lines[0]).toMatchObject({ a: { caller: '138******00' } });
  });

  it('property: a number of 7 to 15 digits never reaches a line, whatever the shape around it', () => {
    const digits = fc.stringMatching(/^[1-9]\d{6,14}$/);
    // Text around the number that does not glue it to a decimal or another digit.
    const around = fc.string({ maxLength: 12 }).map((s) => s.replace(/[\d.]/g, ''));
    const key = fc.constantFrom('a', 'data', 'row', 'info', 'list', 'note', 'caller', 'called', 'number', 'msg', 'detail');
    fc.assert(
      fc.property(digits, around, around, fc.nat(4), key, fc.boolean(), (n, before, after, depth, k, asError) => {
        const carrier = `${before}${n}${after}`;
        let value: unknown = asError ? new Error(carrier) : carrier;
        for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { [k]: value, other: 1 } : [value, 'x'];
        const { logger, lines } = capture();
        logger.info({ [k]: value }, carrier);
        // pino's own fields (time, pid) may hold the same digits by chance.
        const logged = Object.fromEntries(Object.entries(lines[0] ?? {}).filter(([name]) => !['time', 'pid', 'hostname', 'level'].includes(name)));
        expect(JSON.stringify(logged)).not.toContain(n);
      }),
      { numRuns: 300 },
    );
  });
});

describe('CallSession "key pressed" (N7 capture at LOG_LEVEL=debug)', () => {
  it('logs that a key was pressed and how many wait, never the key', () => {
    const { logger, lines, raw } = capture('debug');
    const noop = () => Promise.resolve();
    const ari = {
      ring: noop,
      answer: noop,
      hangup: noop,
      setVar: noop,
      startMoh: noop,
      stopMoh: noop,
      createBridge: noop,
      addToBridge: noop,
      destroyBridge: noop,
      play: () => Promise.resolve({ finished: new Promise(() => undefined) }),
      stopPlayback: noop,
    } as unknown as SessionAri;
    const events: ChannelEvents = new EventEmitter();
    const session = new CallSession({
      ari,
      events,
      channel: {
        id: 'call-1',
        name: 'Local/x',
        state: 'Up',
        caller: { number: '13800138000', name: '' },
        dialplan: { context: 'hotline-inbound', exten: '4008008000', priority: 1 },
        creationtime: new Date(Date.UTC(2026, 0, 5, 2, 0, 0)).toISOString(),
      },
      facts: createCallFacts({ direction: 'inbound', caller: '13800138000', language: 'zh-CN' }),
      clock: new VirtualClock(Date.UTC(2026, 0, 5, 2, 0, 0)),
      logger,
      voice: { silenceMs: 1200, talkMs: 160 },
    });
    for (const key of '13912345678#') events.emit('dtmf', key);
    const pressed = lines.filter((l) => l.msg === 'key pressed');
    expect(pressed.map((l) => l.buffered)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // No key under any name: each line has pino's fields, the logger's bindings and the count.
    const PINO = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'buffered']);
    for (const line of pressed) expect(Object.keys(line).filter((k) => !PINO.has(k))).toEqual([]);
    for (const line of raw.filter((l) => l.includes('key pressed'))) {
      for (const key of '0123456789#') expect(line).not.toContain(`"${key}"`);
    }
    expect(raw.join('')).not.toContain('13912345678');
    void session;
  });
});
