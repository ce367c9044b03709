// The flow file format (dialplans/*.yaml): one zod definition gives the runtime validation,
// the TypeScript types and the JSON schema for editors (npm run schema).
// Every object is strict: an unknown key is an operator's typo, and a typo must not be ignored.
import { z } from 'zod';
import { AgentsConfig } from '../agents/agent-config.js';
import { BlacklistPolicy } from '../blacklist/blacklist-policy.js';
import { ServiceHoursConfig } from '../calendar/service-hours-config.js';
import { RecordingPolicy } from '../recording/recording-policy.js';
import { OverloadPolicy } from '../overload/overload-policy.js';
import { CALLBACK_REASONS } from '../callbacks/deadlines.js';
import { DEFAULT_ALLOWED_PATTERNS, NumberPatterns } from '../callbacks/number-policy.js';
import { Language } from '../prompts/language.js';
import { Ms, PromptId, StepId, WHISPER_PARTS } from './schema-parts.js';
import { stepSchemas } from './verbs/index.js';

// Re-exported for the flow's users; the languages themselves belong to the prompts.
export { LANGUAGES, Language } from '../prompts/language.js';

// Shared with the verbs' step schemas (they must not import this module at run time).
export { PromptId, StepId, WHISPER_PARTS, type WhisperPart } from './schema-parts.js';

const Clock = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'a time of day is HH:MM');
const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is YYYY-MM-DD');
const TimeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not an IANA time zone (e.g. Asia/Shanghai)' },
);

export const Cadence = z
  .object({
    onMs: Ms(100, 10_000).default(1000).describe('ring burst length'),
    offMs: Ms(0, 10_000).default(4000).describe('silence between bursts'),
  })
  .strict();
export type Cadence = z.infer<typeof Cadence>;

export const Hotline = z
  .object({
    name: z.string().min(1).describe('spoken in the greeting and other phrases'),
    names: z
      .partialRecord(Language, z.string().min(1))
      .optional()
      .describe('N18: the name as another language speaks it (e.g. en: Customer Service Hotline); default `name`'),
    number: z.string().regex(/^[0-9]{3,20}$/).describe('the number callers dial'),
    timezone: TimeZone.default('Asia/Shanghai'),
    language: Language.default('zh-CN'),
    dayparts: z
      .object({
        morning: Clock.default('05:00'),
        noon: Clock.default('11:00'),
        afternoon: Clock.default('13:00'),
        evening: Clock.default('18:00'),
      })
      .strict()
      .default({ morning: '05:00', noon: '11:00', afternoon: '13:00', evening: '18:00' })
      .describe('N2: when each greeting starts, in the hotline time zone'),
    holidays: z.array(IsoDate).default([]).describe('N2/N10/N15: public holidays'),
    workdays: z.array(IsoDate).default([]).describe('make-up working days that fall on a weekend'),
  })
  .strict();

/**
 * Issue 9 (N8): what the callback does when a machine answers, explicit in the flow. Amazon
 * Connect counts a voicemail that picks up as "connected"; here Asterisk's AMD() listens to the
 * callee first (app_amd), and the flow says what a MACHINE or NOTSURE verdict means. The
 * parameters are AMD()'s, with Asterisk 22's defaults (amd.conf.sample, app_amd.c), passed on
 * every dial, so the flow in force decides, not a generated file. They are properties of speech
 * (like `voice`), so FLOW_TIME_SCALE leaves them alone.
 */
export const AnsweringMachine = z
  .object({
    detect: z
      .enum(['amd', 'off'])
      .default('amd')
      .describe(
        'amd: Asterisk\'s AMD() listens to the answered callee before the flow runs; off: whatever answers is "connected" (the only choice where Asterisk has no app_amd)',
      ),
    onMachine: z
      .enum(['retry', 'connected'])
      .default('retry')
      .describe(
        'MACHINE: retry (hung up at once, nothing played, counted as an unanswered attempt with outcome `machine` and retried on the retryMs ladder) or connected (the flow runs as for a person)',
      ),
    onNotSure: z
      .enum(['connected', 'retry'])
      .default('connected')
      .describe('NOTSURE (AMD decided nothing within totalAnalysisMs): connected (the flow runs) or retry (as a machine, outcome `not-sure`)'),
    initialSilenceMs: Ms(500, 10_000).default(2500).describe('AMD initialSilence: silence before the first word longer than this is a MACHINE'),
    greetingMs: Ms(500, 10_000).default(1500).describe('AMD greeting: a greeting longer than this is a MACHINE'),
    afterGreetingSilenceMs: Ms(100, 5000)
      .default(800)
      .describe('AMD afterGreetingSilence: this much silence after a greeting is a HUMAN (a person says 喂 and waits)'),
    // N5: until AMD decides, a person who answered hears nothing (nothing is played to a callee
    // who may be a voicemail). Asterisk's 5000 ms default is also the flow's default dead-air
    // budget; the loader refuses a total past the flow's deadAirBudgetMs.
    totalAnalysisMs: Ms(1000, 30_000)
      .default(5000)
      .describe('AMD totalAnalysisTime: the longest AMD listens before NOTSURE; dead air for a person (N5), so at most deadAirBudgetMs'),
    minWordMs: Ms(10, 1000).default(100).describe('AMD miniumWordLength: voice at least this long is a word'),
    betweenWordsSilenceMs: Ms(10, 1000).default(50).describe('AMD betweenWordSilence: silence at least this long ends a word'),
    maxWords: z.number().int().min(1).max(20).default(2).describe('AMD maximumNumberOfWords: more words than this in the greeting is a MACHINE'),
    silenceThreshold: z
      .number()
      .int()
      .min(0)
      .max(32_767)
      .default(256)
      .describe('AMD silenceThreshold: average level (0-32767) below which audio counts as silence'),
    maxWordMs: Ms(100, 30_000).default(5000).describe('AMD maximumWordLength: one word longer than this is a MACHINE'),
  })
  .strict();
export type AnsweringMachine = z.output<typeof AnsweringMachine>;

/** Every default of `answeringMachine`, for the sections that default as a whole. */
export const ANSWERING_MACHINE_DEFAULTS: AnsweringMachine = AnsweringMachine.parse({});

// N8: how the scheduler calls back. Without `dial` nothing is dialled: requests wait for people.
const CallbackDialling = {
  dial: z
    .string()
    .regex(/^[A-Za-z0-9]+\/[^\s,;]*\{number\}[^\s,;]*$/, 'a dial string with {number}, e.g. PJSIP/{number}@trunk')
    .optional()
    .describe('N8: the Asterisk dial string of a callback, {number} replaced by the number (e.g. PJSIP/{number}@trunk)'),
  group: z.string().min(1).optional().describe('N8: the agent group that calls back (an agent is reserved before the dial)'),
  entry: StepId.optional().describe('N8: the step an answered callback starts at (the callee hears the outbound greeting)'),
  attempts: z.number().int().min(1).max(10).default(3).describe('N8: attempts before the callback is given up'),
  retryMs: Ms(10_000, 86_400_000).default(600_000).describe('N8: between attempts (no answer, busy, failed)'),
  ringMs: Ms(5000, 120_000).default(30_000).describe("N8: how long the callee's phone rings"),
  answeringMachine: AnsweringMachine.default(ANSWERING_MACHINE_DEFAULTS).describe(
    'issue 9: answering-machine detection of an answered callee (Asterisk AMD) and what a machine means; see README "Callbacks that reach a machine"',
  ),
  promiseMinutes: z
    .partialRecord(z.enum(CALLBACK_REASONS), z.number().int().min(1).max(10_080))
    .optional()
    .describe("N8: the hotline's promise per reason, in minutes, where it differs from SPEC N8 (line-trouble 3, unanswered-query 30, ...)"),
  claimTimeoutMs: Ms(10_000, 600_000)
    .default(120_000)
    .describe(
      'N8: a claimed callback whose claim has not been renewed for this long belongs to a controller that died; it is retaken (the working controller renews every third of it)',
    ),
  revisit: z
    .object({
      group: z
        .string()
        .min(1)
        .describe("N16: the agent group whose tickets are complaints (a create-ticket step's group); its agents make the revisits"),
      afterHours: z
        .number()
        .int()
        .min(0)
        .max(720)
        .default(24)
        .describe('N16: a revisit falls due this many hours after the complaint was resolved (0: at the daily run)'),
      time: Clock.default('10:00').describe('N16: when the daily job looks for resolved complaints (HH:MM, hotline time)'),
      entry: StepId.optional().describe('N16: the step a revisit starts at (default callbacks.entry): the revisit greeting'),
    })
    .strict()
    .optional()
    .describe('N16: a daily job schedules a revisit callback for each complaint resolved since its last run, once per ticket'),
};

export const Ring = z
  .object({
    cadence: Cadence.default({ onMs: 1000, offMs: 4000 }),
    answerAfterRings: z
      .number()
      .int()
      .min(0)
      .max(2)
      .default(1)
      .describe('N1: complete rings before answering; 1 answers on the 2nd ring, never past the 3rd'),
  })
  .strict();
export type Ring = z.infer<typeof Ring>;

export const Unavailable = z
  .object({
    prompt: PromptId.default('unavailable'),
    then: z
      .union([
        z.literal('hangup'),
        z.object({ dial: z.string().min(1), timeoutS: Ms(1, 120).default(30) }).strict(),
      ])
      .default('hangup'),
  })
  .strict()
  .describe('what the Asterisk dialplan does when the controller is not connected');

// Each verb's step schema lives in its module (src/flow/verbs/); the registry lists them.
export const Step = z.discriminatedUnion('verb', stepSchemas());
export type Step = z.infer<typeof Step>;
export type Verb = Step['verb'];
export type StepOf<V extends Verb> = Extract<Step, { verb: V }>;

/** The flow file's `checks` section: how strict the graph checks are where a choice makes sense. */
export const GraphChecks = z
  .object({
    unreachable: z
      .enum(['warning', 'error'])
      .default('warning')
      .describe('a step no entry (start, callbacks.entry) reaches: a warning in the log, or an error that refuses the flow'),
  })
  .strict()
  .default({ unreachable: 'warning' })
  .describe('how strict the loader is about the flow graph');
export type GraphChecks = z.output<typeof GraphChecks>;

export const FlowFile = z
  .object({
    hotline: Hotline,
    ring: Ring.default({ cadence: { onMs: 1000, offMs: 4000 }, answerAfterRings: 1 }),
    unavailable: Unavailable.default({ prompt: 'unavailable', then: 'hangup' }),
    voice: z
      .object({
        silenceMs: Ms(100, 10_000).default(1200).describe('silence that ends talking'),
        talkMs: Ms(20, 5000).default(160).describe('sound above the line noise that counts as talking'),
      })
      .strict()
      .default({ silenceMs: 1200, talkMs: 160 })
      .describe('N3 talk detection (Asterisk TALK_DETECT) thresholds'),
    deadAirBudgetMs: Ms(1000, 30_000)
      .default(5000)
      .describe('N5: no listening window may leave the caller longer without audio'),
    agents: AgentsConfig.default({ agents: {}, groups: {} }).describe(
      'N6: the agents a call can be transferred to and the groups that ring them',
    ),
    agentRing: z
      .object({
        cadence: Cadence.default({ onMs: 1000, offMs: 4000 }),
        rings: z.number().int().min(1).max(3).default(3).describe('rings before the next agent is tried'),
      })
      .strict()
      .default({ cadence: { onMs: 1000, offMs: 4000 }, rings: 3 })
      .describe('N1: agent legs ring at most 3 rings'),
    whisper: z
      .array(z.enum(WHISPER_PARTS))
      .refine((parts) => new Set(parts).size === parts.length, 'each whisper part once')
      .default([...WHISPER_PARTS])
      .describe(
        'N6: what the agent hears before the caller is connected, in this order (a part with nothing to say is left out); the agent screen always shows everything',
      ),
    callbacks: z
      .object({
        allowedPatterns: NumberPatterns.default([...DEFAULT_ALLOWED_PATTERNS]).describe(
          'N7: a callback number must match one of these Asterisk extension patterns (whole number): _1[3-9]XXXXXXXXX; X 0-9, Z 1-9, N 2-9, [1-5] sets, . (one or more) or ! (zero or more) only at the end; without _ a literal number. Regular expressions are refused',
        ),
        ...CallbackDialling,
      })
      .strict()
      .default({
        allowedPatterns: [...DEFAULT_ALLOWED_PATTERNS],
        attempts: 3,
        retryMs: 600_000,
        ringMs: 30_000,
        claimTimeoutMs: 120_000,
        answeringMachine: ANSWERING_MACHINE_DEFAULTS,
      })
      .describe('N7/N8: which numbers the hotline may call back, and how the scheduler calls them back'),
    hours: ServiceHoursConfig,
    blacklist: BlacklistPolicy,
    recording: RecordingPolicy,
    overload: OverloadPolicy,
    checks: GraphChecks,
    start: StepId.optional().describe('first step; defaults to the first one listed'),
    steps: z.record(StepId, Step),
  })
  .strict();
export type FlowFile = z.infer<typeof FlowFile>;

/** A flow after loading: validated, cross-checked, with its entry step resolved. */
export interface Flow extends FlowFile {
  start: string;
  /** Where it came from, for messages and reloads. */
  source: string;
  /** Step ids in the order the file lists them ("the first transfer step to a group"). */
  stepOrder: string[];
  /** The stored version (flow_versions), set by the controller once the flow is recorded. */
  version?: { id: number; hash: string };
}
