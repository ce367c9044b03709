// Builds the default prompt audio from prompts/catalogue.yaml: espeak-ng speaks each text inside
// the sandbox root (its 1.52 reads Chinese characters; older hosts' espeak-ng does not), sox turns
// it into the 8 kHz mono 16-bit WAV Asterisk plays without transcoding, and the file lands where
// `sound:hotline/<lang>/<id>` resolves. Recordings dropped in place are kept unless --force.
//
//   npm run prompts:build -- [--root DIR] [--flow FILE] [--catalogue FILE] [--force]
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { Language, LANGUAGES } from '../prompts/language.js';
import { loadCatalogue } from '../prompts/catalogue.js';
import { promptDirInRoot, promptFile } from '../prompts/media.js';
import { speechRate, ZH_CHARS_PER_MINUTE, type SpeechRate, wavDurationSec } from '../prompts/speech-rate.js';

const run = promisify(execFile);

export const DEFAULT_ROOT = '/var/cache/hotline-sandbox/root';

/** espeak-ng voice and speed (-s, roughly words a minute) per language. */
export const VOICES: Record<Language, { voice: string; rate: number }> = {
  // N19 wants 120–200 characters a minute. At -s 170 espeak-ng's cmn voice spoke 24 of the
  // catalogue's zh-CN prompts faster than 200 (up to 232); at 145 every judged prompt measured
  // 133–194, with room on both sides for a longer hotline name.
  'zh-CN': { voice: 'cmn', rate: 145 },
  en: { voice: 'en-us', rate: 160 },
};

/** What Asterisk plays without transcoding on an 8 kHz (ulaw/alaw) call. */
const SOX_OUTPUT = ['-r', '8000', '-c', '1', '-b', '16'] as const;

// Digits are played one after another to say a number (read-backs, ticket and work numbers).
// espeak-ng pads each with ~0.4 s of silence, which makes a ten-digit number last 7 s: trim
// both ends and keep a short, even gap, as a person reading a number would.
const DIGIT_EFFECTS = ['silence', '1', '0.02', '1%', 'reverse', 'silence', '1', '0.02', '1%', 'reverse', 'pad', '0', '0.12'] as const;
const effectsFor = (id: string): readonly string[] => (id.startsWith('digit.') ? DIGIT_EFFECTS : []);

// Two: espeak-ng and sox are each single-threaded, and more parallel chroots only contend with
// whatever else the machine (Asterisk, tests) is doing.
const CONCURRENCY = 2;

export interface BuildOptions {
  root: string;
  flowFile: string;
  catalogueFile: string;
  /** Rebuild every prompt, recorded ones included. */
  force?: boolean;
  log?: (line: string) => void;
}

export type PromptStatus = 'built' | 'skipped' | 'recorded' | 'failed';

export interface PromptResult {
  id: string;
  lang: Language;
  status: PromptStatus;
  rate?: SpeechRate;
  error?: string;
}

export interface BuildReport {
  results: PromptResult[];
  counts: Record<PromptStatus, number>;
  elapsedMs: number;
  /** Problems that do not stop the build but will be heard on a call. */
  warnings: string[];
}

interface ManifestEntry {
  /** Hash of what the audio was generated from. */
  input: string;
  /** Hash of the generated file: a file that no longer matches was replaced by a recording. */
  output: string;
}

interface Manifest {
  version: 1;
  prompts: Record<string, ManifestEntry>;
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The hotline's name as each language speaks it (N18): `hotline.names`, else `hotline.name`. */
export type HotlineNames = (lang: Language) => string;

/** Reads `hotline.name` and `hotline.names` only: the rest of the flow file is the controller's business. */
export function readHotlineName(flowFile: string): HotlineNames {
  let source: string;
  try {
    source = readFileSync(flowFile, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the flow file ${flowFile} (--flow): ${(err as Error).message}`);
  }
  const parsed = z
    .object({ hotline: z.object({ name: z.string().min(1), names: z.partialRecord(Language, z.string().min(1)).optional() }) })
    .safeParse(parseYaml(source));
  if (!parsed.success) throw new Error(`${flowFile}: hotline.name is missing or not a text (or hotline.names is not language: text)`);
  const { name, names = {} } = parsed.data.hotline;
  return (lang) => names[lang] ?? name;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function inRoot(root: string, command: string, args: readonly string[]): Promise<void> {
  try {
    await run('chroot', [root, command, ...args], { maxBuffer: 1024 * 1024 });
  } catch (err) {
    const { stderr, message } = err as { stderr?: string; message: string };
    throw new Error(`${command} failed: ${(stderr ?? '').trim() || message}`);
  }
}

function checkRoot(root: string): void {
  if (!existsSync(root)) {
    throw new Error(
      `no sandbox root at ${root}: build it with the sandbox script (npm run asterisk:up) or pass --root`,
    );
  }
  for (const tool of ['espeak-ng', 'sox']) {
    if (!existsSync(join(root, 'usr/bin', tool))) {
      throw new Error(`${tool} is not installed in ${root} (chroot ${root} apt-get install ${tool})`);
    }
  }
}

function readManifest(path: string): Manifest {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as Partial<Manifest>;
    if (data.version === 1 && data.prompts && typeof data.prompts === 'object') {
      return { version: 1, prompts: data.prompts };
    }
  } catch {
    // Missing or unreadable: every generated-looking file is then treated as a recording, which
    // errs on the side of keeping audio; --force rebuilds.
  }
  return { version: 1, prompts: {} };
}

function writeManifest(path: string, manifest: Manifest): void {
  // Written after every prompt, atomically: an interrupted build must not leave generated files
  // that the next run mistakes for recordings.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 1)}\n`);
  renameSync(tmp, path);
}

export async function buildPrompts(options: BuildOptions): Promise<BuildReport> {
  const { root, force = false } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const started = performance.now();
  checkRoot(root);
  const catalogue = loadCatalogue(options.catalogueFile);
  const hotlineName = readHotlineName(options.flowFile);

  const outDir = join(root, promptDirInRoot());
  for (const lang of LANGUAGES) mkdirSync(join(outDir, lang), { recursive: true });
  mkdirSync(join(root, 'tmp'), { recursive: true });
  const manifestPath = join(outDir, 'manifest.json');
  const manifest = readManifest(manifestPath);

  const jobs = [...catalogue.ids].sort().flatMap((id) => LANGUAGES.map((lang) => ({ id, lang })));
  const wanted = new Set(jobs.map(({ id, lang }) => `${lang}/${id}`));
  for (const key of Object.keys(manifest.prompts)) if (!wanted.has(key)) delete manifest.prompts[key];

  let seq = 0;
  const build = async (id: string, lang: Language, text: string, file: string) => {
    const { voice, rate } = VOICES[lang];
    const n = seq++;
    const raw = `/tmp/hotline-prompt-${process.pid}-${n}.wav`;
    const tmpName = `.${id}.${process.pid}-${n}.tmp.wav`;
    const tmpInRoot = `${promptDirInRoot()}/${lang}/${tmpName}`;
    try {
      // "--" so a text starting with "-" (a hotline name can) is spoken, not parsed as an option.
      await inRoot(root, 'espeak-ng', ['-v', voice, '-s', String(rate), '-w', raw, '--', text]);
      await inRoot(root, 'sox', [raw, ...SOX_OUTPUT, tmpInRoot, ...effectsFor(id)]);
      // Rename on the host: Asterisk never sees a half-written prompt.
      renameSync(join(outDir, lang, tmpName), file);
    } finally {
      rmSync(join(root, raw), { force: true });
      rmSync(join(outDir, lang, tmpName), { force: true });
    }
  };

  const results = await mapLimit(jobs, CONCURRENCY, async ({ id, lang }): Promise<PromptResult> => {
    const key = `${lang}/${id}`;
    const text = catalogue.text(id, lang, { hotline: hotlineName(lang) });
    const effects = effectsFor(id);
    const input = sha256(JSON.stringify({ text, ...VOICES[lang], out: SOX_OUTPUT, ...(effects.length > 0 ? { effects } : {}) }));
    const file = promptFile(root, id, lang);
    const entry = manifest.prompts[key];
    let status: PromptStatus;
    try {
      const existing = existsSync(file) ? readFileSync(file) : undefined;
      const generated = existing !== undefined && entry !== undefined && sha256(existing) === entry.output;
      if (existing !== undefined && !generated && !force) {
        status = 'recorded';
      } else if (generated && entry.input === input && !force) {
        status = 'skipped';
      } else {
        await build(id, lang, text, file);
        manifest.prompts[key] = { input, output: sha256(readFileSync(file)) };
        writeManifest(manifestPath, manifest);
        status = 'built';
      }
    } catch (err) {
      const result: PromptResult = { id, lang, status: 'failed', error: (err as Error).message };
      log(`failed    ${lang.padEnd(5)}  ${id}: ${result.error}`);
      return result;
    }
    // Measured on whatever file is in place, so a recording is held to N19 as well.
    let measured: SpeechRate | undefined;
    let rateNote: string;
    try {
      measured = speechRate(text, lang, wavDurationSec(readFileSync(file)));
      rateNote = formatRate(measured);
    } catch (err) {
      rateNote = `rate n/a (${(err as Error).message})`;
    }
    log(`${status.padEnd(9)} ${lang.padEnd(5)}  ${id.padEnd(24)} ${rateNote}`);
    return measured ? { id, lang, status, rate: measured } : { id, lang, status };
  });

  writeManifest(manifestPath, manifest);
  const warnings: string[] = [];
  // The en voice reads each Han character as "Chinese letter": a Chinese hotline name inside an
  // English prompt comes out as noise, which only a listener would notice.
  const hotline = hotlineName('en');
  if (/\p{Script=Han}/u.test(hotline)) {
    const marker = '\u0000';
    const affected = jobs.filter(
      ({ id, lang }) => lang === 'en' && catalogue.text(id, lang, { hotline: marker }).includes(marker),
    );
    if (affected.length > 0) {
      warnings.push(
        `hotline name "${hotline}" has Chinese characters the en voice cannot read; ` +
          `give it an English name (hotline.names.en), or record these en prompts or reword them: ${affected.map((j) => j.id).join(', ')}`,
      );
    }
  }
  const counts: Record<PromptStatus, number> = { built: 0, skipped: 0, recorded: 0, failed: 0 };
  for (const r of results) counts[r.status]++;
  return { results, counts, elapsedMs: performance.now() - started, warnings };
}

function formatRate(rate: SpeechRate): string {
  const line =
    `${rate.durationSec.toFixed(2).padStart(6)} s ${String(rate.units).padStart(4)} ${rate.unit.padEnd(5)} ` +
    `${Math.round(rate.perMinute).toString().padStart(4)} ${rate.unit}/min`;
  if (rate.withinNorm === false) {
    return `${line}  ! N19: outside ${ZH_CHARS_PER_MINUTE.min}-${ZH_CHARS_PER_MINUTE.max} chars/min`;
  }
  return line;
}

const USAGE = `usage: build-prompts [--root DIR] [--flow FILE] [--catalogue FILE] [--force]
  --root       sandbox root holding Asterisk, espeak-ng and sox
               (default: $HOTLINE_SANDBOX_ROOT or ${DEFAULT_ROOT})
  --flow       flow file whose hotline.name fills {hotline} (default: dialplans/hotline.yaml)
  --catalogue  prompt catalogue (default: prompts/catalogue.yaml)
  --force      rebuild every prompt, replacing recorded ones too`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      root: { type: 'string' },
      flow: { type: 'string', default: 'dialplans/hotline.yaml' },
      catalogue: { type: 'string', default: 'prompts/catalogue.yaml' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const report = await buildPrompts({
    root: values.root ?? (process.env.HOTLINE_SANDBOX_ROOT || DEFAULT_ROOT),
    flowFile: values.flow,
    catalogueFile: values.catalogue,
    force: values.force,
  });
  const { built, skipped, recorded, failed } = report.counts;
  console.log(
    `\n${report.results.length} prompts: built ${built}, skipped ${skipped} (unchanged), ` +
      `kept ${recorded} (recorded), failed ${failed} in ${(report.elapsedMs / 1000).toFixed(1)} s`,
  );
  const slow = report.results.filter((r) => r.rate?.withinNorm === false);
  if (slow.length > 0) {
    console.log(
      `N19: ${slow.length} zh-CN prompt(s) outside ${ZH_CHARS_PER_MINUTE.min}-${ZH_CHARS_PER_MINUTE.max} chars/min: ` +
        slow.map((r) => `${r.id} (${Math.round(r.rate?.perMinute ?? 0)})`).join(', '),
    );
  }
  for (const warning of report.warnings) console.log(`warning: ${warning}`);
  return failed > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(`build-prompts: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
