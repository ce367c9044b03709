// A verb describes itself: its step schema, its runner, and what the loader, the dead-air check
// and the key paths need to know about a step without running it (where it can lead, what it
// plays, where it listens, which agent groups it names, which services it needs, how it behaves
// as a node of the flow graph). Every path is relative to the step, so the loader can point at
// the exact line of the flow file.
import type { z } from 'zod';
import type { VerbRunner } from './context.js';
import type { ServiceName } from './services.js';

/** A path of keys under a step, e.g. ['options', '1'] or ['linger', 'waitMs']. */
export type KeyPath = readonly (string | number)[];

/** A step id a step can lead to, and where the step names it. */
export interface TargetRef {
  path: KeyPath;
  step: string;
}

/** A prompt id a step plays, and where the step names it. */
export interface PromptRef {
  path: KeyPath;
  prompt: string;
}

/** N5: a stretch where the caller may hear nothing (the flow's dead-air budget caps it). */
export interface ListeningWindow {
  path: KeyPath;
  ms: number;
}

/** An agent group a step names; `isKey` when the group is a map key (repeat-caller's routes). */
export interface GroupRef {
  path: KeyPath;
  group: string;
  isKey?: boolean;
}

/**
 * An edge of the flow graph as a caller can choose it (N6 key paths): the menu key pressed, or
 * null for an edge taken without one. Edges a caller cannot choose by a key (a menu's fallbacks
 * for wrong keys or silence, routes that need an earlier call) are left out.
 */
export interface KeyEdge {
  to: string;
  key: string | null;
}

/**
 * How a step behaves as a node of the flow graph, for the loader's graph checks
 * (src/flow/flow-graph.ts): loops that spin unheard, loops nobody leaves, audio before the answer.
 */
export interface GraphFacts {
  /**
   * Every pass through the step plays a prompt the caller hears, or waits for (or takes) a key,
   * before the step leaves, whatever the caller did before: a loop through it cannot spin
   * unheard. False for a step that can pass straight through (a key already pressed skips a
   * barge-in prompt, a caller who spoke once skips the silent-line protocol).
   */
  heard: boolean;
  /** The step may play audio to the caller: before an `answer` step, that is an error. */
  plays: boolean;
  /** The step answers the call. */
  answers: boolean;
  /**
   * Where a caller goes who does nothing and whom nothing serves (no key, no voice, no agent
   * takes the call, no number is confirmed): one of the step's targets, or null when the call
   * ends there (the step hangs up, or names no next step).
   */
  idle: TargetRef | null;
  /** Steps the step can lead to without naming them (repeat-caller: the first transfer to a group). */
  implicit: string[];
}

/** What of the flow a step's graph facts may depend on (structural: schema.ts builds on the verbs). */
export interface FlowShape {
  readonly steps: Readonly<Record<string, { readonly verb: string }>>;
  /** Step ids in file order. */
  readonly stepOrder: readonly string[];
  readonly agents: { readonly groups: Readonly<Record<string, unknown>> };
}

/** A step schema: a strict zod object whose `verb` is a literal. */
export type StepSchema = z.ZodObject<{ verb: z.ZodLiteral<string> } & z.core.$ZodShape, z.core.$strict>;

type StepType<S extends StepSchema> = z.output<S>;

/** What a verb module writes; everything but verb, schema and run has a default. */
export interface VerbSpec<S extends StepSchema> {
  verb: StepType<S>['verb'];
  schema: S;
  run: VerbRunner<StepType<S>>;
  /** Services from the read-only bundle the runner uses (default none). */
  needs?: readonly ServiceName[];
  /** Every step id the step can lead to (default none). */
  targets?: (step: StepType<S>) => TargetRef[];
  /** Every prompt id the step names (default none; fixed phrases the verb always plays are not listed). */
  prompts?: (step: StepType<S>) => PromptRef[];
  /** N5 listening windows (default none). */
  windows?: (step: StepType<S>) => ListeningWindow[];
  /** Agent groups the step names (default none). */
  groups?: (step: StepType<S>) => GroupRef[];
  /** Edges a caller chooses (default: every target, without a key). */
  keyEdges?: (step: StepType<S>) => KeyEdge[];
  /**
   * The step as a node of the flow graph. Defaults are the safe side of each check: not heard
   * (a loop through it counts as silent), plays audio, does not answer, a caller who does
   * nothing takes the first target (or the call ends when there is none), no implicit targets.
   */
  graph?: (step: StepType<S>, flow: FlowShape) => Partial<GraphFacts>;
  /**
   * How the step runs when a call adopted after a crash or a restart resumes at it: the
   * controller that ran it stopped somewhere inside it. Default: the runner, from the step's
   * start (the caller hears its prompt again). A step whose effect must not happen twice (a
   * ticket created, a rating stored) says here how to go on after it.
   */
  resume?: VerbRunner<StepType<S>>;
}

export interface VerbDefinition<S extends StepSchema = StepSchema> {
  readonly verb: StepType<S>['verb'];
  readonly schema: S;
  readonly run: VerbRunner<StepType<S>>;
  /** The runner of a step an adopted call resumes at (see VerbSpec.resume). */
  readonly resume: VerbRunner<StepType<S>>;
  readonly needs: readonly ServiceName[];
  targets(step: StepType<S>): TargetRef[];
  prompts(step: StepType<S>): PromptRef[];
  windows(step: StepType<S>): ListeningWindow[];
  groups(step: StepType<S>): GroupRef[];
  keyEdges(step: StepType<S>): KeyEdge[];
  graph(step: StepType<S>, flow: FlowShape): GraphFacts;
}

const none = (): [] => [];

export function defineVerb<S extends StepSchema>(spec: VerbSpec<S>): VerbDefinition<S> {
  const literal = spec.schema.shape.verb.value;
  if (literal !== spec.verb) throw new Error(`verb '${String(spec.verb)}': its schema's verb is '${String(literal)}'`);
  const targets = spec.targets ?? none;
  return Object.freeze({
    verb: spec.verb,
    schema: spec.schema,
    run: spec.run,
    resume: spec.resume ?? spec.run,
    needs: Object.freeze([...(spec.needs ?? [])]),
    targets,
    prompts: spec.prompts ?? none,
    windows: spec.windows ?? none,
    groups: spec.groups ?? none,
    keyEdges: spec.keyEdges ?? ((step: StepType<S>) => targets(step).map(({ step: to }) => ({ to, key: null }))),
    graph: (step: StepType<S>, flow: FlowShape): GraphFacts => ({
      heard: false,
      plays: true,
      answers: false,
      idle: targets(step)[0] ?? null,
      implicit: [],
      ...spec.graph?.(step, flow),
    }),
  });
}
