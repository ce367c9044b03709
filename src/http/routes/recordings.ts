// N14: call recordings for token holders: a call's recordings, one recording's row, its audio
// (audio/wav, with Range requests: a player seeks without downloading the whole call), and its
// deletion by an operator (who and why, logged on the call). The file served is always the one
// the recordings table names, never a path from the request. A deleted recording keeps its row
// (GET shows when, why and by whom) and its audio answers 410.
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { RecordingFiles } from '../../recording/recording-files.js';
import type { RecordingRow, RecordingStore } from '../../recording/recording-store.js';
import type { EventData, EventType } from '../../store/events.js';
import { ApiError, callNotFound } from '../errors.js';
import { parseInput } from '../parse-input.js';

export interface RecordingRoutesDeps {
  store: RecordingStore;
  files: RecordingFiles;
  /** Whether the call has a row (its recordings may be listed before the row is written). */
  callExists: (callId: string) => boolean;
  /** Logs an event on a call's record. */
  record: <T extends EventType>(callId: string, type: T, data: EventData[T]) => void;
  now: () => number;
}

const Id = z.string().regex(/^\d{1,12}$/, 'a recording id is a positive integer').transform(Number);

const DeleteBody = z
  .object({
    by: z.string().trim().min(1).max(64).describe('who deletes it (an operator)'),
    reason: z.string().trim().min(1).max(200).describe('why'),
  })
  .strict();

const notFound = (id: number) => new ApiError(404, 'recording-not-found', `no recording with id ${id}`);
const deleted = (row: RecordingRow) =>
  new ApiError(410, 'recording-deleted', `recording ${row.id} was deleted`, {
    deletedAt: row.deletedAt,
    reason: row.deleteReason,
    by: row.deletedBy,
  });
const inProgress = (id: number) => new ApiError(409, 'recording-in-progress', `recording ${id} is still recording`);

/** The row of a recording that has a file to serve or delete. */
function endedRecording(store: RecordingStore, id: number): RecordingRow {
  const row = store.get(id);
  if (!row) throw notFound(id);
  if (row.status === 'deleted') throw deleted(row);
  if (row.status === 'recording') throw inProgress(id);
  return row;
}

/**
 * Serves audio held in memory (the ARI fallback) with one byte range, as express's sendFile
 * does for files: 206 with Content-Range, 416 for a range past the end. A request with
 * If-Range gets the whole file (allowed, and there is no validator to compare it with).
 */
function sendAudio(req: Request, res: Response, audio: Buffer): void {
  res.set('Accept-Ranges', 'bytes');
  const ranges = req.get('range') && !req.get('if-range') ? req.range(audio.length, { combine: true }) : undefined;
  if (ranges === -1) {
    res.status(416).set('Content-Range', `bytes */${audio.length}`).end();
    return;
  }
  if (ranges !== undefined && ranges !== -2 && ranges.type === 'bytes' && ranges.length === 1) {
    const { start, end } = ranges[0]!;
    res.status(206).set('Content-Range', `bytes ${start}-${end}/${audio.length}`).send(audio.subarray(start, end + 1));
    return;
  }
  res.send(audio);
}

/** GET /calls/:id/recordings, GET /recordings/:id, GET /recordings/:id/audio, DELETE /recordings/:id. */
export function recordingRoutes(deps: RecordingRoutesDeps): Router {
  const { store, files } = deps;
  const router = Router();
  const json = express.json({ limit: '4kb' });

  router.get('/calls/:id/recordings', (req, res) => {
    const callId = req.params.id;
    const recordings = store.forCall(callId);
    if (recordings.length === 0 && !deps.callExists(callId)) throw callNotFound(callId);
    res.json({ callId, recordings });
  });

  router.get('/recordings/:id', (req, res) => {
    const id = parseInput(Id, req.params.id, 'invalid recording id');
    const recording = store.get(id);
    if (!recording) throw notFound(id);
    res.json({ recording });
  });

  router.get('/recordings/:id/audio', async (req, res, next) => {
    const id = parseInput(Id, req.params.id, 'invalid recording id');
    const row = endedRecording(store, id);
    const missing = () => new ApiError(404, 'recording-not-found', `the audio of recording ${id} is missing`);
    const audioHeaders = () => {
      res.type('audio/wav');
      res.set('Content-Disposition', `inline; filename="recording-${row.id}.${row.format}"`);
    };
    const where = files.locate(row.name, row.format);
    if (where) {
      audioHeaders();
      // send handles Range, If-Range and 416; no-store stays (cacheControl off).
      res.sendFile(where.file, { root: where.root, dotfiles: 'deny', cacheControl: false }, (err?: Error) => {
        if (!err || res.headersSent) return;
        // The error answer is JSON, not audio.
        res.removeHeader('Content-Type');
        res.removeHeader('Content-Disposition');
        next((err as NodeJS.ErrnoException).code === 'ENOENT' ? missing() : err);
      });
      return;
    }
    const audio = await files.read(row.name, row.format);
    if (!audio) throw missing();
    audioHeaders();
    sendAudio(req, res, audio);
  });

  router.delete('/recordings/:id', json, async (req, res) => {
    const id = parseInput(Id, req.params.id, 'invalid recording id');
    const { by, reason } = parseInput(DeleteBody, req.body, 'invalid recording deletion');
    const row = endedRecording(store, id);
    const file = await files.remove(row.name, row.format);
    const marked = store.markDeleted(id, { at: deps.now(), reason, by });
    if (!marked) throw deleted(store.get(id) ?? row);
    deps.record(row.callId, 'recording.deleted', { id, name: row.name, reason, by, file });
    res.json({ recording: marked });
  });

  return router;
}
