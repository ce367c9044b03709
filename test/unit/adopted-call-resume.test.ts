// An adopted call resumes where it was. Two controllers on one database, each with its own
// scripted Asterisk and virtual clock: the first runs a call and "crashes" (its clock stops, so
// nothing it still buffers is ever written, as with SIGKILL); the second lists the channel,
// adopts it and goes on from the step the first last wrote, with the facts carried with it.
// What the caller hears is read from the play requests the second controller sends.
import fc from 'fast-check';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AriAdapter } from '../../src/ari/ari-adapter.js';
import type { AriRequest } from '../../src/ari/ari-request.js';
import type { ChannelInfo } from '../../src/ari/types.js';
import { adoptedCallbackStart } from '../../src/callbacks/adopted-callback.js';
import { createCallbackStore, type CallbackStore } from '../../src/callbacks/callback-store.js';
import { createCallFacts } from '../../src/calls/call-facts.js';
import { CallRegistry } from '../../src/calls/call-registry.js';
import { createCallHandler } from '../../src/calls/handle-call.js';
import { carryFacts, resumeAdopted, type CarriedFacts } from '../../src/calls/resume.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import type { Flow } from '../../src/flow/schema.js';
import { LANGUAGES } from '../../src/prompts/language.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import type { EventData } from '../../src/store/events.js';
import { createResumePoints, type ResumePoints } from '../../src/store/resume-points.js';
import { createSqliteRecorder } from '../../src/store/sqlite-recorder.js';
import { flowFromYaml } from './support/fake-call.js';
import { notFound, ScriptedSocket, ScriptedTransport } from './support/scripted-ari.js';

const T0 = new Date('2026-03-10T10:00:00+08:00').getTime();
const PROMPT_MS = 1000; // every play request, whatever it holds
const silent = pino({ level: 'silent' });

// Answer at 500 ms (one ring cycle), greeting 500–1500, menu prompt from 1500.
const FLOW_YAML = `
hotline: { name: Test line, number: "4008008000" }
ring: { cadence: { onMs: 300, offMs: 200 }, answerAfterRings: 1 }
steps:
  answer: { verb: answer, next: welcome }
  welcome: { verb: greet, next: main }
  main:
    verb: menu
    prompt: menu.main
    options: { 1: business }
    timeoutMs: 3000
    invalid: { tries: 2, then: bye }
    noInput: { tries: 2, then: bye }
  business: { verb: play, prompt: info.business, next: bye }
  bye: { verb: hangup }
`;
const FLOW = flowFromYaml(FLOW_YAML);

/** A channel in the app: a caller (Stasis arguments none), or a dialled leg (`hotline,<role>,<owner>`). */
function channel(id: string, state: 'Ring' | 'Up', appData = 'hotline'): ChannelInfo {
  return {
    id,
    name: `PJSIP/trunk-${id}`,
    state,
    caller: { number: '13800138000', name: '' },
    dialplan: { context: 'hotline-inbound', exten: '4008008000', priority: 3, app_name: 'Stasis', app_data: appData },
    creationtime: new Date(T0).toISOString(),
  };
}

const idOf = (r: AriRequest) => decodeURIComponent(r.path.split('/')[1]!);

/** One controller: its own Asterisk link and clock, the shared database. */
interface Controller {
  clock: VirtualClock;
  socket: ScriptedSocket;
  transport: ScriptedTransport;
  /** The media of each play request, in order. */
  media: string[][];
  running: Array<Promise<void>>;
  press(callId: string, digit: string): void;
}

async function startController(
  db: Database,
  flow: Flow,
  startAt: number,
  listing: ChannelInfo[] = [],
  points?: ResumePoints,
  callbacks?: CallbackStore,
): Promise<Controller> {
  const clock = new VirtualClock(startAt);
  const socket = new ScriptedSocket();
  const media: string[][] = [];
  const never = new AbortController().signal;
  const transport = new ScriptedTransport()
    .on('GET channels', () => listing)
    .on('DELETE bridges/:id', () => Promise.reject(notFound('Bridge')))
    .on('DELETE channels/:id', (r) => {
      clock.timer(5, never, () => socket.send({ type: 'StasisEnd', channel: channel(idOf(r), 'Up') }));
    })
    .on('POST channels/:id/play', (r) => {
      const playbackId = String(r.query?.playbackId);
      media.push([r.query?.media ?? []].flat().map(String));
      clock.timer(PROMPT_MS, never, () =>
        socket.send({ type: 'PlaybackFinished', playback: { id: playbackId, target_uri: `channel:${idOf(r)}`, state: 'done' } }),
      );
      return { id: playbackId };
    });
  const ari = new AriAdapter({ url: 'http://127.0.0.1:1', user: 'u', password: 'p', app: 'hotline', requestTimeoutMs: 5000 }, silent, {
    clock,
    links: { socket, transport },
  });
  const handle = createCallHandler({
    ari,
    recorder: createSqliteRecorder(db, { logger: silent, clock }),
    registry: new CallRegistry(),
    currentFlow: () => flow,
    clock,
    logger: silent,
    signal: never,
    resumePoints: points ?? createResumePoints(db),
  });
  const running: Array<Promise<void>> = [];
  ari.on('call', (c, adopted, callback) => {
    if (!callback) return void running.push(handle(c, { adopted }));
    // As the controller does (src/controller.ts): the callee as the outbound call it was.
    const taken = adoptedCallbackStart(callbacks?.get(callback.callback), c, flow);
    running.push(handle(taken.channel, taken.start));
  });
  await ari.start();
  socket.open();
  await clock.advance(0);
  return {
    clock,
    socket,
    transport,
    media,
    running,
    press: (callId, digit) => socket.send({ type: 'ChannelDtmfReceived', channel: channel(callId, 'Up'), digit }),
  };
}

let db: Database;
beforeEach(() => {
  db = openDatabase(':memory:');
});
afterEach(() => {
  db.close();
});

const eventsOf = (id: string) =>
  (db.prepare('SELECT type, data FROM call_events WHERE call_id = ? ORDER BY id').all(id) as Array<{ type: string; data: string }>).map(
    (e) => ({ type: e.type, data: JSON.parse(e.data) as unknown }),
  );
const typesOf = (id: string) => eventsOf(id).map((e) => e.type);
const adoptedData = (id: string) => eventsOf(id).find((e) => e.type === 'call.adopted')?.data as EventData['call.adopted'] | undefined;
const resumeRow = (id: string) =>
  db.prepare('SELECT resume_step AS step, resume_facts AS facts FROM calls WHERE id = ?').get(id) as { step: string | null; facts: string | null } | undefined;
const sound = (id: string, language = 'zh-CN') => `sound:hotline/${language}/${id}`;

/** The first controller runs a new call until `crashAt` ms after it started, then dies. */
async function runUntilCrash(flow: Flow, crashAt: number, id = 'c1', during?: (first: Controller) => Promise<void>): Promise<Controller> {
  const first = await startController(db, flow, T0);
  first.socket.send({ type: 'StasisStart', channel: channel(id, 'Ring') });
  if (during) await during(first);
  await first.clock.advance(T0 + crashAt - first.clock.now());
  return first; // never advanced again: whatever it buffers is lost
}

/** The next controller, which finds the call in the application and serves it to its end. */
async function adoptAndFinish(flow: Flow, state: 'Ring' | 'Up', id = 'c1', keys: string[] = ['1']): Promise<Controller> {
  const next = await startController(db, flow, T0 + 10_000, [channel(id, state)]);
  await next.clock.advance(PROMPT_MS + 100);
  for (const key of keys) {
    next.press(id, key);
    await next.clock.advance(PROMPT_MS + 100);
  }
  await next.clock.advance(4 * PROMPT_MS + 3000 + 1000);
  await Promise.all(next.running);
  return next;
}

describe('an adopted call resumes where it was', () => {
  it('adopted at the menu after the greeting: the menu prompt again, not the greeting; not answered again; the old bridge removed', async () => {
    await runUntilCrash(FLOW, 2000); // the menu prompt is playing; its step was written at 1550
    expect(resumeRow('c1')?.step).toBe('main');

    const next = await adoptAndFinish(FLOW, 'Up');
    expect(adoptedData('c1')).toEqual({ state: 'Up', resumedAt: 'main' });
    expect(next.media).toEqual([[sound('menu.main')], [sound('info.business')]]);
    const types = typesOf('c1');
    expect(types).toEqual([
      'call.ringing', 'call.answered', 'greeting.played', 'menu.prompted',
      'call.adopted', 'menu.prompted', 'menu.choice', 'prompt.played', 'call.hangup', 'call.silence',
    ]);
    expect(types.filter((t) => t === 'greeting.played')).toHaveLength(1);
    const requests = next.transport.lines();
    expect(requests).not.toContain('POST channels/c1/answer');
    expect(requests).toContain('DELETE bridges/call-c1');
    // The adopter writes its own steps as it goes: the call ended at the hang-up step.
    expect(resumeRow('c1')?.step).toBe('bye');
  });

  it('N18: the language the caller chose, and the menu keys, are restored: the resumed menu speaks English', async () => {
    const flow = flowFromYaml(`
hotline: { name: Test line, number: "4008008000" }
ring: { cadence: { onMs: 300, offMs: 200 }, answerAfterRings: 1 }
steps:
  answer: { verb: answer, next: lang }
  lang: { verb: language, offer: language.offer, options: { "1": zh-CN, "2": en }, timeoutMs: 2000, tries: 1, next: welcome }
  welcome: { verb: greet, next: main }
  main:
    verb: menu
    prompt: menu.main
    options: { 1: more }
    invalid: { tries: 2, then: bye }
    noInput: { tries: 2, then: bye }
  more:
    verb: menu
    prompt: menu.main
    options: { 1: business }
    invalid: { tries: 2, then: bye }
    noInput: { tries: 2, then: bye }
  business: { verb: play, prompt: info.business, next: bye }
  bye: { verb: hangup }
`);
    // Offers 500–1500 (Mandarin) and 1500–2500 (English); 2 after them; greeting 2600–3600;
    // main from 3600, 1 at 4700; the second menu from 4700: the crash at 5000.
    await runUntilCrash(flow, 5000, 'c1', async (first) => {
      await first.clock.advance(2600);
      first.press('c1', '2');
      await first.clock.advance(2100);
      first.press('c1', '1');
    });
    expect(resumeRow('c1')?.step).toBe('more');

    const next = await adoptAndFinish(flow, 'Up');
    expect(adoptedData('c1')).toEqual({ state: 'Up', resumedAt: 'more' });
    expect(next.media).toEqual([[sound('menu.main', 'en')], [sound('info.business', 'en')]]);
    expect(JSON.parse(resumeRow('c1')?.facts ?? 'null')).toEqual({ language: 'en', trail: ['1', '1'] });
  });

  it('no resume point (the crash came before the first batch was written): the flow starts over, and call.adopted says why', async () => {
    // Nothing of this call reached the database: its first controller never wrote.
    const next = await adoptAndFinish(FLOW, 'Up', 'c9');
    expect(adoptedData('c9')).toEqual({ state: 'Up', resumedAt: null, reason: 'no-resume-point' });
    expect(next.media[0]).toContain(sound('greeting.body'));
    expect(next.media.slice(1)).toEqual([[sound('menu.main')], [sound('info.business')]]);
    expect(next.transport.lines()).not.toContain('POST channels/c9/answer');
  });

  it('a step the flow no longer has (it changed meanwhile): the flow starts over, the step is named', async () => {
    await runUntilCrash(FLOW, 2000);
    const renamed = flowFromYaml(FLOW_YAML.replace('next: main', 'next: main-menu').replace('  main:', '  main-menu:'));
    const next = await adoptAndFinish(renamed, 'Up');
    expect(adoptedData('c1')).toEqual({ state: 'Up', resumedAt: null, reason: 'unknown-step', recorded: 'main' });
    expect(next.media[0]).toContain(sound('greeting.body'));
  });

  it('a call still ringing has heard nothing but ringback: it starts over and is answered', async () => {
    await runUntilCrash(FLOW, 200); // the answer step was entered (written at 50 ms); the ring goes on
    expect(resumeRow('c1')?.step).toBe('answer');
    const next = await adoptAndFinish(FLOW, 'Ring');
    expect(adoptedData('c1')).toEqual({ state: 'Ring', resumedAt: null, reason: 'not-answered', recorded: 'answer' });
    expect(next.transport.lines()).toContain('POST channels/c1/answer');
    // Never answered: there is no bridge to remove.
    expect(next.transport.lines()).not.toContain('DELETE bridges/call-c1');
  });

  it('race: a crash between entering a step and the buffered write: the adopter sees the step before it', async () => {
    // The menu step is entered at 1500; the batch that holds it is due at 1550. Killed at 1520.
    await runUntilCrash(FLOW, 1520);
    expect(resumeRow('c1')?.step).toBe('welcome');
    const next = await adoptAndFinish(FLOW, 'Up');
    expect(adoptedData('c1')).toEqual({ state: 'Up', resumedAt: 'welcome' });
    // The greeting again (the adopter cannot know it was heard to its end), then the menu.
    expect(next.media[0]).toContain(sound('greeting.body'));
    expect(next.media[1]).toEqual([sound('menu.main')]);
  });

  it('a resume point the store cannot read: the flow starts over (unreadable), the call is served', async () => {
    await runUntilCrash(FLOW, 2000);
    const failing: ResumePoints = { read: () => Promise.reject(new Error('database is locked')) };
    const next = await startController(db, FLOW, T0 + 10_000, [channel('c1', 'Up')], failing);
    await next.clock.advance(10_000);
    expect(adoptedData('c1')).toEqual({ state: 'Up', resumedAt: null, reason: 'unreadable' });
    expect(next.media[0]).toContain(sound('greeting.body'));
  });
});

describe('an adopted callback callee (N8)', () => {
  const CALLBACK_FLOW = flowFromYaml(`
hotline: { name: Test line, number: "4008008000" }
agents:
  agents: { k1: { endpoint: PJSIP/k1, workNumber: "1077", name: 一号 } }
  groups: { desk: { name: 服务台, strategy: ordered, members: [k1] } }
callbacks: { dial: "PJSIP/{number}@trunk", group: desk, entry: callback-greet }
steps:
  answer: { verb: answer, next: bye }
  callback-greet:
    verb: menu
    prompt: callback.greeting
    options: { 1: business }
    timeoutMs: 3000
    invalid: { tries: 2, then: bye }
    noInput: { tries: 2, then: bye }
  business: { verb: play, prompt: info.business, next: bye }
  bye: { verb: hangup }
`);
  const callee = (owner: string) => channel('callee-1', 'Up', `hotline,callback-leg,${owner}`);

  it('N8 N9 N18: resumed at its step in the language of the call that asked, with no second apology and no second callback.started', async () => {
    const store = createCallbackStore(db);
    const row = store.add({ callId: 'c0', number: '13900139000', reason: 'dropped', now: T0 - 60_000, language: 'en' });
    // What the first controller wrote before it died: the callee at the callback's menu, in English.
    const rec = createSqliteRecorder(db, { logger: silent, clock: new VirtualClock(T0) });
    rec.callStarted({ id: 'callee-1', channelId: 'callee-1', caller: '13900139000', called: '4008008000', startedAt: T0 });
    rec.callStep('callee-1', 'callback-greet', { language: 'en', trail: [] });
    rec.close();

    const next = await startController(db, CALLBACK_FLOW, T0 + 10_000, [callee(`callback-${row.id}`)], undefined, store);
    await next.clock.advance(PROMPT_MS + 100);
    next.press('callee-1', '1');
    await next.clock.advance(10_000);
    await Promise.all(next.running);
    expect(adoptedData('callee-1')).toEqual({ state: 'Up', resumedAt: 'callback-greet' });
    expect(next.media).toEqual([[sound('callback.greeting', 'en')], [sound('info.business', 'en')]]);
    const types = typesOf('callee-1');
    expect(types).not.toContain('callback.started');
    expect(next.media.flat()).not.toContain(sound('dropped.apology', 'en'));
    expect(types).toContain('call.hangup');
  });

  it('N8: a callee whose point was never written starts over at the callback entry, not at the inbound start', async () => {
    const store = createCallbackStore(db);
    const row = store.add({ callId: 'c0', number: '13900139000', reason: 'unanswered-query', now: T0 - 60_000 });
    const next = await startController(db, CALLBACK_FLOW, T0 + 10_000, [callee(`callback-${row.id}`)], undefined, store);
    await next.clock.advance(PROMPT_MS + 100);
    expect(adoptedData('callee-1')).toEqual({ state: 'Up', resumedAt: null, reason: 'no-resume-point' });
    expect(next.media[0]).toEqual([sound('callback.greeting')]);
    expect(next.transport.lines()).not.toContain('POST channels/callee-1/answer');
  });
});

describe('the facts carried with a resume point', () => {
  const facts = () => createCallFacts({ direction: 'inbound', caller: '13800138000', language: 'zh-CN' });
  const call = (id: string, f = facts()) => ({ id, answered: true, facts: f });

  function write(id: string, step: string, carried: Readonly<Record<string, unknown>>): void {
    const rec = createSqliteRecorder(db, { logger: silent, clock: new VirtualClock(T0) });
    rec.callStarted({ id, channelId: id, caller: '13800138000', called: '4008008000', startedAt: T0 });
    rec.callStep(id, step, carried);
    rec.close();
  }

  it('every fact a later step reads comes back as it was written (language, keys, ticket, consent, group, place, agent, the conversation going on)', async () => {
    const arbitraryFacts: fc.Arbitrary<CarriedFacts> = fc.record(
      {
        language: fc.constantFrom(...LANGUAGES),
        trail: fc.array(fc.constantFrom(...'0123456789*#'), { maxLength: 30 }),
        ticket: fc.stringMatching(/^[0-9]{10}$/),
        recording: fc.constantFrom('given' as const, 'declined' as const),
        group: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
        queuedAt: fc.integer({ min: 0, max: 2 ** 45 }),
        agent: fc.stringMatching(/^[0-9]{3,6}$/),
        talking: fc.record({ agent: fc.stringMatching(/^[a-z0-9]{1,8}$/), leg: fc.uuid() }),
      },
      { requiredKeys: ['language', 'trail'] },
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(arbitraryFacts, async (carried) => {
        const id = `p${n++}`;
        write(id, 'main', carried);
        const restored = facts();
        const start = await resumeAdopted(createResumePoints(db), call(id, restored), FLOW, silent);
        expect(start).toEqual({ startAt: 'main', resumedAt: 'main' });
        expect(carryFacts(restored)).toEqual(carried);
      }),
      { numRuns: 200 },
    );
  });

  it('facts this build does not understand: the flow starts over (unreadable), and none are half restored', async () => {
    write('odd', 'main', { language: 'fr', trail: [] });
    const restored = facts();
    const start = await resumeAdopted(createResumePoints(db), call('odd', restored), FLOW, silent);
    expect(start).toEqual({ startAt: 'answer', resumedAt: null, reason: 'unreadable', recorded: 'main' });
    expect(carryFacts(restored)).toEqual({ language: 'zh-CN', trail: [] });
  });

  it('without a resume point store wired, an adopted call starts over', async () => {
    const start = await resumeAdopted(undefined, call('none'), FLOW, silent);
    expect(start).toEqual({ startAt: 'answer', resumedAt: null, reason: 'no-resume-point' });
  });
});
