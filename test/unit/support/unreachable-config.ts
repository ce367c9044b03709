// A whole controller's config for unit tests, with Asterisk unreachable: nothing listens on
// port 9 of loopback, so ARI and AMI stay down and keep retrying (on the test's clock).
import { loadConfig, type Config } from '../../../src/config/env.js';

export function unreachableAsteriskConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    ARI_URL: 'http://127.0.0.1:9',
    ARI_USER: 'hotline',
    ARI_PASSWORD: 'not-a-real-password',
    AMI_PORT: '9',
    AMI_USER: 'hotline',
    AMI_SECRET: 'not-a-real-secret',
    API_TOKEN: 'a-token-of-sixteen-chars',
    HTTP_PORT: '0',
    HOTLINE_DB: ':memory:',
    FLOW_FILE: 'dialplans/hotline.yaml',
    PROMPT_CATALOGUE: 'prompts/catalogue.yaml',
    ...overrides,
  });
}
