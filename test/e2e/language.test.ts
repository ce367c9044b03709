// N18 end to end: the caller's language decides every later prompt. What Asterisk itself
// reports playing to the hotline's channel is checked, not only the controller's log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AriObserver } from './support/ari-observer.js';
import { dataOf } from './support/call-helpers.js';
import { freshCaller } from './support/test-controller.js';
import { useHotline } from './support/use-hotline.js';

describe('N18 languages per call', () => {
  const h = useHotline('test/fixtures/flows/language.yaml', { FLOW_TIME_SCALE: '1' });
  const observer = new AriObserver();
  beforeAll(() => observer.connect());
  afterAll(() => observer.close());

  const after = (media: string[], first: string) => media.slice(media.indexOf(first));

  it('N18: a caller who presses 2 hears every later prompt and the goodbye in English', async () => {
    const number = freshCaller();
    const caller = await h.callers.dial(number);
    await caller.answered();
    // The offer: 普通话服务请按1 in Mandarin, then For English, press 2 in English.
    await new Promise((r) => setTimeout(r, 1500));
    await caller.press('2');
    const call = await h.hotline.endedCall(number, 60_000);
    const events = await h.hotline.events(call.id);
    expect(dataOf(events, 'language.chosen')).toEqual({
      step: 'lang', language: 'en', previous: 'zh-CN', by: 'key', key: '2', countryCode: null,
    });
    const media = observer.mediaPlayedTo(call.channelId);
    expect(media[0]).toBe('sound:hotline/zh-CN/language.offer');
    const later = after(media, 'sound:hotline/en/info.business');
    expect(later[0]).toBe('sound:hotline/en/info.business');
    expect(later.some((m) => m.startsWith('sound:hotline/en/closing.'))).toBe(true);
    expect(later.filter((m) => !m.startsWith('sound:hotline/en/'))).toEqual([]);
    expect(call.hangupBy).toBe('system');
  }, 90_000);

  it('N18: a +44 caller is English at once (no question); a key-less domestic caller stays in Mandarin', async () => {
    const uk = `+44770090${String(Date.now() % 10_000).padStart(4, '0')}`;
    const domestic = freshCaller();
    const [ukCaller, cnCaller] = await Promise.all([h.callers.dial(uk), h.callers.dial(domestic)]);
    await Promise.all([ukCaller.answered(), cnCaller.answered()]);
    const [ukCall, cnCall] = await Promise.all([h.hotline.endedCall(uk, 60_000), h.hotline.endedCall(domestic, 60_000)]);

    expect(dataOf(await h.hotline.events(ukCall.id), 'language.chosen')).toMatchObject({ language: 'en', by: 'country-code', countryCode: '44' });
    const ukMedia = observer.mediaPlayedTo(ukCall.channelId);
    expect(ukMedia.length).toBeGreaterThan(1);
    expect(ukMedia.filter((m) => !m.startsWith('sound:hotline/en/'))).toEqual([]);
    expect(ukMedia).not.toContain('sound:hotline/en/language.offer');

    expect(dataOf(await h.hotline.events(cnCall.id), 'language.kept')).toMatchObject({ language: 'zh-CN' });
    const cnMedia = after(observer.mediaPlayedTo(cnCall.channelId), 'sound:hotline/zh-CN/info.business');
    expect(cnMedia.length).toBeGreaterThan(1);
    expect(cnMedia.filter((m) => !m.startsWith('sound:hotline/zh-CN/'))).toEqual([]);
  }, 120_000);
});
