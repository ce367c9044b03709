// N14 on the virtual clock: the daily retention job deletes recordings past the flow's
// retentionDays and recordings whose call row is gone (file and all, the row kept as deleted,
// `recording.deleted` logged on the call), closes rows a stopped controller left open, runs at
// start and then every day at 03:30 hotline time, and stops with the service.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { diskRecordingFiles, type RecordingFiles } from '../../src/recording/recording-files.js';
import { RecordingPolicy } from '../../src/recording/recording-policy.js';
import { createRecordingStore, type NewRecording, type RecordingStore } from '../../src/recording/recording-store.js';
import { ORPHAN_GRACE_MS, RecordingRetentionJob, STALE_MS } from '../../src/recording/retention-job.js';
import { openDatabase } from '../../src/store/database.js';
import type { EventData, EventType } from '../../src/store/events.js';
import { createSqliteRecorder, type SqliteRecorder } from '../../src/store/sqlite-recorder.js';
import { wav } from './support/wav-file.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
// 10:00 in Shanghai: the next 03:30 there is 17.5 h away.
const T0 = Date.UTC(2026, 2, 10, 2, 0, 0);
const NEXT_RUN = T0 + 17.5 * HOUR;

let clock: VirtualClock;
let store: RecordingStore;
let recorder: SqliteRecorder;
let dir: string;
let files: RecordingFiles;
let logged: Array<{ callId: string; type: EventType; data: unknown }>;
let retentionDays: number;
let service: AbortController;
let serial = 0;

beforeEach(() => {
  clock = new VirtualClock(T0);
  const db = openDatabase(':memory:');
  store = createRecordingStore(db);
  recorder = createSqliteRecorder(db, { logger: pino({ level: 'silent' }), clock });
  dir = mkdtempSync(path.join(tmpdir(), 'hotline-retention-'));
  files = diskRecordingFiles(dir);
  logged = [];
  retentionDays = 90;
  service = new AbortController();
});

function job(over: Partial<ConstructorParameters<typeof RecordingRetentionJob>[0]> = {}): RecordingRetentionJob {
  return new RecordingRetentionJob({
    store,
    files,
    policy: () => RecordingPolicy.parse({ mode: 'call', retentionDays }),
    timeZone: () => 'Asia/Shanghai',
    record: <T extends EventType>(callId: string, type: T, data: EventData[T]) => logged.push({ callId, type, data }),
    clock,
    logger: pino({ level: 'silent' }),
    signal: service.signal,
    ...over,
  });
}

/** A finished recording of a call that has its row, with its file on disk. */
function recording(startedAt: number, over: Partial<NewRecording> & { file?: boolean; callRow?: boolean; open?: boolean } = {}): number {
  const { file = true, callRow = true, open = false, ...row } = over;
  serial += 1;
  const callId = row.callId ?? `call-${serial}`;
  if (callRow) {
    recorder.callStarted({ id: callId, channelId: callId, caller: '13800138000', called: '4008008000', startedAt });
    recorder.flush();
  }
  const name = `rec-${serial}`;
  if (file) writeFileSync(path.join(dir, `${name}.wav`), wav(2000));
  const { id } = store.start({ callId, name, format: 'wav', mode: 'call', who: 'caller', agent: null, startedAt, ...row });
  if (!open) store.finish(id, { endedAt: startedAt + 2000, durationMs: 2000, bytes: 32_044, status: 'done' });
  return id;
}

const fileOf = (id: number) => path.join(dir, `${store.get(id)!.name}.wav`);

describe('recording retention (N14)', () => {
  it('N14: at start it deletes what is past retentionDays (file, row marked, event on the call) and keeps the rest', async () => {
    const old = recording(T0 - 91 * DAY);
    const young = recording(T0 - 89 * DAY);
    const result = await job().runOnce();
    expect(result).toEqual({ closed: 0, expired: 1, orphaned: 0, failed: 0 });
    expect(existsSync(fileOf(old))).toBe(false);
    expect(existsSync(fileOf(young))).toBe(true);
    expect(store.get(old)).toMatchObject({ status: 'deleted', deletedAt: T0, deleteReason: 'retention', deletedBy: 'retention-job' });
    expect(store.get(young)).toMatchObject({ status: 'done' });
    expect(logged).toEqual([
      { callId: store.get(old)!.callId, type: 'recording.deleted', data: { id: old, name: store.get(old)!.name, reason: 'retention', by: 'retention-job', file: 'deleted' } },
    ]);
  });

  it('N14: runs once at start, then daily at 03:30 hotline time', async () => {
    const j = job();
    j.start();
    await j.idle();
    // Turns 90 days old 5 hours from now: deleted by the next run, not before.
    const id = recording(T0 - 90 * DAY + 5 * HOUR);
    await clock.advance(10 * HOUR);
    expect(store.get(id)!.status).toBe('done');
    await clock.advance(NEXT_RUN - clock.now());
    await j.idle(); // the run deletes real files
    expect(store.get(id)).toMatchObject({ status: 'deleted', deletedAt: NEXT_RUN });
    const later = recording(clock.now() - 90 * DAY + HOUR);
    await clock.advance(DAY - 1);
    await j.idle();
    expect(store.get(later)!.status).toBe('done');
    await clock.advance(1);
    await j.idle();
    expect(store.get(later)).toMatchObject({ status: 'deleted', deletedAt: NEXT_RUN + DAY });
    service.abort();
    await j.stop();
  });

  it('N14: the next run is at 03:30 in the hotline\'s own time zone', () => {
    const berlin = job({ timeZone: () => 'Europe/Berlin' });
    // 02:00 UTC is 03:00 in Berlin (winter time): 30 minutes to go.
    expect(berlin.msUntilNextRun()).toBe(30 * 60_000);
    expect(job().msUntilNextRun()).toBe(17.5 * HOUR);
  });

  it('N14: the retention is the flow\'s in force at each run (a reload may change it)', async () => {
    const id = recording(T0 - 40 * DAY);
    await job().runOnce();
    expect(store.get(id)!.status).toBe('done');
    retentionDays = 30;
    await job().runOnce();
    expect(store.get(id)).toMatchObject({ status: 'deleted', deleteReason: 'retention' });
  });

  it('N14: a recording never outlives its call row: one whose call row is gone is deleted (after the recorder\'s grace)', async () => {
    const orphan = recording(T0 - 2 * HOUR, { callRow: false });
    const young = recording(T0 - ORPHAN_GRACE_MS / 2, { callRow: false });
    const kept = recording(T0 - 2 * HOUR);
    const result = await job().runOnce();
    expect(result).toMatchObject({ orphaned: 1, expired: 0 });
    expect(store.get(orphan)).toMatchObject({ status: 'deleted', deleteReason: 'orphan' });
    expect(existsSync(fileOf(orphan))).toBe(false);
    expect(store.get(young)!.status).toBe('done');
    expect(store.get(kept)!.status).toBe('done');
    expect(logged).toMatchObject([{ type: 'recording.deleted', data: { id: orphan, reason: 'orphan', file: 'deleted' } }]);
  });

  it('N14: a recording whose file is already gone is marked deleted all the same (file: missing)', async () => {
    const id = recording(T0 - 100 * DAY, { file: false });
    await job().runOnce();
    expect(store.get(id)!.status).toBe('deleted');
    expect(logged[0]!.data).toMatchObject({ file: 'missing' });
  });

  it('N14: rows a stopped controller left recording are closed from their files: done with the length, or failed', async () => {
    const withFile = recording(T0 - STALE_MS - 1, { open: true });
    const without = recording(T0 - STALE_MS - 1, { open: true, file: false });
    const running = recording(T0 - HOUR, { open: true });
    const result = await job().runOnce();
    expect(result.closed).toBe(2);
    expect(store.get(withFile)).toMatchObject({ status: 'done', durationMs: 2000, bytes: 32_044, endedAt: T0 });
    expect(store.get(without)).toMatchObject({ status: 'failed', cause: expect.stringContaining('no file') as string });
    expect(store.get(running)!.status).toBe('recording');
  });

  it('N14: a file that cannot be deleted keeps its row (not marked deleted) and is tried again at the next run', async () => {
    const id = recording(T0 - 100 * DAY);
    let broken = true;
    const flaky: RecordingFiles = {
      ...files,
      remove: (name, format) => (broken ? Promise.reject(new Error('EACCES')) : files.remove(name, format)),
    };
    const j = job({ files: flaky });
    expect(await j.runOnce()).toMatchObject({ expired: 0, failed: 1 });
    expect(store.get(id)!.status).toBe('done');
    expect(logged).toEqual([]);
    broken = false;
    expect(await j.runOnce()).toMatchObject({ expired: 1, failed: 0 });
    expect(store.get(id)!.status).toBe('deleted');
  });

  it('N14: more than a batch is deleted in one run', async () => {
    const ids = Array.from({ length: 450 }, () => recording(T0 - 100 * DAY, { file: false }));
    expect((await job().runOnce()).expired).toBe(450);
    expect(ids.every((id) => store.get(id)!.status === 'deleted')).toBe(true);
  });

  it('N14: with the service stopped no run starts, and none is scheduled', async () => {
    const j = job();
    service.abort();
    const id = recording(T0 - 100 * DAY);
    j.start();
    await clock.advance(2 * DAY);
    await j.stop();
    expect(store.get(id)!.status).toBe('done');
    expect(clock.pending).toBe(0);
  });

  it('N14: after a run, nothing past retention and nothing without its call row is left (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 400 }),
        fc.array(
          fc.record({ ageH: fc.integer({ min: 0, max: 24 * 500 }), callRow: fc.boolean(), file: fc.boolean() }),
          { maxLength: 12 },
        ),
        async (days, specs) => {
          retentionDays = days;
          const db = openDatabase(':memory:');
          store = createRecordingStore(db);
          recorder = createSqliteRecorder(db, { logger: pino({ level: 'silent' }), clock });
          const ids = specs.map((s) => recording(T0 - s.ageH * HOUR, { callRow: s.callRow, file: s.file }));
          await job().runOnce();
          ids.forEach((id, i) => {
            const spec = specs[i]!;
            const row = store.get(id)!;
            const expired = spec.ageH * HOUR > days * DAY;
            const orphan = !spec.callRow && spec.ageH * HOUR > ORPHAN_GRACE_MS;
            expect(row.status).toBe(expired || orphan ? 'deleted' : 'done');
            expect(existsSync(path.join(dir, `${row.name}.wav`))).toBe(spec.file && !(expired || orphan));
          });
        },
      ),
      { numRuns: 40, seed: 14 },
    );
  });
});
