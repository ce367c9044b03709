// N14: a call's recordings, from the caller's consent to the stored row. The record step starts
// the whole-call recording (mode call); the transfer asks here for the bridge's recording of an
// agent conversation (mode agent). Either way the recording gets its row when Asterisk takes it
// and its end (status, length, size) when Asterisk reports it, whenever that is: the call may
// have hung up long before. A recording that Asterisk refuses is logged and the call goes on
// unrecorded: recording is a record of the service, never a reason to fail a caller.
import { randomUUID } from 'node:crypto';
import type { BridgeOptions, LiveRecording, RecordRequest } from '../calls/call-port.js';
import { isChannelGone } from '../ari/types.js';
import type { FlowContext } from '../flow/context.js';
import type { RecordingFileInfo, RecordingFiles } from './recording-files.js';
import type { RecordingPolicy } from './recording-policy.js';
import type { RecordingRow, RecordingStore, RecordingWho } from './recording-store.js';

/** The service the record step and the transfer use (wired by the controller). */
export interface Recordings {
  readonly store: RecordingStore;
  readonly files: RecordingFiles;
}

/** A fresh name: the file's base name, unique, and free of anything about the caller. */
export function newRecordingName(): string {
  return `rec-${randomUUID()}`;
}

export function recordRequest(policy: RecordingPolicy): RecordRequest {
  return { name: newRecordingName(), format: policy.format, maxDurationS: policy.maxMinutes * 60 };
}

/**
 * Mode call: records the caller's channel, both directions, from now to the end of the call.
 * Rethrows only when the call itself has ended (the flow ends as usual).
 */
export async function recordWholeCall(ctx: FlowContext, recordings: Recordings): Promise<void> {
  const request = recordRequest(ctx.flow.recording);
  let live: LiveRecording;
  try {
    live = await ctx.call.recordCaller(request);
  } catch (err) {
    if (ctx.call.signal.aborted || isChannelGone(err)) throw err;
    refused(ctx, 'call', request.name, err);
    return;
  }
  void keep(ctx, recordings, live, { mode: 'call', who: 'caller', agent: null });
}

/**
 * The bridge options of an agent conversation (transfer.ts), with the caller's consent: mode
 * agent records the bridge; mode call is recording the whole call already, whose row now names
 * the agent too. Without consent, or with recording off, nothing.
 */
export function agentTalkRecording(ctx: FlowContext, agent: string): BridgeOptions {
  const recordings = ctx.services.recordings;
  const policy = ctx.flow.recording;
  if (!recordings || ctx.facts.recording !== 'given') return {};
  if (policy.mode === 'call') {
    for (const row of recordings.store.liveFor(ctx.call.id, 'call')) recordings.store.noteAgent(row.id, agent);
    return {};
  }
  if (policy.mode !== 'agent') return {};
  const request = recordRequest(policy);
  return {
    record: {
      request,
      started: (live) => void keep(ctx, recordings, live, { mode: 'agent', who: 'caller+agent', agent }),
      failed: (err) => refused(ctx, 'agent', request.name, err),
    },
  };
}

function refused(ctx: FlowContext, mode: 'call' | 'agent', name: string, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  ctx.logger.warn({ err, name, mode }, 'recording refused; the call goes on unrecorded');
  ctx.record('recording.failed', { name, mode, message });
}

/**
 * The row of a recording Asterisk has taken, and its end once reported. Resolves when the row
 * is final; never rejects (a store failure is logged).
 */
export async function keep(
  ctx: FlowContext,
  { store, files }: Recordings,
  live: LiveRecording,
  meta: { mode: 'call' | 'agent'; who: RecordingWho; agent: string | null },
): Promise<void> {
  let id: number;
  const format = ctx.flow.recording.format;
  try {
    id = store.start({ callId: ctx.call.id, name: live.name, format, ...meta, startedAt: live.startedAt }).id;
  } catch (err) {
    // A file without a row could be neither served nor ever deleted: none is kept.
    ctx.logger.error({ err, name: live.name }, 'recording: its row could not be stored; stopping it');
    await live.stop();
    await files.remove(live.name, format).catch(() => undefined);
    return;
  }
  ctx.record('recording.started', { id, name: live.name, mode: meta.mode, who: meta.who, agent: meta.agent });
  try {
    const end = await live.finished;
    let file: RecordingFileInfo | undefined;
    try {
      file = await files.inspect(live.name, format);
    } catch (err) {
      ctx.logger.warn({ err, name: live.name }, 'recording: its file could not be inspected');
    }
    // Asterisk's word first; without one (its channel left before it reported) the file decides.
    const status = end.state === 'failed' ? 'failed' : end.state === 'done' || file ? 'done' : 'failed';
    // The file's length is exact; Asterisk reports whole seconds; the clock is the last resort.
    const durationMs = file?.durationMs ?? end.durationMs ?? Math.max(0, end.endedAt - live.startedAt);
    const bytes = file?.bytes ?? null;
    const cause = end.cause ?? (status === 'failed' && !file ? 'no file' : undefined);
    store.finish(id, { endedAt: end.endedAt, durationMs, bytes, status, cause: cause ?? null });
    ctx.record('recording.stopped', { id, name: live.name, status, durationMs, bytes, ...(cause === undefined ? {} : { cause }) });
  } catch (err) {
    ctx.logger.error({ err, id, name: live.name }, 'recording: its end could not be stored');
  }
}

/**
 * N14 after a controller restart: the recordings of this adopted call that the controller before
 * left open, to close once the call has ended (closeLeftRecordings). Its whole-call recording
 * ended with it (the snoop channel was hung up as an orphan): when the caller consented, the
 * recording goes on from here in a new file, a row of its own. An agent conversation's recording
 * goes on with the conversation, on its bridge, until that bridge goes.
 */
export async function resumeRecordings(ctx: FlowContext): Promise<RecordingRow[]> {
  const recordings = ctx.services.recordings;
  if (!recordings) return [];
  const left = [...recordings.store.liveFor(ctx.call.id, 'call'), ...recordings.store.liveFor(ctx.call.id, 'agent')];
  const wholeCall = left.some((row) => row.mode === 'call');
  if (wholeCall && ctx.facts.recording === 'given' && ctx.flow.recording.mode === 'call') await recordWholeCall(ctx, recordings);
  return left;
}

/**
 * Closes the rows a controller before left open, once the call has ended (their files are final
 * then): from the file, as keep() does, with `recording.stopped`; failed when there is no file.
 * Never rejects (a store failure is logged).
 */
export async function closeLeftRecordings(ctx: FlowContext, rows: readonly RecordingRow[]): Promise<void> {
  const recordings = ctx.services.recordings;
  if (!recordings) return;
  for (const row of rows) {
    let file: RecordingFileInfo | undefined;
    try {
      file = await recordings.files.inspect(row.name, row.format);
    } catch (err) {
      ctx.logger.warn({ err, name: row.name }, 'recording: its file could not be inspected');
    }
    const status = file ? 'done' : 'failed';
    const cause = file ? undefined : 'left open by a stopped controller; no file';
    const durationMs = file?.durationMs ?? null;
    const bytes = file?.bytes ?? null;
    // The file's length says when it ended; the clock (now) is the last resort.
    const endedAt = durationMs === null ? ctx.clock.now() : row.startedAt + durationMs;
    try {
      if (!recordings.store.finish(row.id, { endedAt, durationMs, bytes, status, cause: cause ?? null })) continue;
      ctx.record('recording.stopped', { id: row.id, name: row.name, status, durationMs, bytes, ...(cause === undefined ? {} : { cause }) });
    } catch (err) {
      ctx.logger.error({ err, id: row.id, name: row.name }, 'recording: its end could not be stored');
    }
  }
}
