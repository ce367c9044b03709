// Controller settings from the environment, validated once and frozen. Credentials have no
// defaults: a controller that starts with a guessable ARI password or API token is a hole.
// An env file (HOTLINE_ENV_FILE, default ./hotline.env, written by `npm run asterisk:up`) fills
// in what the real environment does not set; the real environment wins.
// Every value that ends up in Asterisk's configuration is checked here, so the controller, the
// config renderer (and through it docker/sandbox.sh and the Docker image) refuse a bad one the
// same way, naming the setting and the character. Settings that open things up (0.0.0.0, a /0
// permit) are accepted, and exposure.ts says so at start.
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { isHost, isHostName, isIp, listItems, parseNetwork, stripBrackets } from './addresses.js';
import { configTextProblem, userSectionProblem } from './config-text.js';

// A credential that is written into Asterisk's configuration (ari.conf, manager.conf): long
// enough, and only characters Asterisk's config parser reads as plain text (see config-text.ts).
const Secret = (name: string) =>
  z
    .string({ error: `${name} is required` })
    .min(8, `${name} needs at least 8 characters`)
    .max(128, `${name} must be at most 128 characters`)
    .superRefine((value, ctx) => {
      refuse(ctx, configTextProblem(name, value, 'secret'));
    });

// An ARI or AMI user: the name of its own section in ari.conf / manager.conf.
const UserName = (name: string, file: string) =>
  z
    .string({ error: `${name} is required` })
    .min(1, `${name} is required`)
    .max(64, `${name} must be at most 64 characters`)
    .superRefine((value, ctx) => {
      refuse(ctx, configTextProblem(name, value, 'name'));
      refuse(ctx, userSectionProblem(name, value, file));
    });

// An address Asterisk binds to or connects to: an IP address or a host name.
const Host = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .superRefine((value, ctx) => {
      if (refuse(ctx, configTextProblem(name, value, 'address'))) return;
      if (!isHost(value)) refuse(ctx, `${name} must be an IP address or a host name, e.g. 127.0.0.1 (got ${JSON.stringify(value)})`);
    });

// A list of networks (`10.0.0.0/8`, `10.0.0.0/255.0.0.0`, a bare address) and, where allowed, host names.
const Networks = (name: string, withHostNames: boolean) =>
  z.string().superRefine((value, ctx) => {
    if (refuse(ctx, configTextProblem(name, value, 'address'))) return;
    for (const item of listItems(value)) {
      if (parseNetwork(item) === undefined && !(withHostNames && isHostName(item))) {
        const what = withHostNames ? 'an IP address, a network (10.0.0.0/8 or 10.0.0.0/255.0.0.0) or a host name' : 'an IP address or a network (10.0.0.0/8 or 10.0.0.0/255.0.0.0)';
        refuse(ctx, `${name} must be a comma-separated list, each item ${what} (got ${JSON.stringify(item)})`);
      }
    }
  });

/** The default HOTLINE_MAX_CALLS: what one 2-core machine held with room to spare (issue 12's bench). */
export const DEFAULT_MAX_CALLS = 200;
/** HOTLINE_MAX_ARI_LATENCY_MS when not set (why 500: at the setting in EnvSchema). */
export const DEFAULT_MAX_ARI_LATENCY_MS = 500;

/**
 * The ARI latency threshold when HOTLINE_MAX_ARI_LATENCY_MS is not set: the default, but never
 * above the request timeout (a request waits no longer, so a higher threshold is never met).
 */
export function maxAriLatencyFor(requestTimeoutMs: number): number {
  return Math.min(DEFAULT_MAX_ARI_LATENCY_MS, requestTimeoutMs);
}

/**
 * Channels with media per call at most: the caller's and, while it talks to an agent on a SIP
 * phone, the agent's leg (Local channels, snoops and bridges use no RTP port).
 */
export const CHANNELS_PER_CALL = 2;

/** RTP ports a number of live calls needs: 2 per channel with media (RTP and RTCP). */
export function rtpPortsNeeded(maxCalls: number): number {
  return 2 * CHANNELS_PER_CALL * maxCalls;
}

/**
 * The default RTP range's size: what the calls need, and never less than the 1,000 ports of
 * earlier versions (callers the controller sheds still hear their apology over RTP).
 */
export function rtpPortsFor(maxCalls: number): number {
  return Math.max(1000, rtpPortsNeeded(maxCalls));
}

/**
 * http.conf's sessionlimit (Asterisk's default is 100). One HTTP session per open connection:
 * ARI requests in flight over HTTP (at most one per live call at a time), plus the events
 * WebSockets and operators' tools: the headroom.
 */
export const HTTP_SESSION_HEADROOM = 100;
export function httpSessionLimitFor(maxCalls: number): number {
  return maxCalls + HTTP_SESSION_HEADROOM;
}

const EnvSchema = z.object({
  ARI_URL: z
    .url({ protocol: /^https?$/, error: 'ARI_URL must be a URL such as http://127.0.0.1:8088' })
    .superRefine((value, ctx) => {
      // http.conf binds to this host. (A value that is not a URL at all has its issue already.)
      const url = URL.canParse(value) ? new URL(value) : undefined;
      if (!url || !/^https?:$/.test(url.protocol)) return;
      const host = stripBrackets(url.hostname);
      if (refuse(ctx, configTextProblem("ARI_URL's host", host, 'address'))) return;
      if (!isHost(host)) refuse(ctx, `ARI_URL's host must be an IP address or a host name (got ${JSON.stringify(host)})`);
    }),
  ARI_USER: UserName('ARI_USER', 'ari.conf'),
  ARI_PASSWORD: Secret('ARI_PASSWORD'),
  ARI_APP: z.string().regex(/^[A-Za-z0-9_-]+$/, 'ARI_APP may hold letters, digits, "_" and "-" only').default('hotline'),
  // How ARI REST requests travel: over the events WebSocket where Asterisk takes them (20.14,
  // 21.9, 22.4 and later; auto probes at every connect), or HTTP.
  ARI_TRANSPORT: z.enum(['auto', 'websocket', 'http'], { error: 'ARI_TRANSPORT must be auto, websocket or http' }).default('auto'),
  // Each ARI request's limit: past it the request fails (a read or a hang-up is tried again).
  ARI_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  // HTTP connections to Asterisk at most (requests in flight over HTTP): keep it below
  // http.conf's sessionlimit, or Asterisk drops the connections past it.
  ARI_HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(10_000).default(50),
  AMI_HOST: Host('AMI_HOST', '127.0.0.1'),
  AMI_PORT: z.coerce.number().int().min(1).max(65535).default(5038),
  AMI_USER: UserName('AMI_USER', 'manager.conf'),
  AMI_SECRET: Secret('AMI_SECRET'),
  // Who may log in to AMI (Asterisk's permit syntax); the controller's own address.
  AMI_PERMIT: Networks('AMI_PERMIT', false).default('127.0.0.1/255.255.255.255'),
  HOTLINE_DB: z.string().default('./data/hotline.db'),
  // N14: Asterisk's recording directory as this process sees it (the same folder, mounted, or
  // inside the sandbox's chroot); unset: recordings are read and deleted through ARI.
  HOTLINE_RECORDINGS_DIR: z.string().optional(),
  HTTP_HOST: Host('HTTP_HOST', '127.0.0.1'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  API_TOKEN: z.string({ error: 'API_TOKEN is required' }).min(16, 'API_TOKEN needs at least 16 characters'),
  FLOW_FILE: z.string().default('dialplans/hotline.yaml'),
  PROMPT_CATALOGUE: z.string().default('prompts/catalogue.yaml'),
  // Multiplies every duration of the flow (see src/flow/scale-timings.ts); for tests and demos.
  FLOW_TIME_SCALE: z.coerce.number().min(0.05).max(1).default(1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // The PJSIP transport's and RTP's address: an IP address (pjsip.conf takes no host name here).
  SIP_BIND: z
    .string()
    .default('127.0.0.1')
    .superRefine((value, ctx) => {
      if (refuse(ctx, configTextProblem('SIP_BIND', value, 'address'))) return;
      if (!isIp(value)) refuse(ctx, `SIP_BIND must be an IP address, e.g. 127.0.0.1 (got ${JSON.stringify(value)})`);
    }),
  SIP_PORT: z.coerce.number().int().min(1).max(65535).default(5060),
  // The source address SIP callers come from (Asterisk identifies them by it).
  SIP_MATCH: Networks('SIP_MATCH', true).optional(),
  // Capacity (issue 12): the live calls this controller takes; past it new callers are shed
  // (src/overload/admission.ts). Asterisk's HTTP session limit and RTP range are sized from it.
  HOTLINE_MAX_CALLS: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_MAX_CALLS),
  // Event-loop delay (p99 over a second) at which new callers are shed too: a controller that
  // late would answer late and leave gaps in every call it has.
  HOTLINE_MAX_LOOP_DELAY_MS: z.coerce.number().int().min(10).max(60_000).default(200),
  // ARI latency (the last second's p99 round trip, or the oldest request still unanswered) at
  // which new callers are shed too: an Asterisk that late makes every call it has late. 500 ms
  // by default, a decision: a healthy round trip here is a few ms (300 requests sent at once over
  // the events WebSocket were all answered within 13 ms) and Asterisk's own dialplan answered
  // with a p99 of 24-40 ms at 100 calls/s in issue 12's bench, so 500 ms is over ten times the
  // worst healthy figure and no burst of a healthy Asterisk reaches it. Yet it is already felt:
  // a call's answer is half a second late and its first prompt a second or more (a few requests
  // in a row), and every pause between prompts grows by a round trip against N5's 5 s of
  // silence at most.
  // And it is a tenth of ARI_REQUEST_TIMEOUT_MS's default: callers are shed long before requests
  // time out and fail calls to their flow's fallback. Unset, it is at most that timeout (see
  // maxAriLatencyFor).
  HOTLINE_MAX_ARI_LATENCY_MS: z.coerce.number().int().min(10).max(60_000).optional(),
  // rtp.conf: the first port (even: Asterisk gives each channel an even RTP port and the odd
  // RTCP port after it) and how many; by default enough for HOTLINE_MAX_CALLS (see rtpPortsFor).
  RTP_PORT_START: z.coerce
    .number()
    .int()
    .min(1024, 'RTP_PORT_START must be at least 1024 (Asterisk refuses lower ports)')
    .max(65_534)
    .refine((n) => n % 2 === 0, 'RTP_PORT_START must be even (Asterisk binds RTP to even ports; an odd start is rounded up)')
    .default(10_000),
  RTP_PORTS: z.coerce.number().int().min(2).optional(),
}).superRefine((e, ctx) => {
  // Cross-checks: each setting above is valid on its own here.
  const ports = e.RTP_PORTS ?? rtpPortsFor(e.HOTLINE_MAX_CALLS);
  const needed = rtpPortsNeeded(e.HOTLINE_MAX_CALLS);
  if (ports < needed) {
    ctx.addIssue({
      code: 'custom',
      path: ['RTP_PORTS'],
      message:
        `RTP_PORTS ${ports} is too few for HOTLINE_MAX_CALLS ${e.HOTLINE_MAX_CALLS}: a call has up to ${CHANNELS_PER_CALL} channels with media ` +
        `(the caller and an agent's phone), each an RTP and an RTCP port, so at least ${needed} ports`,
    });
  }
  // A request never waits longer than its timeout (a timed-out one counts at it): a higher
  // threshold could never be reached.
  if (e.HOTLINE_MAX_ARI_LATENCY_MS !== undefined && e.HOTLINE_MAX_ARI_LATENCY_MS > e.ARI_REQUEST_TIMEOUT_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['HOTLINE_MAX_ARI_LATENCY_MS'],
      message:
        `HOTLINE_MAX_ARI_LATENCY_MS ${e.HOTLINE_MAX_ARI_LATENCY_MS} is above ARI_REQUEST_TIMEOUT_MS ${e.ARI_REQUEST_TIMEOUT_MS}: ` +
        'no request waits longer than its timeout, so callers would never be shed for ARI latency',
    });
  }
  if (e.RTP_PORT_START + ports - 1 > 65_535) {
    ctx.addIssue({
      code: 'custom',
      path: [e.RTP_PORTS === undefined ? 'RTP_PORT_START' : 'RTP_PORTS'],
      message: `RTP_PORT_START ${e.RTP_PORT_START} + RTP_PORTS ${ports} runs past port 65535; start lower or take fewer ports`,
    });
  }
});


/** Adds `problem` as an issue, if there is one; says whether there was. */
function refuse(ctx: z.RefinementCtx, problem: string | undefined): boolean {
  if (problem === undefined) return false;
  ctx.addIssue({ code: 'custom', message: problem });
  return true;
}

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  ari: {
    url: string;
    user: string;
    password: string;
    app: string;
    transport: Env['ARI_TRANSPORT'];
    requestTimeoutMs: number;
    httpMaxConnections: number;
  };
  ami: { host: string; port: number; user: string; secret: string; permit: string };
  sip: { bind: string; port: number; match: string };
  database: string;
  /** N14: where the controller reads Asterisk's recordings; absent: through ARI. */
  recordingsDir?: string;
  http: { host: string; port: number; apiToken: string };
  flowFile: string;
  flowTimeScale: number;
  promptCatalogue: string;
  logLevel: Env['LOG_LEVEL'];
  capacity: Capacity;
}

/** Issue 12: how many live calls this controller takes, and what Asterisk needs for them. */
export interface Capacity {
  /** Live calls the controller takes; past it new callers are shed. */
  maxCalls: number;
  /** Event-loop delay (p99 over a second, ms) past which new callers are shed. */
  maxLoopDelayMs: number;
  /** ARI latency (p99 round trip over a second, or the oldest unanswered request, ms) past which new callers are shed. */
  maxAriLatencyMs: number;
  /** http.conf sessionlimit. */
  httpSessionLimit: number;
  /** rtp.conf rtpstart..rtpend (inclusive). */
  rtp: { start: number; end: number };
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
    ari: Object.freeze({
      url: e.ARI_URL,
      user: e.ARI_USER,
      password: e.ARI_PASSWORD,
      app: e.ARI_APP,
      transport: e.ARI_TRANSPORT,
      requestTimeoutMs: e.ARI_REQUEST_TIMEOUT_MS,
      httpMaxConnections: e.ARI_HTTP_MAX_CONNECTIONS,
    }),
    ami: Object.freeze({ host: e.AMI_HOST, port: e.AMI_PORT, user: e.AMI_USER, secret: e.AMI_SECRET, permit: e.AMI_PERMIT }),
    sip: Object.freeze({ bind: e.SIP_BIND, port: e.SIP_PORT, match: e.SIP_MATCH ?? e.SIP_BIND }),
    database: e.HOTLINE_DB,
    ...(e.HOTLINE_RECORDINGS_DIR === undefined ? {} : { recordingsDir: e.HOTLINE_RECORDINGS_DIR }),
    http: Object.freeze({ host: e.HTTP_HOST, port: e.HTTP_PORT, apiToken: e.API_TOKEN }),
    flowFile: e.FLOW_FILE,
    flowTimeScale: e.FLOW_TIME_SCALE,
    promptCatalogue: e.PROMPT_CATALOGUE,
    logLevel: e.LOG_LEVEL,
    capacity: Object.freeze({
      maxCalls: e.HOTLINE_MAX_CALLS,
      maxLoopDelayMs: e.HOTLINE_MAX_LOOP_DELAY_MS,
      maxAriLatencyMs: e.HOTLINE_MAX_ARI_LATENCY_MS ?? maxAriLatencyFor(e.ARI_REQUEST_TIMEOUT_MS),
      httpSessionLimit: httpSessionLimitFor(e.HOTLINE_MAX_CALLS),
      rtp: Object.freeze({ start: e.RTP_PORT_START, end: e.RTP_PORT_START + (e.RTP_PORTS ?? rtpPortsFor(e.HOTLINE_MAX_CALLS)) - 1 }),
    }),
  });
}
