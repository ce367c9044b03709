// The flow file format (dialplans/*.yaml): one zod definition gives the runtime validation,
// the TypeScript types and the JSON schema for editors (npm run schema).
// Every object is strict: an unknown key is an operator's typo, and a typo must not be ignored.
import { z } from 'zod';
import { AgentsConfig } from '../agents/agent-config.js';
import { DEFAULT_ALLOWED_PATTERNS, NumberPatterns } from '../callbacks/number-policy.js';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export const Language = z.enum(LANGUAGES);
export type Language = z.infer<typeof Language>;

export const StepId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'step ids use lower-case letters, digits, "-" and "_"');
export const PromptId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'prompt ids use lower-case letters, digits, ".", "-" and "_"');
const Digit = z.string().regex(/^[0-9*#]$/, 'a menu key is one of 0-9, * or #');
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
const Ms = (min: number, max: number) => z.number().int().min(min).max(max);

export const Cadence = z
  .object({
    onMs: Ms(100, 10_000).default(1000).describe('ring burst length'),
    offMs: Ms(0, 10_000).default(4000).describe('silence between bursts'),
  })
  .strict();
export type Cadence = z.infer<typeof Cadence>;

/** N6: the parts of the agent whisper, in their default order. */
export const WHISPER_PARTS = ['caller', 'path', 'earlier', 'ticket'] as const;
export type WhisperPart = (typeof WHISPER_PARTS)[number];

export const Hotline = z
  .object({
    name: z.string().min(1).describe('spoken in the greeting and other phrases'),
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

const Next = { next: StepId };

export const AnswerStep = z.object({ verb: z.literal('answer'), ...Next }).strict();
export const GreetStep = z.object({ verb: z.literal('greet'), ...Next }).strict();
export const PlayStep = z
  .object({
    verb: z.literal('play'),
    prompt: z.union([PromptId, z.array(PromptId).min(1)]),
    ...Next,
  })
  .strict();

const Retry = z
  .object({
    prompt: PromptId.default('unclear.retry'),
    tries: z.number().int().min(1).max(9).default(3),
    then: StepId,
  })
  .strict();

export const MenuStep = z
  .object({
    verb: z.literal('menu'),
    prompt: PromptId,
    options: z.record(Digit, StepId).refine((o) => Object.keys(o).length > 0, 'a menu needs options'),
    timeoutMs: Ms(1000, 30_000).default(5000).describe('wait for a key after the prompt ends'),
    invalid: Retry.describe('N4: a key that is not an option'),
    noInput: Retry.describe('N4: no key before the timeout'),
  })
  .strict();

// N3: the silent-line protocol. Voice (Asterisk talk detection) or a key ends it at once.
export const SilentLineStep = z
  .object({
    verb: z.literal('silent-line'),
    firstListenMs: Ms(0, 30_000).default(5000).describe('listening after the previous prompt, before attempt 1'),
    attempts: z
      .array(PromptId)
      .min(1)
      .max(5)
      .default(['silent.attempt1', 'silent.attempt2', 'silent.attempt2'])
      .describe('one prompt per attempt'),
    listenMs: Ms(1000, 30_000).default(5000).describe('listening after each attempt prompt ends'),
    goodbye: PromptId.default('silent.goodbye'),
    pauseMs: Ms(0, 10_000).default(2000).describe('pause after the goodbye before hanging up'),
    next: StepId.describe('where a caller who spoke or keyed goes (keys stay for the menu)'),
    onSilence: StepId.optional().describe('instead of goodbye and hang-up (a crisis line transfers)'),
  })
  .strict();

const Linger = z
  .object({
    waitMs: Ms(1000, 30_000).default(3000).describe('each wait for the caller to hang up'),
    prompts: z.array(PromptId).max(5).default(['linger.1', 'linger.2']),
    resume: StepId.optional().describe('where a caller who speaks or keys while lingering goes'),
  })
  .strict();

export const GoodbyeStep = z
  .object({
    verb: z.literal('goodbye'),
    next: StepId.optional(),
    linger: z
      .union([Linger, z.literal(false)])
      .default({ waitMs: 3000, prompts: ['linger.1', 'linger.2'] })
      .describe('N10: the caller hangs up first; false skips the linger protocol'),
  })
  .strict()
  .describe('N10 closing phrase, then the linger protocol; next defaults to hanging up');
export const HangupStep = z.object({ verb: z.literal('hangup') }).strict();

// N6: transfer to an agent group, with the fallback that tells the caller which keys reach
// this place next time (computed from the flow, never written by hand).
export const TransferStep = z
  .object({
    verb: z.literal('transfer'),
    group: z.string().min(1).describe('an agent group from the agents section'),
    target: PromptId.describe('the spoken name of the destination (您的电话需转接<target>)'),
    confirm: z.boolean().default(false).describe('the agent presses 1 to take the call'),
    next: StepId.describe('where the caller goes when the agent hangs up first'),
    failed: StepId.describe('after the fallback phrase when no agent took the call'),
  })
  .strict();

// N7: take a callback number (the caller ID, confirmed; or keyed, ending with #), read it back
// digit by digit, accept only allowed numbers, and persist the request with its N8 deadline.
export const CaptureNumberStep = z
  .object({
    verb: z.literal('capture-number'),
    reason: z
      .enum(['line-trouble', 'unanswered-query', 'complaint', 'complaint-urgent', 'dropped', 'transfer-failed'])
      .describe('sets the promised callback deadline (N8)'),
    tries: z.number().int().min(1).max(5).default(3),
    timeoutMs: Ms(1000, 30_000).default(5000).describe('wait for each key'),
    next: StepId.describe('after the request is stored'),
    failed: StepId.describe('when no acceptable number was confirmed'),
  })
  .strict();

// N12: a number that called earlier today is asked 「请问您是咨询之前的问题吗?是请按1」; 1 goes
// straight to the transfer step of the group that took the earlier call.
export const RepeatCallerStep = z
  .object({
    verb: z.literal('repeat-caller'),
    prompt: PromptId.default('repeat.ask'),
    timeoutMs: Ms(1000, 30_000).default(5000).describe('wait for the 1 after the question'),
    routes: z
      .record(z.string().min(1), StepId)
      .default({})
      .describe('agent group → step; a group not listed goes to the first transfer step to it'),
    next: StepId.describe('a first caller of the day, or one who does not press 1'),
  })
  .strict();

// N13: create a service ticket and read its number digit by digit, twice; 1 hears it again.
export const CreateTicketStep = z
  .object({
    verb: z.literal('create-ticket'),
    group: z.string().min(1).optional().describe('the agent group that owns the ticket'),
    timeoutMs: Ms(1000, 30_000).default(4000).describe('wait for the 1 that repeats the number'),
    repeats: z.number().int().min(0).max(5).default(2).describe('extra read-backs a caller may ask for'),
    next: StepId,
  })
  .strict();

// N13: the caller keys a ticket number ending with # and hears its status.
export const TicketStatusStep = z
  .object({
    verb: z.literal('ticket-status'),
    tries: z.number().int().min(1).max(5).default(2),
    timeoutMs: Ms(1000, 30_000).default(5000).describe('wait for each key'),
    next: StepId.describe('after the status was read'),
    failed: StepId.describe('when no known ticket number was keyed'),
  })
  .strict();

export const Step = z.discriminatedUnion('verb', [
  CaptureNumberStep,
  AnswerStep,
  GreetStep,
  PlayStep,
  MenuStep,
  SilentLineStep,
  GoodbyeStep,
  HangupStep,
  TransferStep,
  RepeatCallerStep,
  CreateTicketStep,
  TicketStatusStep,
]);
export type Step = z.infer<typeof Step>;
export type Verb = Step['verb'];
export type StepOf<V extends Verb> = Extract<Step, { verb: V }>;

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
          'N7: a callback number must match one of these regular expressions (whole number)',
        ),
      })
      .strict()
      .default({ allowedPatterns: [...DEFAULT_ALLOWED_PATTERNS] })
      .describe('N7: which numbers the hotline may call back'),
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
}

/** Every step id a step can lead to, for goto checks and graph walks. */
export function targetsOf(step: Step): string[] {
  switch (step.verb) {
    case 'menu':
      return [...Object.values(step.options), step.invalid.then, step.noInput.then];
    case 'goodbye': {
      const targets = step.next ? [step.next] : [];
      if (step.linger && step.linger.resume) targets.push(step.linger.resume);
      return targets;
    }
    case 'silent-line':
      return step.onSilence ? [step.next, step.onSilence] : [step.next];
    case 'transfer':
    case 'capture-number':
    case 'ticket-status':
      return [step.next, step.failed];
    case 'repeat-caller':
      return [step.next, ...Object.values(step.routes)];
    case 'hangup':
      return [];
    default:
      return [step.next];
  }
}

/** Every prompt id a step plays, for missing-prompt checks. */
export function promptsOf(step: Step): string[] {
  switch (step.verb) {
    case 'menu':
      return [step.prompt, step.invalid.prompt, step.noInput.prompt];
    case 'play':
      return Array.isArray(step.prompt) ? step.prompt : [step.prompt];
    case 'silent-line':
      return [...step.attempts, step.goodbye];
    case 'goodbye':
      return step.linger ? [...step.linger.prompts] : [];
    case 'transfer':
      return [step.target];
    case 'repeat-caller':
      return [step.prompt];
    default:
      return [];
  }
}

/** N5: the listening windows of a step, each a stretch the caller may hear nothing. */
export function listeningWindowsOf(step: Step): Array<{ key: string; ms: number }> {
  switch (step.verb) {
    case 'menu':
    case 'capture-number':
    case 'repeat-caller':
    case 'create-ticket':
    case 'ticket-status':
      return [{ key: 'timeoutMs', ms: step.timeoutMs }];
    case 'silent-line':
      return [
        { key: 'firstListenMs', ms: step.firstListenMs },
        { key: 'listenMs', ms: step.listenMs },
        { key: 'pauseMs', ms: step.pauseMs },
      ];
    case 'goodbye':
      return step.linger ? [{ key: 'linger.waitMs', ms: step.linger.waitMs }] : [];
    default:
      return [];
  }
}
