// N14 for token holders: a call's recordings, a recording's row, its audio as audio/wav with
// Range requests (206, Content-Range, 416), and an operator's deletion (who and why, logged),
// in-process over real SQLite and real files; and the same audio through the ARI fallback.
import { mkdtempSync, writeFileSync, existsSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { createHttpApp } from '../../src/http/app.js';
import { ariRecordingFiles, diskRecordingFiles, type RecordingFiles } from '../../src/recording/recording-files.js';
import { createRecordingStore, type RecordingStore } from '../../src/recording/recording-store.js';
import { createCallQueries } from '../../src/store/call-queries.js';
import { openDatabase } from '../../src/store/database.js';
import type { EventType } from '../../src/store/events.js';
import { createSqliteRecorder } from '../../src/store/sqlite-recorder.js';
import { wav } from '../unit/support/wav-file.js';

const TOKEN = 'test-token-0123456789';
const T0 = Date.UTC(2026, 2, 10, 2, 0, 0);
const AUDIO = wav(1500); // 24 044 bytes

interface Served {
  base: string;
  store: RecordingStore;
  dir: string;
  logged: Array<{ callId: string; type: EventType; data: unknown }>;
  close(): Promise<void>;
}

async function serve(filesFor: (dir: string) => RecordingFiles): Promise<Served> {
  const db = openDatabase(':memory:');
  const clock = new VirtualClock(T0);
  const recorder = createSqliteRecorder(db, { logger: pino({ level: 'silent' }), clock });
  recorder.callStarted({ id: 'call-1', channelId: 'call-1', caller: '13800138000', called: '4008008000', startedAt: T0 });
  recorder.callStarted({ id: 'call-quiet', channelId: 'call-quiet', caller: '13800138001', called: '4008008000', startedAt: T0 });
  recorder.flush();
  const store = createRecordingStore(db);
  const dir = mkdtempSync(path.join(tmpdir(), 'hotline-api-rec-'));
  const queries = createCallQueries(db);
  const logged: Served['logged'] = [];
  const app = createHttpApp({
    queries,
    health: () => ({ ari: true, ami: true, activeCalls: 0 }),
    apiToken: TOKEN,
    logger: pino({ level: 'silent' }),
    recordings: {
      store,
      files: filesFor(dir),
      callExists: (id) => queries.getCall(id) !== undefined,
      record: (callId, type, data) => logged.push({ callId, type, data }),
      now: () => clock.now(),
    },
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
    store,
    dir,
    logged,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A finished recording of call-1 whose file is on disk. */
function done(s: Served, name: string, file = true): number {
  if (file) writeFileSync(path.join(s.dir, `${name}.wav`), AUDIO);
  const { id } = s.store.start({ callId: 'call-1', name, format: 'wav', mode: 'call', who: 'caller', agent: null, startedAt: T0 });
  s.store.finish(id, { endedAt: T0 + 1500, durationMs: 1500, bytes: AUDIO.length, status: 'done' });
  return id;
}

const get = (s: Served, p: string, headers: Record<string, string> = {}) =>
  fetch(s.base + p, { headers: { Authorization: `Bearer ${TOKEN}`, ...headers } });

describe('recordings API from disk (N14)', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve((dir) => diskRecordingFiles(dir));
  });
  afterAll(() => s.close());

  it('N14: the API needs the token', async () => {
    const res = await fetch(`${s.base}/recordings/1/audio`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('unauthorized');
  });

  it('N14: a call\'s recordings are listed with their rows; a call with none has an empty list; no call is 404', async () => {
    const id = done(s, 'rec-list');
    const res = await get(s, '/calls/call-1/recordings');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { callId: string; recordings: Array<{ id: number }> };
    expect(body.callId).toBe('call-1');
    expect(body.recordings.map((r) => r.id)).toContain(id);
    expect(await (await get(s, '/calls/call-quiet/recordings')).json()).toEqual({ callId: 'call-quiet', recordings: [] });
    const none = await get(s, '/calls/nope/recordings');
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: string }).error).toBe('call-not-found');
  });

  it('N14: GET /recordings/:id is the row: file, start, length, who was recorded', async () => {
    const id = done(s, 'rec-row');
    const res = await get(s, `/recordings/${id}`);
    expect(await res.json()).toEqual({
      recording: expect.objectContaining({ id, callId: 'call-1', name: 'rec-row', startedAt: T0, durationMs: 1500, who: 'caller', status: 'done' }) as unknown,
    });
    const missing = await get(s, '/recordings/999');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toBe('recording-not-found');
    expect((await get(s, '/recordings/abc')).status).toBe(400);
  });

  it('N14: the audio is served whole as audio/wav, not to be stored by caches, saying it takes ranges', async () => {
    const id = done(s, 'rec-audio');
    const res = await get(s, `/recordings/${id}/audio`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^audio\/wav/);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="recording-${id}.wav"`);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(AUDIO)).toBe(true);
    expect(body.toString('ascii', 0, 4)).toBe('RIFF');
  });

  it('N14: a Range request gets 206 with Content-Range and just those bytes', async () => {
    const id = done(s, 'rec-range');
    const res = await get(s, `/recordings/${id}/audio`, { Range: 'bytes=0-99' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 0-99/${AUDIO.length}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(AUDIO.subarray(0, 100))).toBe(true);
    const tail = await get(s, `/recordings/${id}/audio`, { Range: 'bytes=-10' });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(AUDIO.subarray(AUDIO.length - 10))).toBe(true);
  });

  it('N14: a range past the end is 416; an If-Range that no longer matches gets the whole file', async () => {
    const id = done(s, 'rec-416');
    const past = await get(s, `/recordings/${id}/audio`, { Range: `bytes=${AUDIO.length + 10}-` });
    expect(past.status).toBe(416);
    const stale = await get(s, `/recordings/${id}/audio`, { Range: 'bytes=0-9', 'If-Range': '"stale-etag"' });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBe(AUDIO.length);
  });

  it('N14: a recording still running is 409; one whose file is gone is 404 in JSON', async () => {
    const { id: live } = s.store.start({ callId: 'call-1', name: 'rec-live', format: 'wav', mode: 'call', who: 'caller', agent: null, startedAt: T0 });
    const running = await get(s, `/recordings/${live}/audio`);
    expect(running.status).toBe(409);
    expect(((await running.json()) as { error: string }).error).toBe('recording-in-progress');
    const lost = done(s, 'rec-lost', false);
    const res = await get(s, `/recordings/${lost}/audio`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await res.json()) as { error: string }).error).toBe('recording-not-found');
  });

  it('N14: an operator deletes a recording (who and why): the file goes, the row stays as deleted, the call logs it; then 410', async () => {
    const id = done(s, 'rec-del');
    const del = (body: unknown) =>
      fetch(`${s.base}/recordings/${id}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await del({ by: 'li' })).status).toBe(400);
    const res = await del({ by: 'li', reason: 'caller asked' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { recording: unknown }).recording).toMatchObject({
      id, status: 'deleted', deletedAt: T0, deleteReason: 'caller asked', deletedBy: 'li',
    });
    expect(existsSync(path.join(s.dir, 'rec-del.wav'))).toBe(false);
    expect(s.logged).toContainEqual({
      callId: 'call-1', type: 'recording.deleted', data: { id, name: 'rec-del', reason: 'caller asked', by: 'li', file: 'deleted' },
    });
    const audio = await get(s, `/recordings/${id}/audio`);
    expect(audio.status).toBe(410);
    expect(await audio.json()).toMatchObject({ error: 'recording-deleted', details: { reason: 'caller asked', by: 'li' } });
    expect((await del({ by: 'li', reason: 'again' })).status).toBe(410);
    expect(((await (await get(s, `/recordings/${id}`)).json()) as { recording: { status: string } }).recording.status).toBe('deleted');
  });

  it('N14: the file served is the row\'s: a row whose name is not a plain file name serves nothing', async () => {
    const outside = path.join(s.dir, '..', 'outside.wav');
    writeFileSync(outside, AUDIO);
    const { id } = s.store.start({ callId: 'call-1', name: '../outside', format: 'wav', mode: 'call', who: 'caller', agent: null, startedAt: T0 });
    s.store.finish(id, { endedAt: T0, durationMs: 0, bytes: 0, status: 'done' });
    const res = await get(s, `/recordings/${id}/audio`);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    unlinkSync(outside);
    expect((await get(s, '/recordings/..%2F..%2Fetc%2Fpasswd/audio')).status).toBe(400);
  });
});

describe('recordings API through ARI (N14, no HOTLINE_RECORDINGS_DIR)', () => {
  let s: Served;
  const stored = new Map<string, Buffer>([['rec-ari', AUDIO]]);
  beforeAll(async () => {
    s = await serve(() =>
      ariRecordingFiles({
        storedRecording: (name) => Promise.resolve(stored.has(name) ? { name, format: 'wav' } : undefined),
        storedRecordingFile: (name) => Promise.resolve(stored.get(name)),
        deleteStoredRecording: (name) => Promise.resolve(stored.delete(name)),
      }),
    );
  });
  afterAll(() => s.close());

  it('N14: the audio comes from Asterisk, whole or by range (206, Content-Range), 416 past the end', async () => {
    const id = done(s, 'rec-ari', false);
    const whole = await get(s, `/recordings/${id}/audio`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toMatch(/^audio\/wav/);
    expect(Buffer.from(await whole.arrayBuffer()).equals(AUDIO)).toBe(true);
    const part = await get(s, `/recordings/${id}/audio`, { Range: 'bytes=44-143' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 44-143/${AUDIO.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(AUDIO.subarray(44, 144))).toBe(true);
    expect((await get(s, `/recordings/${id}/audio`, { Range: 'bytes=999999-' })).status).toBe(416);
  });

  it('N14: deleting goes to Asterisk too', async () => {
    stored.set('rec-ari-del', AUDIO);
    const id = done(s, 'rec-ari-del', false);
    const res = await fetch(`${s.base}/recordings/${id}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ by: 'wang', reason: 'test data' }),
    });
    expect(res.status).toBe(200);
    expect(stored.has('rec-ari-del')).toBe(false);
    const gone = await get(s, `/recordings/${done(s, 'rec-ari-none', false)}/audio`);
    expect(gone.status).toBe(404);
  });
});
