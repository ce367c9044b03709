// Controller settings: validated once, frozen, every problem listed, no default credentials,
// and an env file under the real environment.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, readEnvironment } from '../../src/config/env.js';

const FULL = {
  ARI_URL: 'http://127.0.0.1:8088',
  ARI_USER: 'hotline',
  ARI_PASSWORD: 'ari-password-123',
  ARI_APP: 'hotline-test',
  AMI_HOST: '10.0.0.5',
  AMI_PORT: '5039',
  AMI_USER: 'ami-user',
  AMI_SECRET: 'ami-secret-456',
  AMI_PERMIT: '10.0.0.0/255.0.0.0',
  HOTLINE_DB: '/var/lib/hotline/calls.db',
  HTTP_HOST: '0.0.0.0',
  HTTP_PORT: '9090',
  API_TOKEN: 'a-token-of-24-characters',
  FLOW_FILE: 'dialplans/other.yaml',
  PROMPT_CATALOGUE: 'prompts/other.yaml',
  LOG_LEVEL: 'debug',
  SIP_BIND: '0.0.0.0',
  SIP_PORT: '5070',
  SIP_MATCH: '192.168.1.20',
};

const REQUIRED = {
  ARI_URL: FULL.ARI_URL,
  ARI_USER: FULL.ARI_USER,
  ARI_PASSWORD: FULL.ARI_PASSWORD,
  AMI_USER: FULL.AMI_USER,
  AMI_SECRET: FULL.AMI_SECRET,
  API_TOKEN: FULL.API_TOKEN,
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('maps a full environment to a deeply frozen config', () => {
    const config = loadConfig(FULL);
    expect(config).toEqual({
      ari: { url: 'http://127.0.0.1:8088', user: 'hotline', password: 'ari-password-123', app: 'hotline-test' },
      ami: { host: '10.0.0.5', port: 5039, user: 'ami-user', secret: 'ami-secret-456', permit: '10.0.0.0/255.0.0.0' },
      sip: { bind: '0.0.0.0', port: 5070, match: '192.168.1.20' },
      database: '/var/lib/hotline/calls.db',
      http: { host: '0.0.0.0', port: 9090, apiToken: 'a-token-of-24-characters' },
      flowFile: 'dialplans/other.yaml',
      flowTimeScale: 1,
      promptCatalogue: 'prompts/other.yaml',
      logLevel: 'debug',
    });
    expect(Object.isFrozen(config)).toBe(true);
    for (const part of [config.ari, config.ami, config.sip, config.http]) expect(Object.isFrozen(part)).toBe(true);
    expect(() => {
      (config.ari as { password: string }).password = 'changed';
    }).toThrow(TypeError);
  });

  it('fills in the non-secret defaults', () => {
    expect(loadConfig(REQUIRED)).toEqual({
      ari: { url: 'http://127.0.0.1:8088', user: 'hotline', password: 'ari-password-123', app: 'hotline' },
      ami: {
        host: '127.0.0.1',
        port: 5038,
        user: 'ami-user',
        secret: 'ami-secret-456',
        permit: '127.0.0.1/255.255.255.255',
      },
      sip: { bind: '127.0.0.1', port: 5060, match: '127.0.0.1' },
      database: './data/hotline.db',
      http: { host: '127.0.0.1', port: 8080, apiToken: 'a-token-of-24-characters' },
      flowFile: 'dialplans/hotline.yaml',
      flowTimeScale: 1,
      promptCatalogue: 'prompts/catalogue.yaml',
      logLevel: 'info',
    });
  });

  it('SIP_MATCH defaults to SIP_BIND', () => {
    expect(loadConfig({ ...REQUIRED, SIP_BIND: '10.9.8.7' }).sip).toEqual({ bind: '10.9.8.7', port: 5060, match: '10.9.8.7' });
  });

  it('a missing ARI_PASSWORD is a ConfigError naming it', () => {
    const env: Record<string, string | undefined> = { ...FULL };
    delete env.ARI_PASSWORD;
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(problemsOf(env)).toEqual(['ARI_PASSWORD: ARI_PASSWORD is required']);
  });

  it('a short API_TOKEN, a short secret and a bad ARI_URL are each listed', () => {
    const env = { ...FULL, API_TOKEN: 'fifteen-chars-x', AMI_SECRET: 'short', ARI_URL: 'not a url' };
    const problems = problemsOf(env);
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(
      expect.arrayContaining([
        'ARI_URL: ARI_URL must be a URL such as http://127.0.0.1:8088',
        'AMI_SECRET: AMI_SECRET needs at least 8 characters',
        'API_TOKEN: API_TOKEN needs at least 16 characters',
      ]),
    );
    try {
      loadConfig(env);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).name).toBe('ConfigError');
      for (const p of problems) expect((e as Error).message).toContain(p);
    }
  });

  it('a 16-character API_TOKEN and an 8-character secret are long enough', () => {
    const config = loadConfig({ ...REQUIRED, API_TOKEN: 'x'.repeat(16), ARI_PASSWORD: 'y'.repeat(8) });
    expect(config.http.apiToken).toBe('x'.repeat(16));
    expect(config.ari.password).toBe('y'.repeat(8));
  });

  it('an ARI_URL without an http(s) scheme is refused', () => {
    // "localhost:8088" parses as a URL whose scheme is "localhost:"; the controller would derive
    // an empty host and a non-WebSocket events URL from it.
    expect(problemsOf({ ...REQUIRED, ARI_URL: 'localhost:8088' })).toEqual([
      'ARI_URL: ARI_URL must be a URL such as http://127.0.0.1:8088',
    ]);
    expect(problemsOf({ ...REQUIRED, ARI_URL: 'ftp://127.0.0.1:8088' })).toEqual([
      'ARI_URL: ARI_URL must be a URL such as http://127.0.0.1:8088',
    ]);
    expect(loadConfig({ ...REQUIRED, ARI_URL: 'https://pbx.example.com:8089' }).ari.url).toBe(
      'https://pbx.example.com:8089',
    );
  });

  it('bad ports and log levels are refused', () => {
    const problems = problemsOf({ ...REQUIRED, HTTP_PORT: '70000', AMI_PORT: 'abc', LOG_LEVEL: 'verbose' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['AMI_PORT', 'HTTP_PORT', 'LOG_LEVEL']);
  });

  it('no credential has a default: only ARI_URL set names all five', () => {
    const problems = problemsOf({ ARI_URL: 'http://127.0.0.1:8088' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'AMI_SECRET',
      'AMI_USER',
      'API_TOKEN',
      'ARI_PASSWORD',
      'ARI_USER',
    ]);
    expect(problems).toEqual(
      expect.arrayContaining([
        'ARI_USER: ARI_USER is required',
        'ARI_PASSWORD: ARI_PASSWORD is required',
        'AMI_USER: AMI_USER is required',
        'AMI_SECRET: AMI_SECRET is required',
        'API_TOKEN: API_TOKEN is required',
      ]),
    );
  });

  it('an empty environment names ARI_URL too', () => {
    expect(problemsOf({}).map((p) => p.split(':')[0])).toContain('ARI_URL');
  });
});

describe('readEnvironment', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hotline-env-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('merges the env file under the real environment: the real environment wins', () => {
    const file = join(dir, 'hotline.env');
    writeFileSync(
      file,
      [
        '# generated',
        'ARI_URL=http://10.1.1.1:8088',
        'ARI_USER=from-file',
        'ARI_PASSWORD=file-password-1',
        'AMI_USER=file-ami',
        'AMI_SECRET=file-secret-1',
        'API_TOKEN="file-token-0123456789"',
        '',
      ].join('\n'),
    );
    const merged = readEnvironment({ HOTLINE_ENV_FILE: file, ARI_USER: 'from-env', LOG_LEVEL: 'warn' });
    expect(merged).toEqual({
      HOTLINE_ENV_FILE: file,
      ARI_URL: 'http://10.1.1.1:8088',
      ARI_USER: 'from-env',
      ARI_PASSWORD: 'file-password-1',
      AMI_USER: 'file-ami',
      AMI_SECRET: 'file-secret-1',
      API_TOKEN: 'file-token-0123456789',
      LOG_LEVEL: 'warn',
    });
    const config = loadConfig(merged);
    expect(config.ari).toEqual({ url: 'http://10.1.1.1:8088', user: 'from-env', password: 'file-password-1', app: 'hotline' });
    expect(config.http.apiToken).toBe('file-token-0123456789');
    expect(config.logLevel).toBe('warn');
  });

  it('a missing env file adds nothing', () => {
    const env = { HOTLINE_ENV_FILE: join(dir, 'absent.env'), ARI_URL: 'http://127.0.0.1:8088' };
    expect(readEnvironment(env)).toEqual(env);
    expect(problemsOf(readEnvironment(env))).toHaveLength(5);
  });
});
