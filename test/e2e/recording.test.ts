// N14 end to end: a caller who listens to the recording announcement is recorded for the rest
// of the call (both directions, through a snoop); the recording's row has the call's length
// after the announcement, and the API serves its audio as WAV, by range too. A caller who
// presses 9 during the announcement declines: the decline is logged and nothing is recorded.
import { describe, expect, it } from 'vitest';
import { readEnvironment } from '../../src/config/env.js';
import type { RecordingRow } from '../../src/recording/recording-store.js';
import { dataOf, types, waitForEvent } from './support/call-helpers.js';
import { freshCaller } from './support/test-controller.js';
import { useHotline } from './support/use-hotline.js';

// `npm run asterisk:up` writes this into hotline.env; the fallback is the sandbox's own folder.
const RECORDINGS_DIR =
  readEnvironment().HOTLINE_RECORDINGS_DIR ??
  `${process.env.HOTLINE_SANDBOX_CACHE ?? '/var/cache/hotline-sandbox'}/root/var/spool/asterisk/recording`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('N14 call recording with consent', () => {
  const h = useHotline('test/fixtures/flows/recording.yaml', { FLOW_TIME_SCALE: '1', HOTLINE_RECORDINGS_DIR: RECORDINGS_DIR });
  const api = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${h.hotline.controller.httpUrl}/api${path}`, { headers: { Authorization: `Bearer ${h.hotline.token}`, ...headers } });

  /** The call's recordings once none is still recording. */
  async function endedRecordings(callId: string, timeoutMs = 15_000): Promise<RecordingRow[]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { recordings } = (await (await api(`/calls/${callId}/recordings`)).json()) as { recordings: RecordingRow[] };
      if (recordings.every((r) => r.status !== 'recording')) return recordings;
      if (Date.now() > until) throw new Error(`recordings of ${callId} still recording after ${timeoutMs} ms`);
      await sleep(200);
    }
  }

  it('N14: a caller who listens is recorded after the announcement; the file has the call\'s length and is served as WAV, by range too', async () => {
    const number = freshCaller();
    const caller = await h.callers.dial(number);
    await caller.answered();
    await waitForEvent(h.hotline, number, 'recording.started', 40_000);
    const call = await h.hotline.endedCall(number, 90_000);
    const events = await h.hotline.events(call.id);
    // The announcement came first, with nothing recorded before it.
    expect(types(events).indexOf('recording.announced')).toBeLessThan(types(events).indexOf('recording.started'));
    expect(dataOf(events, 'recording.announced')).toMatchObject({ prompt: 'recording.notice', declineKey: '9', interrupted: false });
    expect(types(events)).not.toContain('recording.declined');
    const [recording, ...others] = await endedRecordings(call.id);
    expect(others).toEqual([]);
    expect(recording).toMatchObject({ callId: call.id, mode: 'call', who: 'caller', status: 'done', format: 'wav' });
    // Its length is the call's time from the start of the recording to the hang-up, within 1 s.
    const startedAt = events.find((e) => e.type === 'recording.started')!.ts;
    const hungUpAt = events.find((e) => e.type === 'call.hangup')!.ts;
    expect(Math.abs(recording!.durationMs! - (hungUpAt - startedAt))).toBeLessThanOrEqual(1000);
    expect(recording!.durationMs!).toBeGreaterThan(3000); // info.business and the closing were recorded
    // The recording is closed after the hang-up (Asterisk's RecordingFinished): its event too,
    // written by the recorder's next batch.
    await waitForEvent(h.hotline, number, 'recording.stopped', 10_000);
    const after = await h.hotline.events(call.id);
    expect(dataOf(after, 'recording.stopped')).toMatchObject({ id: recording!.id, status: 'done', durationMs: recording!.durationMs });

    const audio = await api(`/recordings/${recording!.id}/audio`);
    expect(audio.status).toBe(200);
    expect(audio.headers.get('content-type')).toMatch(/^audio\/wav/);
    const wav = Buffer.from(await audio.arrayBuffer());
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.toString('ascii', 8, 12)).toBe('WAVE');
    expect(wav.length).toBe(recording!.bytes);
    // Not silence: what the caller heard (the hotline's prompts) is in the file.
    let loudest = 0;
    for (let at = 44; at + 1 < wav.length; at += 2) loudest = Math.max(loudest, Math.abs(wav.readInt16LE(at)));
    expect(loudest).toBeGreaterThan(1000);

    const part = await api(`/recordings/${recording!.id}/audio`, { Range: 'bytes=0-43' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-43/${wav.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(wav.subarray(0, 44))).toBe(true);
  }, 120_000);

  it('N14: a caller who presses 9 during the announcement declines: logged, and no recording', async () => {
    const number = freshCaller();
    const caller = await h.callers.dial(number);
    await caller.answered();
    await sleep(1500); // the announcement is playing
    await caller.press('9');
    await waitForEvent(h.hotline, number, 'recording.declined', 20_000);
    const call = await h.hotline.endedCall(number, 90_000);
    const events = await h.hotline.events(call.id);
    expect(dataOf(events, 'recording.declined')).toMatchObject({ step: 'consent', key: '9' });
    expect(dataOf(events, 'recording.announced')).toMatchObject({ interrupted: true });
    expect(types(events)).not.toContain('recording.started');
    // The call went on: the information and the closing were played.
    expect(types(events)).toContain('goodbye.played');
    const { recordings } = (await (await api(`/calls/${call.id}/recordings`)).json()) as { recordings: unknown[] };
    expect(recordings).toEqual([]);
  }, 120_000);
});
