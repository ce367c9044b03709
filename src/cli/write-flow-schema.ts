// Writes dialplans/flow.schema.json, the JSON schema editors use to complete and check flow files.
// It is generated from the zod definition so the two cannot disagree; `--check` fails when the
// committed file is stale, for tests and CI.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { FlowFile } from '../flow/schema.js';

export const FLOW_SCHEMA_PATH = fileURLToPath(new URL('../../dialplans/flow.schema.json', import.meta.url));

/** The schema file's exact text. */
export function flowSchemaJson(): string {
  // Input mode: keys with defaults are optional in what an operator writes.
  const { $schema, ...rest } = z.toJSONSchema(FlowFile, { io: 'input' });
  const schema = {
    $schema,
    $id: 'https://hotline-controller.invalid/flow.schema.json',
    title: 'Hotline call flow',
    description: 'A hotline flow file (dialplans/*.yaml). Generated from src/flow/schema.ts by `npm run schema`.',
    ...rest,
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function main(argv: readonly string[]): number {
  const text = flowSchemaJson();
  if (argv.includes('--check')) {
    if (readOrEmpty(FLOW_SCHEMA_PATH) === text) return 0;
    console.error(`${FLOW_SCHEMA_PATH} is out of date with src/flow/schema.ts; run npm run schema`);
    return 1;
  }
  writeFileSync(FLOW_SCHEMA_PATH, text);
  console.log(`wrote ${FLOW_SCHEMA_PATH}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
