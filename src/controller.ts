// The composition root: builds every part from the config and wires them together. Nothing
// else constructs long-lived objects, so there are no singletons and tests can start a whole
// controller in-process with their own database and flow.
import { setMaxListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { AgentNotifier } from './agents/agent-notifier.js';
import { AgentPool } from './agents/agent-pool.js';
import { createAgentStateStore } from './agents/agent-state-store.js';
import { AriAgentDesk } from './agents/ari-agent-desk.js';
import { Dispatcher } from './agents/dispatcher.js';
import { AmiMonitor } from './ami/ami-monitor.js';
import { adoptedCallbackStart } from './callbacks/adopted-callback.js';
import { createCallbackStore } from './callbacks/callback-store.js';
import { DEFAULT_PROMISE_MINUTES } from './callbacks/deadlines.js';
import { AriAdapter } from './ari/ari-adapter.js';
import { ariHealthReasons } from './ari/ari-health.js';
import { RequestLatency } from './ari/request-latency.js';
import { CallRegistry } from './calls/call-registry.js';
import { OutboundDialer } from './calls/outbound-leg.js';
import { createCallHandler, type CallStart } from './calls/handle-call.js';
import type { ChannelInfo } from './ari/types.js';
import { CallbackScheduler } from './callbacks/scheduler.js';
import { RevisitJob } from './callbacks/revisit-job.js';
import { createRevisitStore } from './callbacks/revisit-store.js';
import type { Config } from './config/env.js';
import { settleAfter, systemClock, type Clock } from './clock/clock.js';
import { parseFlow, readFlowFile, type FlowIssue } from './flow/load-flow.js';
import { createFlowInstaller, type InstallOptions, type InstallResult } from './flow/flow-installer.js';
import { createFlowVersionStore, type FlowLoadedBy } from './flow/flow-version-store.js';
import { scaleTimings } from './flow/scale-timings.js';
import { SERVICE_NAMES } from './flow/services.js';
import type { Flow } from './flow/schema.js';
import { createHttpApp } from './http/app.js';
import { listenHttp } from './http/listen.js';
import { loadCatalogue } from './prompts/catalogue.js';
import { createCallQueries } from './store/call-queries.js';
import { createCallerHistory } from './store/caller-history.js';
import { createResumePoints } from './store/resume-points.js';
import { openDatabase } from './store/database.js';
import { createSqliteRecorder } from './store/sqlite-recorder.js';
import type { EventData, EventType } from './store/events.js';
import { createTicketStore } from './tickets/ticket-store.js';
import { createSurveyStore } from './surveys/survey-store.js';
import { createRecordingStore } from './recording/recording-store.js';
import { ariRecordingFiles, diskRecordingFiles } from './recording/recording-files.js';
import { RecordingRetentionJob } from './recording/retention-job.js';
import { createHoursService } from './calendar/hours-service.js';
import { createHoursStore } from './calendar/hours-store.js';
import { createBlacklistStore } from './blacklist/blacklist-store.js';
import { Admission } from './overload/admission.js';
import { nodeLoopDelay, type LoopDelaySource } from './overload/loop-delay.js';

export interface ControllerOptions {
  logger: Logger;
  clock?: Clock;
  /** The event loop's delay (issue 12: shedding); tests script it. Default: perf_hooks. */
  loopDelay?: LoopDelaySource;
}

export interface Controller {
  readonly ari: AriAdapter;
  readonly registry: CallRegistry;
  /** Issue 12: who is admitted, who is shed, and the counts (also in /health). */
  readonly admission: Admission;
  /** Where the HTTP API listens (the port is real even when the config said 0). */
  readonly httpUrl: string;
  currentFlow(): Flow;
  /**
   * Loads the flow file again, parsed off the main thread (live calls are not held up); on
   * error the running flow stays and the promise rejects (a FlowError lists every issue).
   * Each reload that succeeds is stored as a flow load (`loadedBy`: SIGHUP by default).
   */
  reloadFlow(loadedBy?: Exclude<FlowLoadedBy, 'start'>): Promise<Flow>;
  /**
   * Validates a flow text with the loader's checks (issues name the flow file); when it passes,
   * writes it to the flow file, stores its version and swaps it in. One load at a time.
   */
  installFlow(text: string, options?: InstallOptions): Promise<InstallResult>;
  stop(): Promise<void>;
}

export async function startController(config: Readonly<Config>, options: ControllerOptions): Promise<Controller> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const catalogue = loadCatalogue(config.promptCatalogue);
  // This controller wires every service (agents, callbacks, tickets, caller history: below).
  const services = new Set(SERVICE_NAMES);
  // Warnings (steps nothing reaches) go to the operator's log, with file:line, at every load.
  const onWarning = (w: FlowIssue) => logger.warn({ file: w.file, line: w.line, path: w.path }, `flow: ${w.message}`);
  // At start no call is live: the flow loads here. A reload parses in a worker thread. The
  // text is kept: it is the flow version stored below.
  const startText = readFlowFile(config.flowFile);
  let flow = scaleTimings(parseFlow(startText, config.flowFile, catalogue.ids, { services, onWarning }), config.flowTimeScale);

  const db = openDatabase(config.database);
  const recorder = createSqliteRecorder(db, { logger, clock });
  const queries = createCallQueries(db);
  const registry = new CallRegistry();
  // The service's life: aborted by stop(), it ends every timer that is not a call's.
  const life = new AbortController();
  // Calls, legs and waits listen on the service's life while they last (one or a few per live
  // call, removed when they end): bounded by the calls, so Node's leak warning at 11 is noise here.
  setMaxListeners(0, life.signal);
  // Every ARI request's round trip, timed for the admission (issue 12: shedding on ARI latency).
  const ariLatency = new RequestLatency(clock);
  const ari = new AriAdapter(config.ari, logger.child({ part: 'ari' }), { clock, latency: ariLatency });
  const ami = new AmiMonitor(config.ami, logger.child({ part: 'ami' }), clock);
  // One outbound leg module: agent legs now, callback legs next.
  const dialer = new OutboundDialer({ ari, clock, logger: logger.child({ part: 'dial' }), causes: ami, signal: life.signal });

  // Agents come from the flow; a reload (SIGHUP) hands the pool the new agents and groups.
  const pool = new AgentPool(flow.agents, createAgentStateStore(db), clock, life.signal);
  // Every flow that loads is stored (issue 11); reloads and posted flows go through here, one
  // at a time, and are swapped in one step: calls in progress keep the flow they started with.
  const flowVersions = createFlowVersionStore(db);
  const installer = createFlowInstaller({
    flowFile: config.flowFile,
    promptIds: catalogue.ids,
    services,
    timeScale: config.flowTimeScale,
    store: flowVersions,
    clock,
    signal: life.signal,
    logger,
    onWarning,
    apply: (next) => {
      pool.reconfigure(next.agents);
      flow = next;
    },
  });
  flow = installer.started(flow, startText);
  const notifier = new AgentNotifier((err, agentId) => logger.warn({ err, agentId }, 'agent screen listener failed'));
  const dispatcher = new Dispatcher(pool, logger.child({ part: 'dispatcher' }));
  const agents = new AriAgentDesk({
    ari, dialer, pool, dispatcher, notifier, clock, logger: logger.child({ part: 'agents' }), signal: life.signal,
  });

  // N8: the promise per reason is the flow's (SPEC N8's where it says nothing), read per request.
  const callbacks = createCallbackStore(db, { promiseMinutes: () => ({ ...DEFAULT_PROMISE_MINUTES, ...flow.callbacks.promiseMinutes }) });
  const tickets = createTicketStore(db, () => clock.now(), { timeZone: () => flow.hotline.timezone });
  const callerHistory = createCallerHistory(db, { logger: logger.child({ part: 'caller-history' }) });
  const surveys = createSurveyStore(db);
  // N14: recording rows in SQLite; the audio where Asterisk writes it, read from disk when this
  // process sees that folder (HOTLINE_RECORDINGS_DIR), else through ARI.
  const recordings = {
    store: createRecordingStore(db),
    files: config.recordingsDir === undefined ? ariRecordingFiles(ari) : diskRecordingFiles(config.recordingsDir),
  };
  const recordOn = <T extends EventType>(callId: string, type: T, data: EventData[T]) => recorder.event(callId, type, data, clock.now());
  // N14: the daily retention job (recording.retentionDays; recordings whose call row is gone).
  const retention = new RecordingRetentionJob({
    ...recordings,
    policy: () => flow.recording,
    timeZone: () => flow.hotline.timezone,
    record: recordOn,
    clock,
    logger: logger.child({ part: 'recordings' }),
    signal: life.signal,
  });
  // N15: the service hours (flow file, imported holidays, operator override) for the `hours`
  // verb, the callback scheduler and /api/hours.
  const hoursStore = createHoursStore(db);
  const hours = createHoursService(hoursStore);
  // N11: screens inbound callers before their flow; operators manage it through /api/blacklist.
  const blacklist = createBlacklistStore(db);
  // Issue 12: past HOTLINE_MAX_CALLS live calls, with the event loop late by
  // HOTLINE_MAX_LOOP_DELAY_MS, or with Asterisk answering ARI late by HOTLINE_MAX_ARI_LATENCY_MS,
  // new callers are shed (answered on time, apologised to).
  const admission = new Admission({
    maxCalls: config.capacity.maxCalls,
    maxLoopDelayMs: config.capacity.maxLoopDelayMs,
    loopDelay: options.loopDelay ?? nodeLoopDelay(),
    maxAriLatencyMs: config.capacity.maxAriLatencyMs,
    ariLatency,
    clock,
    signal: life.signal,
  });
  const handleCall = createCallHandler({
    ari, recorder, registry, clock, logger, agents, callbacks, tickets, callerHistory, surveys, blacklist, hours, recordings, admission, currentFlow: () => flow, signal: life.signal,
    // An adopted call resumes at the step it was in (written through the recorder).
    resumePoints: createResumePoints(db),
  });
  const running = new Set<Promise<void>>();
  const runCall = (channel: ChannelInfo, start: CallStart): Promise<void> => {
    const done = handleCall(channel, start)
      .catch((err: unknown) => logger.error({ err, channelId: channel.id }, 'call handler failed'))
      .finally(() => running.delete(done));
    running.add(done);
    return done;
  };
  ari.on('call', (channel, adopted, callback) => {
    if (!callback) return void runCall(channel, { adopted });
    // N8: an answered callback's callee, adopted after a restart: the outbound call it was.
    const taken = adoptedCallbackStart(callbacks.get(callback.callback), channel, flow);
    void runCall(taken.channel, taken.start);
  });
  // N8: persisted callbacks dialled back, agent first, as outbound calls that run the flow.
  const scheduler = new CallbackScheduler({
    store: callbacks,
    pool,
    dispatcher,
    agents,
    dialer,
    tickets,
    runCall,
    record: (callId, type, data) => recorder.event(callId, type, data, clock.now()),
    currentFlow: () => flow,
    clock,
    logger: logger.child({ part: 'callbacks' }),
    signal: life.signal,
    hours,
    // N16: the daily revisits of resolved complaints, run from the scheduler's tick.
    revisits: new RevisitJob({
      store: createRevisitStore(db, callbacks),
      record: recordOn,
      logger: logger.child({ part: 'revisits' }),
      signal: life.signal,
    }),
  });

  // Hang-up requests and causes that ARI does not always carry (a plain BYE), and the earliest
  // word of a shutdown or restart: ARI counts as down from then, not only once its socket closes.
  ami.on('hangup', (uniqueId, cause, causeText) => registry.get(uniqueId)?.noteFinalCause(cause, causeText || undefined));
  ami.on('hangup-request', (uniqueId, soft, cause) => registry.get(uniqueId)?.noteHangupRequest('ami', soft, soft ? undefined : cause, soft ? cause : undefined));
  ami.on('shutdown', () => ari.asteriskShuttingDown());

  const app = createHttpApp({
    queries,
    agents: { pool, notifier, clock },
    callbacks: {
      store: callbacks,
      policy: () => ({ allowedPatterns: flow.callbacks.allowedPatterns, groups: Object.keys(flow.agents.groups) }),
      now: () => clock.now(),
    },
    queues: { snapshot: () => dispatcher.snapshot(), now: () => clock.now() },
    tickets,
    recordings: { ...recordings, callExists: (id) => queries.getCall(id) !== undefined, record: recordOn, now: () => clock.now() },
    hours: { service: hours, store: hoursStore, flow: () => flow, now: () => clock.now(), logger: logger.child({ part: 'hours' }) },
    flow: { versions: flowVersions, running: () => installer.running(), install: (text, o) => installer.install(text, o) },
    blacklist: { store: blacklist, now: () => clock.now() },
    apiToken: config.http.apiToken,
    logger,
    health: () => {
      const link = ari.health();
      const reasons = ariHealthReasons(link);
      if (!ami.connected) reasons.push({ code: 'ami-down', detail: 'AMI is not connected: hang-up causes and shutdown notices come from ARI alone' });
      return {
        ari: link.up,
        ami: ami.connected,
        activeCalls: registry.size,
        reasons,
        ariRequests: { ...(link.transport ? { transport: link.transport } : {}), ...link.requests },
        load: admission.status(),
      };
    },
    signal: life.signal,
  });
  const server = await listenHttp(app, config.http.port, config.http.host);
  server.on('error', (err) => logger.error({ err }, 'HTTP server error'));
  const { port } = server.address() as AddressInfo;
  const httpUrl = `http://${config.http.host}:${port}`;

  ami.start();
  admission.start();
  scheduler.start();
  retention.start();
  // Not awaited: the HTTP API (health) is up while ARI is still unreachable.
  ari.start().catch((err: unknown) => logger.error({ err }, 'ARI start failed'));
  logger.info({ http: httpUrl, flow: flow.source, app: config.ari.app }, 'controller started');

  return {
    ari,
    registry,
    admission,
    httpUrl,
    currentFlow: () => flow,
    reloadFlow: (loadedBy = 'sighup') => installer.reload(loadedBy),
    installFlow: (text, installOptions) => installer.install(text, installOptions),
    async stop() {
      // No new callbacks are dialled; those in progress end below with the service's signal.
      await scheduler.stop();
      // Calls in progress stay up in Asterisk for the next controller to adopt.
      for (const call of registry.all()) call.detach();
      // Bounded: shutting down must not hang on a call that does not unwind. The bound's timer
      // ends as soon as the calls have.
      const bound = new AbortController();
      await Promise.race([Promise.allSettled([...running]), settleAfter(clock, 3000, bound.signal)]);
      bound.abort();
      life.abort();
      // A retention run in progress stops at the next recording; it must not outlive the database.
      await retention.stop();
      ari.stop();
      ami.stop();
      // Open agent event streams would keep close() waiting forever.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      recorder.close();
      db.close();
      logger.info('controller stopped');
    },
  };
}
