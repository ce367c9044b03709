// Writes Asterisk's configuration for the current config and flow: `--out <dir>`.
// Used by docker/sandbox.sh and the Docker image, so both run the same generated files.
// A value Asterisk's config parser would misread is refused (exit 1, naming the setting and the
// character); a setting that opens things up (0.0.0.0, a /0 permit) is written but said out loud.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/env.js';
import { exposures } from '../config/exposure.js';
import { renderAsteriskConfig } from '../asterisk/render-config.js';
import { loadFlow } from '../flow/load-flow.js';
import { loadCatalogue } from '../prompts/catalogue.js';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
if (!values.out) {
  console.error('usage: render-asterisk-config --out <dir>');
  process.exit(2);
}
try {
  const config = loadConfig();
  for (const { message } of exposures(config)) console.warn(`render-asterisk-config: WARNING: ${message}`);
  const flow = loadFlow(config.flowFile, loadCatalogue(config.promptCatalogue).ids);
  mkdirSync(values.out, { recursive: true });
  const files = renderAsteriskConfig(config, flow);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(values.out, name), text, { mode: 0o640 });
  console.log(`wrote ${Object.keys(files).length} files to ${values.out}`);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
