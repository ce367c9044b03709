// The prompt catalogue (prompts/catalogue.yaml): prompt id → text per language. The audio builder
// speaks these texts, and flow validation checks prompt ids against `ids`. A gap in one language
// would only show up as silence on a live call, so every entry must carry every language.
import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { PromptId } from '../flow/schema.js';
import { Language, LANGUAGES } from './language.js';

export interface Catalogue {
  /** Every prompt id in the catalogue. */
  ids: ReadonlySet<string>;
  /** The text of a prompt with its placeholders filled in; throws for an unknown id. */
  text(id: string, lang: Language, vars: { hotline: string }): string;
}

/** The only placeholder a text may hold: everything else that varies is its own prompt. */
export const PLACEHOLDERS = ['hotline'] as const;

const PLACEHOLDER = /\{([^{}]*)\}/g;

const Text = z
  .string({
    error: (issue) => (issue.input === undefined ? 'text missing' : 'text must be a string (quote it)'),
  })
  .refine((text) => text.trim().length > 0, 'text is empty')
  .superRefine((text, ctx) => {
    for (const match of text.matchAll(PLACEHOLDER)) {
      const name = match[1] ?? '';
      if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown placeholder {${name}}; only ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')} is allowed`,
        });
      }
    }
    // A lone brace is almost always a mistyped placeholder that would be spoken literally.
    if (/[{}]/.test(text.replace(PLACEHOLDER, ''))) {
      ctx.addIssue({ code: 'custom', message: 'unbalanced "{" or "}"' });
    }
  });

// A record keyed by the language enum is exhaustive in zod 4: every language in LANGUAGES is
// required and any other key is rejected, so adding a language makes every entry fail until
// it is translated.
const Entry = z.record(Language, Text, {
  error: (issue) =>
    issue.code === 'invalid_type' ? `expected a mapping of ${LANGUAGES.join(', ')} to texts` : undefined,
});

const CatalogueFile = z.record(PromptId, Entry, {
  error: (issue) => (issue.code === 'invalid_type' ? 'expected a mapping of prompt ids to entries' : undefined),
});

export class CatalogueError extends Error {
  override name = 'CatalogueError';
}

/** Reads and validates a catalogue file. */
export function loadCatalogue(file: string): Catalogue {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CatalogueError(`${file}: cannot read the prompt catalogue: ${(err as Error).message}`);
  }
  return parseCatalogue(source, file);
}

/** Validates catalogue YAML; `file` only names the source in error messages. */
export function parseCatalogue(source: string, file = 'catalogue'): Catalogue {
  const lines = new LineCounter();
  // Duplicate keys are errors by default (uniqueKeys): a duplicated id would silently win.
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const where = first?.linePos?.[0] ? `:${first.linePos[0].line}` : '';
    throw new CatalogueError(`${file}${where}: invalid YAML: ${first?.message ?? 'unknown error'}`);
  }

  const parsed = CatalogueFile.safeParse(doc.toJS());
  if (!parsed.success) {
    const keyLine = (id: string): string => {
      if (!isMap(doc.contents)) return '';
      const pair = doc.contents.items.find((item) => isScalar(item.key) && item.key.value === id);
      const offset = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
      return offset === undefined ? '' : `:${lines.linePos(offset).line}`;
    };
    const problems = parsed.error.issues.map((issue) => {
      const [id, lang] = issue.path;
      const detail =
        issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
      if (id === undefined) return `${file}: ${detail}`;
      const label = `prompt "${String(id)}"${lang === undefined ? '' : ` (${String(lang)})`}`;
      return `${file}${keyLine(String(id))}: ${label}: ${detail}`;
    });
    throw new CatalogueError(problems.join('\n'));
  }

  const entries = new Map(Object.entries(parsed.data));
  if (entries.size === 0) throw new CatalogueError(`${file}: the catalogue has no prompts`);
  return {
    ids: new Set(entries.keys()),
    text(id, lang, vars) {
      const entry = entries.get(id);
      if (!entry) throw new CatalogueError(`${file}: no prompt "${id}" in the catalogue`);
      return entry[lang].replace(PLACEHOLDER, (_, name: string) =>
        name === 'hotline' ? vars.hotline : `{${name}}`,
      );
    },
  };
}
