import { describe, expect, it } from 'vitest';
import { MIN_UNITS_TO_JUDGE, speechRate, spokenUnits, wavDurationSec } from '../../src/prompts/speech-rate.js';

/** A PCM WAV: 16-bit mono at `rate` Hz, `samples` long, with optional extra chunks before data. */
function wav(rate: number, samples: number, extra: Uint8Array = new Uint8Array(0), dataSize?: number): Uint8Array {
  const data = samples * 2;
  const buf = new Uint8Array(44 + extra.length + data);
  const v = new DataView(buf.buffer);
  const put = (at: number, s: string) => [...s].forEach((c, i) => (buf[at + i] = c.charCodeAt(0)));
  put(0, 'RIFF');
  v.setUint32(4, buf.length - 8, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  buf.set(extra, 36);
  put(36 + extra.length, 'data');
  v.setUint32(40 + extra.length, dataSize ?? data, true);
  return buf;
}

describe('spokenUnits', () => {
  it('counts Han characters and digits for zh-CN, ignoring punctuation', () => {
    expect(spokenUnits('您好!请问有什么可以帮助您?', 'zh-CN')).toBe(12);
    expect(spokenUnits('咨询业务请按1,故障报修请按2。', 'zh-CN')).toBe(14);
  });

  it('counts words for en', () => {
    expect(spokenUnits("Hello! I'm sorry, please call again later.", 'en')).toBe(7);
    expect(spokenUnits('To keep waiting, press 2.', 'en')).toBe(5);
  });
});

describe('speechRate', () => {
  it('reports characters a minute and judges zh-CN against N19', () => {
    const ok = speechRate('请您稍等,我帮您查询一下。', 'zh-CN', 3.3);
    expect(ok.units).toBe(11);
    expect(ok.unit).toBe('chars');
    expect(ok.perMinute).toBeCloseTo(200, 5);
    expect(ok.withinNorm).toBe(true);
    expect(speechRate('请您稍等,我帮您查询一下。', 'zh-CN', 3.2).withinNorm).toBe(false); // too fast
    expect(speechRate('请您稍等,我帮您查询一下。', 'zh-CN', 5.6).withinNorm).toBe(false); // too slow
    expect(speechRate('请您稍等,我帮您查询一下。', 'zh-CN', 5.5).withinNorm).toBe(true); // 120 exactly
  });

  it('does not judge en or texts too short to measure', () => {
    const en = speechRate('Thank you for calling. Goodbye!', 'en', 2);
    expect(en).toMatchObject({ units: 5, unit: 'words', perMinute: 150, withinNorm: null });
    expect('幺'.length).toBeLessThan(MIN_UNITS_TO_JUDGE);
    expect(speechRate('幺', 'zh-CN', 0.56).withinNorm).toBeNull();
  });

  it('rejects a non-positive duration', () => {
    expect(() => speechRate('您好', 'zh-CN', 0)).toThrow(RangeError);
    expect(() => speechRate('您好', 'zh-CN', Number.NaN)).toThrow(RangeError);
  });
});

describe('wavDurationSec', () => {
  it('reads the duration from the header', () => {
    expect(wavDurationSec(wav(8000, 8000))).toBe(1);
    expect(wavDurationSec(wav(8000, 49_792))).toBeCloseTo(6.224, 6);
  });

  it('skips chunks before data and trusts the file length over an unset data size', () => {
    const list = new Uint8Array([...'LIST'].map((c) => c.charCodeAt(0)).concat([4, 0, 0, 0, 1, 2, 3, 4]));
    expect(wavDurationSec(wav(8000, 4000, list))).toBe(0.5);
    expect(wavDurationSec(wav(8000, 4000, undefined, 0xffffffff))).toBe(0.5);
  });

  it('rejects what is not a WAV', () => {
    expect(() => wavDurationSec(new TextEncoder().encode('not a wave file at all'))).toThrow(/RIFF/);
  });
});
