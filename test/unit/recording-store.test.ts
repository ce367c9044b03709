// N14: the recordings table (migration 12) and the recording files on disk: a row per recording
// linked to its call, ended once, deleted with when, why and by whom; the WAV length read from
// the header; names that can only be plain files in the recording directory.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { diskRecordingFiles, isSafeRecordingName } from '../../src/recording/recording-files.js';
import { createRecordingStore, type NewRecording, type RecordingStore } from '../../src/recording/recording-store.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { createSqliteRecorder } from '../../src/store/sqlite-recorder.js';
import { wav } from './support/wav-file.js';

const T0 = Date.UTC(2026, 2, 10, 2, 0, 0);

const rec = (over: Partial<NewRecording> = {}): NewRecording => ({
  callId: 'call-1',
  name: `rec-${Math.random().toString(16).slice(2)}`,
  format: 'wav',
  mode: 'call',
  who: 'caller',
  agent: null,
  startedAt: T0,
  ...over,
});

let db: Database;
let store: RecordingStore;

beforeEach(() => {
  db = openDatabase(':memory:');
  store = createRecordingStore(db);
});

describe('recording store (N14)', () => {
  it('N14: a recording starts linked to its call, and its end (status, length, size) is stored once', () => {
    const row = store.start(rec({ name: 'rec-a' }));
    expect(row).toEqual({
      id: 1, callId: 'call-1', name: 'rec-a', format: 'wav', mode: 'call', who: 'caller', agent: null, startedAt: T0,
      endedAt: null, durationMs: null, bytes: null, status: 'recording', cause: null, deletedAt: null, deleteReason: null, deletedBy: null,
    });
    const ended = store.finish(1, { endedAt: T0 + 9000, durationMs: 8950, bytes: 143_244, status: 'done' });
    expect(ended).toMatchObject({ status: 'done', endedAt: T0 + 9000, durationMs: 8950, bytes: 143_244 });
    // A late second report (the stale-row sweep, a duplicate event) changes nothing.
    expect(store.finish(1, { endedAt: T0 + 99_000, durationMs: 1, bytes: 1, status: 'failed', cause: 'x' })).toBeUndefined();
    expect(store.get(1)).toMatchObject({ status: 'done', durationMs: 8950 });
    expect(store.forCall('call-1')).toHaveLength(1);
  });

  it('N14: a whole-call recording that reaches an agent names the agent; only while it runs', () => {
    store.start(rec());
    store.noteAgent(1, 'a1');
    expect(store.liveFor('call-1', 'call')).toMatchObject([{ who: 'caller+agent', agent: 'a1' }]);
    store.finish(1, { endedAt: T0, durationMs: 0, bytes: 0, status: 'done' });
    store.noteAgent(1, 'a2');
    expect(store.get(1)).toMatchObject({ agent: 'a1' });
    expect(store.liveFor('call-1', 'call')).toEqual([]);
  });

  it('N14: a deleted recording keeps its row with when, why and by whom; deleting twice is refused', () => {
    store.start(rec());
    expect(store.markDeleted(1, { at: T0 + 5, reason: 'retention', by: 'retention-job' })).toMatchObject({
      status: 'deleted', deletedAt: T0 + 5, deleteReason: 'retention', deletedBy: 'retention-job',
    });
    expect(store.markDeleted(1, { at: T0 + 6, reason: 'again', by: 'x' })).toBeUndefined();
    expect(store.markDeleted(99, { at: T0, reason: 'x', by: 'x' })).toBeUndefined();
  });

  it('N14: names are unique, and mode, who and status only take their values (CHECK)', () => {
    store.start(rec({ name: 'same' }));
    expect(() => store.start(rec({ name: 'same' }))).toThrow(/UNIQUE/);
    expect(() => store.start(rec({ mode: 'everything' as 'call' }))).toThrow(/CHECK/);
    expect(() => store.start(rec({ who: 'agent' as 'caller' }))).toThrow(/CHECK/);
  });

  it('N14: expired lists ended recordings started before the cut, oldest first; stale lists rows left recording', () => {
    store.start(rec({ startedAt: T0 - 10 })); // 1: still recording
    store.start(rec({ startedAt: T0 - 30 })); // 2
    store.start(rec({ startedAt: T0 - 20 })); // 3
    store.start(rec({ startedAt: T0 + 10 })); // 4: after the cut
    for (const id of [2, 3, 4]) store.finish(id, { endedAt: T0, durationMs: 1, bytes: 1, status: id === 3 ? 'failed' : 'done' });
    expect(store.expired(T0, 10).map((r) => r.id)).toEqual([2, 3]);
    expect(store.expired(T0, 1).map((r) => r.id)).toEqual([2]);
    expect(store.stale(T0, 10).map((r) => r.id)).toEqual([1]);
  });

  it('N14: orphaned lists recordings whose call has no row (once past the cut); deleted ones are done with', () => {
    const clock = new VirtualClock(T0);
    const recorder = createSqliteRecorder(db, { logger: pino({ level: 'silent' }), clock });
    recorder.callStarted({ id: 'call-1', channelId: 'call-1', caller: '13800138000', called: '4008008000', startedAt: T0 });
    recorder.flush();
    store.start(rec({ callId: 'call-1' })); // 1: its call is there
    store.start(rec({ callId: 'gone' })); // 2: orphan
    store.start(rec({ callId: 'gone', startedAt: T0 + 100 })); // 3: too young to tell
    store.start(rec({ callId: 'gone' })); // 4: deleted already
    store.markDeleted(4, { at: T0, reason: 'operator', by: 'li' });
    expect(store.orphaned(T0 + 1, 10).map((r) => r.id)).toEqual([2]);
    recorder.close();
  });
});

describe('recording files on disk (N14)', () => {
  const dir = () => mkdtempSync(path.join(tmpdir(), 'hotline-rec-'));

  it('N14: inspect measures a WAV from its header and size; a missing file is undefined', async () => {
    const d = dir();
    writeFileSync(path.join(d, 'rec-a.wav'), wav(12_345));
    const files = diskRecordingFiles(d);
    expect(await files.inspect('rec-a', 'wav')).toEqual({ bytes: 44 + 197_520, durationMs: 12_345 });
    expect(await files.inspect('rec-b', 'wav')).toBeUndefined();
  });

  it('N14: a header whose data length Asterisk had not filled in counts to the end of the file', async () => {
    const d = dir();
    const audio = wav(3000);
    audio.writeUInt32LE(0, 40);
    writeFileSync(path.join(d, 'rec-open.wav'), audio);
    expect(await diskRecordingFiles(d).inspect('rec-open', 'wav')).toEqual({ bytes: audio.length, durationMs: 3000 });
  });

  it('N14: a file that is not WAV has a size but no length', async () => {
    const d = dir();
    writeFileSync(path.join(d, 'rec-x.wav'), 'not audio');
    expect(await diskRecordingFiles(d).inspect('rec-x', 'wav')).toEqual({ bytes: 9, durationMs: null });
  });

  it('N14: remove deletes the file, then says missing; read gives the bytes', async () => {
    const d = dir();
    writeFileSync(path.join(d, 'rec-a.wav'), wav(100));
    const files = diskRecordingFiles(d);
    expect((await files.read('rec-a', 'wav'))?.length).toBe(44 + 1600);
    expect(await files.remove('rec-a', 'wav')).toBe('deleted');
    expect(await files.remove('rec-a', 'wav')).toBe('missing');
    expect(await files.read('rec-a', 'wav')).toBeUndefined();
    expect(readdirSync(d)).toEqual([]);
  });

  it('N14: a name that could leave the directory is refused everywhere (property)', async () => {
    const files = diskRecordingFiles(dir());
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (name) => {
        const safe = isSafeRecordingName(name, 'wav');
        if (safe) expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]*$/);
        if (name.includes('/') || name.includes('\\') || name.includes('..') || name.startsWith('.') || name === '') expect(safe).toBe(false);
      }),
      { seed: 14 },
    );
    for (const name of ['../etc/passwd', '.hidden', 'a/b', '', 'x'.repeat(129)]) {
      expect(() => files.locate(name, 'wav')).toThrow('not a recording name');
      await expect(files.remove(name, 'wav')).rejects.toThrow('not a recording name');
    }
    expect(() => files.locate('rec-a', '../wav')).toThrow('not a recording name');
    expect(files.locate('rec-a', 'wav')?.file).toBe('rec-a.wav');
  });
});
