// N14: where recordings' audio lives. Asterisk writes `<name>.<format>` into its recording
// directory; when the controller sees that directory (HOTLINE_RECORDINGS_DIR: the same folder,
// mounted or, in the sandbox, inside the chroot) it reads, measures and deletes the files there,
// and the API serves them with Range support straight from disk. Without it, everything goes
// through ARI (/recordings/stored): slower, and the length comes from Asterisk's report.
// A name always comes from the recordings table, never from a request, and is checked again
// here: no path can be made to point outside the directory.
import { open, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { AriAdapter } from '../ari/ari-adapter.js';
import { wavDurationSec } from '../prompts/speech-rate.js';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const SAFE_FORMAT = /^[a-z0-9]{1,8}$/;

/** A recording name and format that can only be a plain file name in the recording directory. */
export function isSafeRecordingName(name: string, format: string): boolean {
  return SAFE_NAME.test(name) && SAFE_FORMAT.test(format);
}

export interface RecordingFileInfo {
  /** Size of the file; null when only ARI was asked (it does not say). */
  bytes: number | null;
  /** Length of the audio from the WAV header; null when unknown. */
  durationMs: number | null;
}

export interface RecordingFiles {
  /** disk: HOTLINE_RECORDINGS_DIR is set; ari: the audio is fetched from Asterisk. */
  readonly source: 'disk' | 'ari';
  /** The file's size and length, or undefined when there is no such recording. */
  inspect(name: string, format: string): Promise<RecordingFileInfo | undefined>;
  /** The directory and file name to serve from disk (source disk), or undefined. */
  locate(name: string, format: string): { root: string; file: string } | undefined;
  /** The whole audio, or undefined when there is no such recording. */
  read(name: string, format: string): Promise<Buffer | undefined>;
  /** Deletes the audio; 'missing' when it was not there (already deleted, or never written). */
  remove(name: string, format: string): Promise<'deleted' | 'missing'>;
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

function checked(name: string, format: string): string {
  if (!isSafeRecordingName(name, format)) throw new Error(`not a recording name: ${JSON.stringify(`${name}.${format}`)}`);
  return `${name}.${format}`;
}

/** The audio length of a WAV file from its first bytes and its size; undefined when it is not WAV. */
function wavDurationMs(header: Buffer, fileBytes: number): number | undefined {
  try {
    return Math.round(wavDurationSec(header, fileBytes) * 1000);
  } catch {
    return undefined;
  }
}

/** Recordings read and deleted in a directory the controller shares with Asterisk. */
export function diskRecordingFiles(dir: string): RecordingFiles {
  const root = path.resolve(dir);
  const full = (name: string, format: string) => path.join(root, checked(name, format));
  return {
    source: 'disk',
    async inspect(name, format) {
      const file = full(name, format);
      let size: number;
      try {
        size = (await stat(file)).size;
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
      const handle = await open(file, 'r');
      try {
        const header = Buffer.alloc(Math.min(size, 4096));
        await handle.read(header, 0, header.length, 0);
        return { bytes: size, durationMs: format === 'wav' ? (wavDurationMs(header, size) ?? null) : null };
      } finally {
        await handle.close();
      }
    },
    locate: (name, format) => ({ root, file: checked(name, format) }),
    async read(name, format) {
      const handle = await open(full(name, format), 'r').catch((err: unknown) => {
        if (isMissing(err)) return undefined;
        throw err;
      });
      if (!handle) return undefined;
      try {
        return await handle.readFile();
      } finally {
        await handle.close();
      }
    },
    async remove(name, format) {
      try {
        await unlink(full(name, format));
        return 'deleted';
      } catch (err) {
        if (isMissing(err)) return 'missing';
        throw err;
      }
    },
  };
}

/** What the ARI fallback asks of Asterisk. */
export type RecordingAri = Pick<AriAdapter, 'storedRecording' | 'deleteStoredRecording' | 'storedRecordingFile'>;

/** Recordings through ARI's /recordings/stored, when the controller cannot see the directory. */
export function ariRecordingFiles(ari: RecordingAri): RecordingFiles {
  return {
    source: 'ari',
    async inspect(name, format) {
      checked(name, format);
      return (await ari.storedRecording(name)) ? { bytes: null, durationMs: null } : undefined;
    },
    locate: () => undefined,
    async read(name, format) {
      checked(name, format);
      return ari.storedRecordingFile(name);
    },
    async remove(name, format) {
      checked(name, format);
      return (await ari.deleteStoredRecording(name)) ? 'deleted' : 'missing';
    },
  };
}
