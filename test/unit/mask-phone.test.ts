import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { maskPhone } from '../../src/log/mask-phone.js';

describe('maskPhone', () => {
  it.each([
    ['13800138000', '138******00'],
    ['1234567', '123**67'],
    ['+86 138-0013-8000', '+86 1**-****-**00'],
    ['sip:13800138000@pbx', 'sip:138******00@pbx'],
    ['123456', '****56'],
    ['1001', '**01'],
    ['123', '*23'],
    ['12', '12'],
    ['', ''],
    ['anonymous', 'anonymous'],
  ])('%j → %j', (input, expected) => {
    expect(maskPhone(input)).toBe(expected);
  });
});

describe('createLogger', () => {
  function capture() {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    return { logger, lines };
  }

  it('masks phone fields at the top level and one level down', () => {
    const { logger, lines } = capture();
    logger.info(
      { caller: '13800138000', called: '4008001234', callerId: 5551234567, call: { number: '13912345678' }, digit: '1' },
      'hello',
    );
    expect(lines[0]).toMatchObject({
      caller: '138******00',
      called: '400*****34',
      callerId: '555*****67',
      call: { number: '139******78' },
      digit: '1',
      msg: 'hello',
    });
  });

  it('masks the caller bound on a per-call child logger', () => {
    const { logger, lines } = capture();
    logger.child({ callId: 'c1', caller: '13800138000' }).info('answered');
    expect(lines[0]).toMatchObject({ callId: 'c1', caller: '138******00' });
    expect(JSON.stringify(lines[0])).not.toContain('13800138000');
  });

  it('masks the number inside an ARI caller object and hides unknown shapes', () => {
    const { logger, lines } = capture();
    logger.info({ channel: { caller: { number: '13800138000', name: 'Li' } }, number: { digits: '13800138000' } }, 'x');
    expect(lines[0]).toMatchObject({ channel: { caller: { number: '138******00', name: 'Li' } }, number: '[Redacted]' });
  });
});
