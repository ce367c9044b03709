// Controller settings: validated once, frozen, every problem listed, no default credentials,
// an env file under the real environment, nothing Asterisk's config parser would misread, and
// every setting that opens things up named.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, readEnvironment } from '../../src/config/env.js';
import { exposures } from '../../src/config/exposure.js';

const FULL = {
  ARI_URL: 'http://127.0.0.1:8088',
  ARI_USER: 'hotline',
  ARI_PASSWORD: 'ari-password-123',
  ARI_APP: 'hotline-test',
  ARI_TRANSPORT: 'http',
  ARI_REQUEST_TIMEOUT_MS: '2500',
  ARI_HTTP_MAX_CONNECTIONS: '80',
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
  HOTLINE_MAX_CALLS: '500',
  HOTLINE_MAX_LOOP_DELAY_MS: '150',
  HOTLINE_MAX_ARI_LATENCY_MS: '800',
  RTP_PORT_START: '20000',
  RTP_PORTS: '4000',
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
      ari: {
        url: 'http://127.0.0.1:8088',
        user: 'hotline',
        password: 'ari-password-123',
        app: 'hotline-test',
        transport: 'http',
        requestTimeoutMs: 2500,
        httpMaxConnections: 80,
      },
      ami: { host: '10.0.0.5', port: 5039, user: 'ami-user', secret: 'ami-secret-456', permit: '10.0.0.0/255.0.0.0' },
      sip: { bind: '0.0.0.0', port: 5070, match: '192.168.1.20' },
      database: '/var/lib/hotline/calls.db',
      http: { host: '0.0.0.0', port: 9090, apiToken: 'a-token-of-24-characters' },
      flowFile: 'dialplans/other.yaml',
      flowTimeScale: 1,
      promptCatalogue: 'prompts/other.yaml',
      logLevel: 'debug',
      capacity: { maxCalls: 500, maxLoopDelayMs: 150, maxAriLatencyMs: 800, httpSessionLimit: 600, rtp: { start: 20_000, end: 23_999 } },
    });
    expect(Object.isFrozen(config)).toBe(true);
    for (const part of [config.ari, config.ami, config.sip, config.http, config.capacity, config.capacity.rtp]) expect(Object.isFrozen(part)).toBe(true);
    expect(() => {
      (config.ari as { password: string }).password = 'changed';
    }).toThrow(TypeError);
  });

  it('fills in the non-secret defaults', () => {
    expect(loadConfig(REQUIRED)).toEqual({
      ari: {
        url: 'http://127.0.0.1:8088',
        user: 'hotline',
        password: 'ari-password-123',
        app: 'hotline',
        transport: 'auto',
        requestTimeoutMs: 5000,
        httpMaxConnections: 50,
      },
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
      // 200 calls: 300 HTTP sessions, and the 1,000 RTP ports of earlier versions (200 × 4 = 800 needed).
      capacity: { maxCalls: 200, maxLoopDelayMs: 200, maxAriLatencyMs: 500, httpSessionLimit: 300, rtp: { start: 10_000, end: 10_999 } },
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

  it('issue 12: ARI transport settings: a transport other than auto/websocket/http, a timeout under 100 ms and no HTTP connections are refused', () => {
    expect(problemsOf({ ...REQUIRED, ARI_TRANSPORT: 'carrier-pigeon', ARI_REQUEST_TIMEOUT_MS: '50', ARI_HTTP_MAX_CONNECTIONS: '0' })).toEqual([
      'ARI_TRANSPORT: ARI_TRANSPORT must be auto, websocket or http',
      expect.stringMatching(/^ARI_REQUEST_TIMEOUT_MS: /),
      expect.stringMatching(/^ARI_HTTP_MAX_CONNECTIONS: /),
    ]);
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

  it('issue 12: the RTP range and the HTTP session limit follow HOTLINE_MAX_CALLS when not set', () => {
    // 4 ports a call: the caller's channel and an agent's phone, each an RTP and an RTCP port.
    expect(loadConfig({ ...REQUIRED, HOTLINE_MAX_CALLS: '600' }).capacity).toEqual({
      maxCalls: 600,
      maxLoopDelayMs: 200,
      maxAriLatencyMs: 500,
      httpSessionLimit: 700,
      rtp: { start: 10_000, end: 12_399 },
    });
    expect(loadConfig({ ...REQUIRED, HOTLINE_MAX_CALLS: '1' }).capacity.rtp).toEqual({ start: 10_000, end: 10_999 });
  });

  it('issue 12: HOTLINE_MAX_ARI_LATENCY_MS is 500 ms unless set, never above the request timeout unless set, and refused above it when set', () => {
    expect(loadConfig({ ...REQUIRED, HOTLINE_MAX_ARI_LATENCY_MS: '250' }).capacity.maxAriLatencyMs).toBe(250);
    // A short request timeout lowers the default with it: a request never waits longer.
    expect(loadConfig({ ...REQUIRED, ARI_REQUEST_TIMEOUT_MS: '300' }).capacity.maxAriLatencyMs).toBe(300);
    expect(loadConfig({ ...REQUIRED, ARI_REQUEST_TIMEOUT_MS: '300', HOTLINE_MAX_ARI_LATENCY_MS: '300' }).capacity.maxAriLatencyMs).toBe(300);
    expect(problemsOf({ ...REQUIRED, ARI_REQUEST_TIMEOUT_MS: '300', HOTLINE_MAX_ARI_LATENCY_MS: '301' })).toEqual([
      'HOTLINE_MAX_ARI_LATENCY_MS: HOTLINE_MAX_ARI_LATENCY_MS 301 is above ARI_REQUEST_TIMEOUT_MS 300: no request waits longer than its timeout, so callers would never be shed for ARI latency',
    ]);
    expect(problemsOf({ ...REQUIRED, HOTLINE_MAX_ARI_LATENCY_MS: '9' }).map((p) => p.split(':')[0])).toEqual(['HOTLINE_MAX_ARI_LATENCY_MS']);
    expect(problemsOf({ ...REQUIRED, HOTLINE_MAX_ARI_LATENCY_MS: 'fast' }).map((p) => p.split(':')[0])).toEqual(['HOTLINE_MAX_ARI_LATENCY_MS']);
  });

  it('issue 12: an RTP range too small for the capacity is refused at config time, with the arithmetic', () => {
    expect(problemsOf({ ...REQUIRED, HOTLINE_MAX_CALLS: '300', RTP_PORTS: '1000' })).toEqual([
      "RTP_PORTS: RTP_PORTS 1000 is too few for HOTLINE_MAX_CALLS 300: a call has up to 2 channels with media (the caller and an agent's phone), each an RTP and an RTCP port, so at least 1200 ports",
    ]);
    expect(loadConfig({ ...REQUIRED, HOTLINE_MAX_CALLS: '300', RTP_PORTS: '1200' }).capacity.rtp).toEqual({ start: 10_000, end: 11_199 });
  });

  it('issue 12: an RTP range past port 65535, an odd or privileged start, and a capacity of 0 are refused', () => {
    expect(problemsOf({ ...REQUIRED, RTP_PORT_START: '65000', RTP_PORTS: '1000' })).toEqual([
      'RTP_PORTS: RTP_PORT_START 65000 + RTP_PORTS 1000 runs past port 65535; start lower or take fewer ports',
    ]);
    expect(problemsOf({ ...REQUIRED, RTP_PORT_START: '65000' })).toEqual([
      'RTP_PORT_START: RTP_PORT_START 65000 + RTP_PORTS 1000 runs past port 65535; start lower or take fewer ports',
    ]);
    expect(problemsOf({ ...REQUIRED, RTP_PORT_START: '10001' })).toEqual([
      'RTP_PORT_START: RTP_PORT_START must be even (Asterisk binds RTP to even ports; an odd start is rounded up)',
    ]);
    expect(problemsOf({ ...REQUIRED, RTP_PORT_START: '80' })).toEqual([
      'RTP_PORT_START: RTP_PORT_START must be at least 1024 (Asterisk refuses lower ports)',
    ]);
    expect(problemsOf({ ...REQUIRED, HOTLINE_MAX_CALLS: '0', HOTLINE_MAX_LOOP_DELAY_MS: '5' }).map((p) => p.split(':')[0]).sort()).toEqual([
      'HOTLINE_MAX_CALLS',
      'HOTLINE_MAX_LOOP_DELAY_MS',
    ]);
  });

  it('issue 12: whatever the capacity, the default range holds 4 ports a call and fits below 65536', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (maxCalls) => {
        const { rtp } = loadConfig({ ...REQUIRED, HOTLINE_MAX_CALLS: String(maxCalls) }).capacity;
        expect(rtp.end - rtp.start + 1).toBeGreaterThanOrEqual(4 * maxCalls);
        expect(rtp.end).toBeLessThanOrEqual(65_535);
        expect(rtp.start % 2).toBe(0);
      }),
      { numRuns: 50 },
    );
  });

  it('an empty environment names ARI_URL too', () => {
    expect(problemsOf({}).map((p) => p.split(':')[0])).toContain('ARI_URL');
  });
});

describe('loadConfig: values written into Asterisk\'s configuration', () => {
  it('issue 10: a ";" in ARI_PASSWORD is refused, naming the setting and the character, not the value', () => {
    const problems = problemsOf({ ...REQUIRED, ARI_PASSWORD: 'abc;defghij' });
    expect(problems).toEqual([
      'ARI_PASSWORD: ARI_PASSWORD must not contain ";" (starts a comment in Asterisk\'s configuration files); use letters, digits and !$%&()*+,-./:<>?@^_{|}~',
    ]);
    expect(problems.join()).not.toContain('defghij');
  });

  it('issue 10: a line break in AMI_SECRET (a [section] injected into manager.conf) is refused', () => {
    expect(problemsOf({ ...REQUIRED, AMI_SECRET: 'secret-1\n[admin]\nsecret=x' })).toEqual([
      'AMI_SECRET: AMI_SECRET must not contain a line break (U+000A: it would start a new line of the configuration file), "[" (opens a section header), "]" (closes a section header), "=" (ends a setting\'s name); use letters, digits and !$%&()*+,-./:<>?@^_{|}~',
    ]);
  });

  it.each([
    ['#', '"#" (starts a directive such as #include or #exec)'],
    ['"', '"\\"" (a quote, stripped by some Asterisk modules)'],
    ["'", '"\'" (a quote, stripped by some Asterisk modules)'],
    ['`', '"`" (a quote, stripped by some Asterisk modules)'],
    ['\\', '"\\\\" (Asterisk\'s escape character)'],
    [' ', 'a space (Asterisk trims or splits values at blanks)'],
    ['\t', 'a tab (U+0009, Asterisk trims or splits values at blanks)'],
    ['\r', 'a line break (U+000D: it would start a new line of the configuration file)'],
    ['\u0000', 'a control character (U+0000)'],
    ['\u007f', 'a control character (U+007F)'],
    ['é', '"é" (U+00E9, not printable ASCII)'],
  ])('a secret holding %j is refused with the character named', (ch, described) => {
    expect(problemsOf({ ...REQUIRED, ARI_PASSWORD: `password${ch}1` })).toEqual([
      `ARI_PASSWORD: ARI_PASSWORD must not contain ${described}; use letters, digits and !$%&()*+,-./:<>?@^_{|}~`,
    ]);
  });

  it('every allowed punctuation character is accepted in a secret', () => {
    const secret = 'Aa0!$%&()*+,-./:<>?@^_{|}~';
    const config = loadConfig({ ...REQUIRED, ARI_PASSWORD: secret, AMI_SECRET: secret });
    expect(config.ari.password).toBe(secret);
    expect(config.ami.secret).toBe(secret);
  });

  it('a secret longer than 128 characters is refused', () => {
    expect(problemsOf({ ...REQUIRED, AMI_SECRET: 'x'.repeat(129) })).toEqual(['AMI_SECRET: AMI_SECRET must be at most 128 characters']);
  });

  it('users are section names: letters, digits, ".", "_", "-", never "general"', () => {
    expect(problemsOf({ ...REQUIRED, ARI_USER: 'hot line', AMI_USER: 'ami]user' })).toEqual([
      'ARI_USER: ARI_USER must not contain a space (Asterisk trims or splits values at blanks); use letters, digits, ".", "_" and "-"',
      'AMI_USER: AMI_USER must not contain "]" (closes a section header); use letters, digits, ".", "_" and "-"',
    ]);
    expect(problemsOf({ ...REQUIRED, ARI_USER: 'a:b' })).toEqual([
      'ARI_USER: ARI_USER must not contain ":" (separates the user from the password in HTTP authentication); use letters, digits, ".", "_" and "-"',
    ]);
    expect(problemsOf({ ...REQUIRED, ARI_USER: 'General', AMI_USER: 'general' })).toEqual([
      'ARI_USER: ARI_USER must not be "General": that is the name of ari.conf\'s own [general] section',
      'AMI_USER: AMI_USER must not be "general": that is the name of manager.conf\'s own [general] section',
    ]);
    expect(loadConfig({ ...REQUIRED, ARI_USER: 'hotline.ari_1-x' }).ari.user).toBe('hotline.ari_1-x');
  });

  it('addresses: a ";" or a line break is refused in each, naming the setting', () => {
    const problems = problemsOf({
      ...REQUIRED,
      ARI_URL: 'http://a;b:8088',
      AMI_HOST: '127.0.0.1\nbindaddr=0.0.0.0',
      SIP_BIND: '127.0.0.1;x',
      SIP_MATCH: '10.0.0.1 ',
      AMI_PERMIT: '127.0.0.1/32;',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['AMI_HOST', 'AMI_PERMIT', 'ARI_URL', 'SIP_BIND', 'SIP_MATCH']);
    expect(problems).toContain(
      'ARI_URL: ARI_URL\'s host must not contain ";" (starts a comment in Asterisk\'s configuration files); use letters, digits, ".", ":", "/", "," and "-"',
    );
    expect(problems.find((p) => p.startsWith('AMI_HOST'))).toContain('a line break (U+000A');
  });

  it('addresses must be addresses: SIP_BIND an IP, AMI_HOST an IP or host name, permits networks', () => {
    expect(problemsOf({ ...REQUIRED, SIP_BIND: 'localhost' })).toEqual([
      'SIP_BIND: SIP_BIND must be an IP address, e.g. 127.0.0.1 (got "localhost")',
    ]);
    expect(problemsOf({ ...REQUIRED, AMI_HOST: '300.1.1.1' })).toEqual([
      'AMI_HOST: AMI_HOST must be an IP address or a host name, e.g. 127.0.0.1 (got "300.1.1.1")',
    ]);
    expect(problemsOf({ ...REQUIRED, AMI_PERMIT: '10.0.0.0/255.0.255.0' })).toEqual([
      'AMI_PERMIT: AMI_PERMIT must be a comma-separated list, each item an IP address or a network (10.0.0.0/8 or 10.0.0.0/255.0.0.0) (got "10.0.0.0/255.0.255.0")',
    ]);
    expect(problemsOf({ ...REQUIRED, AMI_PERMIT: 'pbx.example.com' })).toHaveLength(1);
    const ok = loadConfig({
      ...REQUIRED,
      AMI_HOST: 'asterisk',
      SIP_BIND: '::1',
      SIP_MATCH: '10.0.0.0/8,sbc.example.com,::1/128',
      AMI_PERMIT: '10.0.0.5/255.255.255.255,192.168.0.0/16',
    });
    expect(ok.ami.host).toBe('asterisk');
    expect(ok.sip).toEqual({ bind: '::1', port: 5060, match: '10.0.0.0/8,sbc.example.com,::1/128' });
  });
});

describe('exposures: settings that open things up are named', () => {
  it('the defaults open nothing', () => {
    expect(exposures(loadConfig(REQUIRED))).toEqual([]);
  });

  it('0.0.0.0 or :: in any bind setting, a /0 AMI_PERMIT and a /0 SIP_MATCH are each named', () => {
    const config = loadConfig({
      ...REQUIRED,
      ARI_URL: 'http://[::]:8088',
      AMI_HOST: '0.0.0.0',
      SIP_BIND: '0:0:0:0:0:0:0:0',
      HTTP_HOST: '::',
      AMI_PERMIT: '0.0.0.0/0.0.0.0',
      SIP_MATCH: '10.0.0.1,0.0.0.0/0',
    });
    const found = exposures(config);
    expect(found.map((e) => e.setting)).toEqual(['ARI_URL', 'AMI_HOST', 'SIP_BIND', 'HTTP_HOST', 'AMI_PERMIT', 'SIP_MATCH']);
    expect(found.map((e) => e.value)).toEqual(['::', '0.0.0.0', '0:0:0:0:0:0:0:0', '::', '0.0.0.0/0.0.0.0', '10.0.0.1,0.0.0.0/0']);
    expect(found[0]?.message).toBe(
      "ARI_URL=:: binds Asterisk's HTTP server (ARI, port 8088) to every network interface, not only loopback: anyone who can reach this host can reach it. Set ARI_URL to 127.0.0.1 (or one interface's address) unless a firewall or a container's port mapping limits who can.",
    );
    expect(found[4]?.message).toContain('lets every address log in to AMI');
  });

  it('"0" in a URL is 0.0.0.0; ::/0 and /0 prefixes are everyone; a LAN or a single address is not', () => {
    expect(exposures(loadConfig({ ...REQUIRED, ARI_URL: 'http://0:8088' })).map((e) => e.setting)).toEqual(['ARI_URL']);
    expect(exposures(loadConfig({ ...REQUIRED, AMI_PERMIT: '::/0' })).map((e) => e.setting)).toEqual(['AMI_PERMIT']);
    expect(exposures(loadConfig({ ...REQUIRED, AMI_PERMIT: '10.0.0.0/0' })).map((e) => e.setting)).toEqual(['AMI_PERMIT']);
    expect(exposures(loadConfig({ ...REQUIRED, AMI_PERMIT: '10.0.0.0/8', SIP_MATCH: '0.0.0.0' }))).toEqual([]);
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
    expect(config.ari).toMatchObject({ url: 'http://10.1.1.1:8088', user: 'from-env', password: 'file-password-1', app: 'hotline' });
    expect(config.http.apiToken).toBe('file-token-0123456789');
    expect(config.logLevel).toBe('warn');
  });

  it('a missing env file adds nothing', () => {
    const env = { HOTLINE_ENV_FILE: join(dir, 'absent.env'), ARI_URL: 'http://127.0.0.1:8088' };
    expect(readEnvironment(env)).toEqual(env);
    expect(problemsOf(readEnvironment(env))).toHaveLength(5);
  });
});
