// Controller settings from the environment, validated once and frozen. Credentials have no
// defaults: a controller that starts with a guessable ARI password or API token is a hole.
// An env file (HOTLINE_ENV_FILE, default ./hotline.env, written by `npm run asterisk:up`) fills
// in what the real environment does not set; the real environment wins.
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { z } from 'zod';

const Secret = (name: string) => z.string({ error: `${name} is required` }).min(8, `${name} needs at least 8 characters`);

const EnvSchema = z.object({
  ARI_URL: z.url({ protocol: /^https?$/, error: 'ARI_URL must be a URL such as http://127.0.0.1:8088' }),
  ARI_USER: z.string({ error: 'ARI_USER is required' }).min(1),
  ARI_PASSWORD: Secret('ARI_PASSWORD'),
  ARI_APP: z.string().regex(/^[A-Za-z0-9_-]+$/).default('hotline'),
  AMI_HOST: z.string().default('127.0.0.1'),
  AMI_PORT: z.coerce.number().int().min(1).max(65535).default(5038),
  AMI_USER: z.string({ error: 'AMI_USER is required' }).min(1),
  AMI_SECRET: Secret('AMI_SECRET'),
  // Who may log in to AMI (Asterisk's permit syntax); the controller's own address.
  AMI_PERMIT: z.string().default('127.0.0.1/255.255.255.255'),
  HOTLINE_DB: z.string().default('./data/hotline.db'),
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  API_TOKEN: z.string({ error: 'API_TOKEN is required' }).min(16, 'API_TOKEN needs at least 16 characters'),
  FLOW_FILE: z.string().default('dialplans/hotline.yaml'),
  PROMPT_CATALOGUE: z.string().default('prompts/catalogue.yaml'),
  // Multiplies every duration of the flow (see src/flow/scale-timings.ts); for tests and demos.
  FLOW_TIME_SCALE: z.coerce.number().min(0.05).max(1).default(1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SIP_BIND: z.string().default('127.0.0.1'),
  SIP_PORT: z.coerce.number().int().min(1).max(65535).default(5060),
  // The source address SIP callers come from (Asterisk identifies them by it).
  SIP_MATCH: z.string().optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  ari: { url: string; user: string; password: string; app: string };
  ami: { host: string; port: number; user: string; secret: string; permit: string };
  sip: { bind: string; port: number; match: string };
  database: string;
  http: { host: string; port: number; apiToken: string };
  flowFile: string;
  flowTimeScale: number;
  promptCatalogue: string;
  logLevel: Env['LOG_LEVEL'];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** The environment merged over the env file, if there is one. */
export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const file = env.HOTLINE_ENV_FILE ?? 'hotline.env';
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...env };
}

export function loadConfig(env: Record<string, string | undefined> = readEnvironment()): Readonly<Config> {
  // An empty value (`HTTP_PORT=` in an env file) means "not set", not zero or "".
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(set);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`));
  }
  const e = parsed.data;
  return Object.freeze({
    ari: Object.freeze({ url: e.ARI_URL, user: e.ARI_USER, password: e.ARI_PASSWORD, app: e.ARI_APP }),
    ami: Object.freeze({ host: e.AMI_HOST, port: e.AMI_PORT, user: e.AMI_USER, secret: e.AMI_SECRET, permit: e.AMI_PERMIT }),
    sip: Object.freeze({ bind: e.SIP_BIND, port: e.SIP_PORT, match: e.SIP_MATCH ?? e.SIP_BIND }),
    database: e.HOTLINE_DB,
    http: Object.freeze({ host: e.HTTP_HOST, port: e.HTTP_PORT, apiToken: e.API_TOKEN }),
    flowFile: e.FLOW_FILE,
    flowTimeScale: e.FLOW_TIME_SCALE,
    promptCatalogue: e.PROMPT_CATALOGUE,
    logLevel: e.LOG_LEVEL,
  });
}
