// Asterisk's configuration, generated from the controller's config and the flow file, so the
// two can never disagree on a password, a port or the hotline number. Everything listens on
// the configured loopback address, Asterisk loads only the modules listed below, the AMI user
// may only read the events the controller uses, and every value is checked again where it is
// written (config-text.ts): a `;` or a line break cannot reach a file.
import { AMD_ARG, AMD_CONTEXT, AMD_EXTENSION, AMD_PARAMS_VARIABLE, AMD_STASIS_VARIABLE } from '../ari/amd-dialplan.js';
import { AMI_EVENTS } from '../ami/ami-events.js';
import { INBOUND_TALK_DETECT_ARG } from '../ari/channel-role.js';
import { isIPv6 } from 'node:net';
import { listItems, stripBrackets } from '../config/addresses.js';
import { configTextProblem, type TextKind, userSectionProblem } from '../config/config-text.js';
import type { Config } from '../config/env.js';
import { fallbackPlan, shedPlan, type FallbackPlan } from '../flow/ring-budget.js';
import type { Flow } from '../flow/schema.js';

export type AsteriskFiles = Record<string, string>;

export const INBOUND_CONTEXT = 'hotline-inbound';

/**
 * The modules Asterisk loads (modules.conf has `autoload = no`): what the hotline uses and
 * what those require, nothing else, so no module can open a listener or offer a dialplan
 * function (SHELL, SYSTEM, CURL, ODBC...) that nothing here needs. Built-in parts of the core
 * (Local channels, the dialplan's built-in applications Answer, Ringing, Wait, Hangup,
 * Congestion, Goto, GotoIf, NoOp, Set; HTTP, AMI, ACLs) need no entry. Each entry is loaded
 * only if its own requirements are listed too: Asterisk does not fetch them with autoload off.
 * To use another module, add it here with its reason.
 */
export const ASTERISK_MODULES: Readonly<Record<string, string>> = {
  // The dialplan: extensions.conf and extensions_local.conf
  'pbx_config.so': 'reads extensions.conf',
  'app_stasis.so': 'Stasis(): hands calls to the controller',
  'app_playback.so': 'Playback(): the fallback prompt while the controller is away',
  'app_dial.so': "Dial(): the flow's unavailable.then.dial",
  'app_senddtmf.so': 'SendDTMF(): agent and callee contexts in extensions_local.conf',
  'func_talkdetect.so': 'TALK_DETECT(): N3 voice activity',
  'app_amd.so': 'AMD(): issue 9, answering-machine detection of callback callees (declines to load without amd.conf)',
  'res_timing_timerfd.so': 'the timer for playback, hold music and mixing bridges',
  // ARI over HTTP and its WebSocket
  'res_http_websocket.so': 'the ARI events WebSocket',
  'res_websocket_client.so': 'required by res_ari',
  'res_ari.so': 'ARI',
  'res_ari_model.so': 'ARI: message validation',
  'res_ari_asterisk.so': 'ARI /asterisk (the sandbox waits on /asterisk/info)',
  'res_ari_bridges.so': 'ARI /bridges: transfers',
  'res_ari_channels.so': 'ARI /channels',
  'res_ari_endpoints.so': "ARI /endpoints: agent phones' reachability",
  'res_ari_events.so': 'ARI /events',
  'res_ari_playbacks.so': 'ARI /playbacks: stopping a prompt',
  'res_ari_recordings.so': 'ARI /recordings: N14 stopping, reading and deleting call recordings',
  'res_stasis.so': 'Stasis applications',
  'res_stasis_answer.so': 'required by res_ari_channels',
  'res_stasis_playback.so': 'playing prompts',
  'res_stasis_recording.so': 'required by res_ari_channels and res_stasis_playback',
  'res_stasis_snoop.so': 'required by res_ari_channels',
  // Media
  'res_musiconhold.so': 'hold music (musiconhold.conf)',
  'bridge_simple.so': 'two-party bridges',
  'bridge_softmix.so': 'mixing bridges of more than two',
  'chan_bridge_media.so': "N14: the Recorder channel that records an agent conversation's bridge",
  'res_rtp_asterisk.so': 'RTP',
  'codec_ulaw.so': 'G.711 u-law',
  'codec_alaw.so': 'G.711 a-law',
  'codec_resample.so': 'signed-linear rates: Local channels run at up to 192 kHz, the prompts at 8',
  'format_wav.so': 'prompts and hold music (8 kHz WAV)',
  'format_pcm.so': 'raw u-law/a-law sound files',
  'format_sln.so': 'raw signed-linear sound files',
  // PJSIP over UDP
  'res_pjproject.so': 'pjproject, required by res_pjsip and res_rtp_asterisk',
  'res_sorcery_config.so': 'required by res_pjsip',
  'res_sorcery_memory.so': 'required by res_pjsip',
  'res_sorcery_astdb.so': 'required by res_pjsip',
  'res_pjsip.so': 'SIP',
  'res_pjsip_session.so': 'SIP calls',
  'res_pjsip_pubsub.so': 'required by chan_pjsip',
  'chan_pjsip.so': 'PJSIP channels: SIP callers, agent phones, trunks',
  'res_pjsip_sdp_rtp.so': 'SDP and RTP for SIP calls',
  'res_pjsip_endpoint_identifier_ip.so': "pjsip.conf's identify (SIP_MATCH)",
  'res_pjsip_caller_id.so': "the caller's number from the SIP headers",
  'res_pjsip_nat.so': "endpoints' NAT settings (rtp_symmetric, force_rport)",
  'res_pjsip_rfc3326.so': 'hang-up causes in the SIP Reason header',
  'res_pjsip_authenticator_digest.so': 'agent phones that authenticate',
  'res_pjsip_registrar.so': 'agent phones that register',
  'res_pjsip_outbound_authenticator_digest.so': 'trunks that ask for credentials',
  'res_pjsip_outbound_registration.so': 'trunks that need a registration',
};

const header = (what: string) =>
  `; ${what}\n; Generated by the hotline controller (npm run asterisk:config); edits here are overwritten.\n\n`;

function asteriskConf(): string {
  return `${header('asterisk.conf')}[directories]
astcachedir => /var/cache/asterisk
astetcdir => /etc/asterisk
astmoddir => /usr/lib/x86_64-linux-gnu/asterisk/modules
astvarlibdir => /var/lib/asterisk
astdbdir => /var/lib/asterisk
astkeydir => /var/lib/asterisk
astdatadir => /usr/share/asterisk
astagidir => /usr/share/asterisk/agi-bin
astspooldir => /var/spool/asterisk
astrundir => /var/run/asterisk
astlogdir => /var/log/asterisk
astsbindir => /usr/sbin

[options]
verbose = 1
documentation_language = en_US
hideconnect = yes
`;
}

function modulesConf(): string {
  return `${header('modules.conf: only what the hotline uses (see ASTERISK_MODULES in render-config.ts)')}[modules]
autoload = no
${Object.entries(ASTERISK_MODULES)
  .map(([module, why]) => `load => ${module} ; ${why}`)
  .join('\n')}
`;
}

function loggerConf(): string {
  return `${header('logger.conf')}[general]
dateformat = %F %T.%3q

[logfiles]
console => notice,warning,error
messages.log => notice,warning,error
`;
}

/**
 * app_amd reads its defaults from amd.conf and declines to load without it. The controller
 * passes every parameter on each call (the flow in force's callbacks.answeringMachine), so
 * these, the generating flow's values, only serve a site's own AMD() without arguments.
 */
function amdConf(flow: Flow): string {
  const amd = flow.callbacks.answeringMachine;
  return `${header('amd.conf: answering-machine detection (AMD() in the callback context of extensions.conf)')}[general]
initial_silence = ${amd.initialSilenceMs}
greeting = ${amd.greetingMs}
after_greeting_silence = ${amd.afterGreetingSilenceMs}
total_analysis_time = ${amd.totalAnalysisMs}
min_word_length = ${amd.minWordMs}
between_words_silence = ${amd.betweenWordsSilenceMs}
maximum_number_of_words = ${amd.maxWords}
silence_threshold = ${amd.silenceThreshold}
maximum_word_length = ${amd.maxWordMs}
`;
}

/**
 * Issue 9: answering-machine detection of a callback's callee (src/ari/amd-dialplan.ts). An
 * answered callee leaves the application for this context; AMD() listens, and the callee goes
 * back to the application it came from with the verdict as three more Stasis arguments. The
 * application and AMD()'s arguments come in channel variables, so one context serves every
 * application (the end-to-end lanes) and the flow in force decides the parameters. A callee
 * who hangs up during AMD() never gets back; neither does one whose controller has gone away
 * (Stasis() fails): it is hung up.
 */
export function amdContext(): string {
  return `[${AMD_CONTEXT}]
exten => ${AMD_EXTENSION},1,NoOp(answering-machine detection of a callback's callee)
 same => n,AMD(\${${AMD_PARAMS_VARIABLE}})
 same => n,Stasis(\${${AMD_STASIS_VARIABLE}},${AMD_ARG},\${AMDSTATUS},\${AMDCAUSE})
 same => n,Hangup()
`;
}

/** Checks every value where it is written; the problems are refused together. */
class Checker {
  readonly problems: string[] = [];

  text(setting: string, value: string, kind: TextKind): string {
    const problem = configTextProblem(setting, value, kind);
    if (problem) this.problems.push(problem);
    return value;
  }

  /** A user's section name: plain text, and never the file's own [general]. */
  user(setting: string, value: string, file: string): string {
    const problem = userSectionProblem(setting, value, file);
    if (problem) this.problems.push(problem);
    return this.text(setting, value, 'name');
  }
}

/** A value that would change the meaning of a generated file: names the setting and the character. */
export class AsteriskConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`refusing to write Asterisk's configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'AsteriskConfigError';
  }
}

function httpConf(config: Config, check: Checker): string {
  const url = new URL(config.ari.url);
  return `${header('http.conf: the ARI endpoint')}[general]
enabled = yes
bindaddr = ${check.text("ARI_URL's host", stripBrackets(url.hostname), 'address')}
bindport = ${url.port || '8088'}
; Sized for HOTLINE_MAX_CALLS (${config.capacity.maxCalls}) plus headroom: past the limit Asterisk drops new
; HTTP connections and an ARI request over HTTP would never be answered (issue 12).
sessionlimit = ${config.capacity.httpSessionLimit}
`;
}

/** ari.conf websocket_write_timeout, ms (Asterisk's default: 100). */
export const ARI_WEBSOCKET_WRITE_TIMEOUT_MS = 1000;

function ariConf(config: Config, check: Checker): string {
  return `${header('ari.conf')}[general]
enabled = yes
pretty = no
; How long Asterisk waits for the controller to take a message off the events socket before it
; closes the socket. Its default, 100 ms, closed it at 150 calls/s in the load bench (then every
; request on the socket failed and events were missed until the reconnect): a GC pause or a
; burst is not a dead controller. A dead one is still seen at once (the socket closes).
websocket_write_timeout = ${ARI_WEBSOCKET_WRITE_TIMEOUT_MS}

[${check.user('ARI_USER', config.ari.user, 'ari.conf')}]
type = user
read_only = no
password = ${check.text('ARI_PASSWORD', config.ari.password, 'secret')}
password_format = plain
`;
}

/**
 * AMI is the controller's second pair of eyes (src/ami/ami-monitor.ts): it reads FullyBooted
 * and Shutdown (class system) and Hangup, HangupRequest and SoftHangupRequest (class call), and
 * sends nothing but Login, which
 * needs no write class. So the user reads those two classes and writes none.
 */
export const AMI_READ = 'system,call';

/**
 * One include filter per event the monitor reads (AMI_EVENTS): Asterisk then drops every other
 * event of those classes before it is written to the socket, so the controller no longer parses a
 * dozen unused events per channel. In manager.conf rather than a Filter action after each login:
 * it applies from the first event of every (re)connection with no window, and the Filter action
 * needs the system write class, which this user does not have. The name() form (Asterisk 22.1+,
 * 21.6+, 20.11+) matches the event name exactly by hash; the legacy `eventfilter = Event: Hangup`
 * is a regex over the whole event, which HangupRequest also matches. An Asterisk too old for the
 * form does not apply the filter, and the monitor works as before on all events. The FullyBooted
 * sent right after a login bypasses filters; the one sent when Asterisk finishes booting does not.
 */
export const AMI_EVENT_FILTERS = AMI_EVENTS.map((name) => `eventfilter(action(include),name(${name})) =`);

function managerConf(config: Config, check: Checker): string {
  return `${header('manager.conf: AMI')}[general]
enabled = yes
webenabled = no
port = ${config.ami.port}
bindaddr = ${check.text('AMI_HOST', config.ami.host, 'address')}

[${check.user('AMI_USER', config.ami.user, 'manager.conf')}]
secret = ${check.text('AMI_SECRET', config.ami.secret, 'secret')}
deny = 0.0.0.0/0.0.0.0
deny = ::/0
${listItems(config.ami.permit)
  .map((p) => `permit = ${check.text('AMI_PERMIT', p, 'address')}`)
  .join('\n')}
; read only what the controller listens to; no write class: its only action is Login
read = ${AMI_READ}
; only the events the controller reads (src/ami/ami-monitor.ts AMI_EVENTS)
${AMI_EVENT_FILTERS.join('\n')}
`;
}

function pjsipConf(config: Config, check: Checker): string {
  const { port } = config.sip;
  const bind = check.text('SIP_BIND', config.sip.bind, 'address');
  const match = check.text('SIP_MATCH', config.sip.match, 'address');
  // pjsip.conf wants an IPv6 transport address in brackets before its port.
  const transport = isIPv6(bind) ? `[${bind}]:${port}` : `${bind}:${port}`;
  return `${header('pjsip.conf')}[transport-udp]
type = transport
protocol = udp
bind = ${transport}

; SIP callers arriving from ${match} (in the sandbox: SIPp on the same machine).
[callers]
type = endpoint
context = ${INBOUND_CONTEXT}
disallow = all
allow = ulaw,alaw
dtmf_mode = rfc4733
direct_media = no
rtp_symmetric = yes
media_address = ${bind}
bind_rtp_to_media_address = yes
language = en

[callers-identify]
type = identify
endpoint = callers
match = ${match}

; Site-specific endpoints (e.g. the agents' phones), kept across regenerations.
#tryinclude pjsip_local.conf
`;
}

/** Hold music for callers waiting on an agent transfer (sandbox.sh generates hold.wav). */
export const MOH_DIRECTORY = '/var/lib/asterisk/moh/hotline';

function musiconholdConf(): string {
  return `${header('musiconhold.conf')}[default]
directory = ${MOH_DIRECTORY}
mode = files
`;
}

/** RTP ports (RTP_PORT_START, RTP_PORTS): 2 per channel with media, on SIP_BIND. */
function rtpConf(config: Config): string {
  const { start, end } = config.capacity.rtp;
  return `${header('rtp.conf')}[general]
; ${end - start + 1} ports: 2 per channel with media (RTP and RTCP), up to 2 channels a call (the caller and
; an agent's phone), for HOTLINE_MAX_CALLS ${config.capacity.maxCalls}. Past the range every new caller gets 488.
rtpstart = ${start}
rtpend = ${end}
; No ICE: SIP callers, phones and trunks here negotiate plain RTP (pjsip.conf sets no ice_support).
; With it on, every RTP instance builds an ICE session and gathers host candidates for nothing.
icesupport = no
`;
}

/**
 * No call detail records: the controller's event log (N14) is the record of every call, and no
 * CDR backend is loaded. With CDRs on (Asterisk's default), the core still builds one for every
 * channel from its every state change, and discards it.
 */
function cdrConf(): string {
  return `${header('cdr.conf')}[general]
enable = no
`;
}

/**
 * The entry dialplan. Stasis() fails at once while the controller is not connected: the entry
 * then rings and tries the application again every half second while the ring budget allows
 * (a controller restarting takes its callers back), and only then falls back: it answers inside
 * the ring budget, apologises and ends or routes the call as the flow file's `unavailable`
 * section says, so no caller rings forever.
 */
function extensionsConf(config: Config, flow: Flow, check: Checker): string {
  return `${header('extensions.conf: the hotline entry; the call flow itself is dialplans/*.yaml')}[general]
static = yes
writeprotect = yes

${entryContextChecked(INBOUND_CONTEXT, config.ari.app, flow, check)}
; Any other number dialled here is not a hotline number.
exten => _X.,1,Congestion(5)
 same => n,Hangup()

; Callbacks (N8): a callee who answered is listened to by AMD() before the flow runs (issue 9).
${amdContext()}
; Site-specific contexts (e.g. agent phones reached through Local channels) go in
; extensions_local.conf next to this file: it is kept across regenerations.
#tryinclude extensions_local.conf

; The load bench's entries (npm run bench:load), there only while it runs. A file rather than
; extensions added with the CLI: its entry keeps its labels (a caller the controller sheds goes
; back to \`${SHED_LABEL}\`), and a dialplan reload keeps them.
#tryinclude ${BENCH_DIALPLAN_FILE}
`;
}

/**
 * The file the load bench (bench/load/install-dialplan.ts) writes next to extensions.conf while
 * it runs and deletes at its end; absent, the include is skipped.
 */
export const BENCH_DIALPLAN_FILE = 'extensions_bench.conf';

/**
 * One entry context: the hotline number handed to the ARI application `app`, with the fallback.
 * Exported so that other entries to other applications (the end-to-end tests run one
 * controller per lane on one Asterisk) behave exactly like the generated one; a value that
 * cannot be written safely throws AsteriskConfigError.
 */
export function entryContext(context: string, app: string, flow: Flow): string {
  const check = new Checker();
  const text = entryContextChecked(context, app, flow, check);
  if (check.problems.length > 0) throw new AsteriskConfigError(check.problems);
  return text;
}

/**
 * The channel variable that counts the half-seconds (STASIS_RETRY_MS) a call has rung in the
 * entry dialplan: the dialplan has no clock in milliseconds, so the ring budget is counted in
 * steps (see fallbackPlan).
 */
export const WAITED_VARIABLE = 'HOTLINE_WAITED';

/**
 * Where the controller sends a caller it sheds (issue 12: overload, src/overload/shed-call.ts):
 * the entry rings on to the same answer time and plays the flow's `overload.prompt`.
 */
export const SHED_LABEL = 'shed';

/** Seconds as Wait() takes them. */
const seconds = (ms: number) => String(ms / 1000);

function entryContextChecked(context: string, app: string, flow: Flow, check: Checker): string {
  const { unavailable } = flow;
  const number = check.text('hotline.number (flow file)', flow.hotline.number, 'name');
  const language = check.text('hotline.language (flow file)', flow.hotline.language, 'name');
  const prompt = `${language}/${check.text('unavailable.prompt (flow file)', unavailable.prompt, 'name')}`;
  const busy = `${language}/${check.text('overload.prompt (flow file)', flow.overload.prompt, 'name')}`;
  const appName = check.text('ARI_APP', app, 'name');
  const plan: FallbackPlan = fallbackPlan(flow.ring);
  const shed: FallbackPlan = shedPlan(flow.ring);
  const waited = `\${${WAITED_VARIABLE}}`;
  const route =
    unavailable.then === 'hangup'
      ? ' same => n,Hangup()'
      : ` same => n,Dial(${check.text('unavailable.then.dial (flow file)', unavailable.then.dial, 'dial')},${unavailable.then.timeoutS})\n same => n,Hangup()`;
  return `[${check.text('context', context, 'name')}]
exten => ${number},1,NoOp(hotline call)
 ; N3: talk detection from the first moment, with the flow's thresholds (set here, not over
 ; ARI, so it is on before the controller sees the call and survives a controller restart).
 same => n,Set(TALK_DETECT(set)=${flow.voice.silenceMs},${flow.voice.talkMs})
 same => n,Set(${WAITED_VARIABLE}=0)
 ; The argument tells the controller that talk detection is on already (channel-role.ts).
 same => n(stasis),Stasis(${appName},${INBOUND_TALK_DETECT_ARG})
 same => n,GotoIf($["\${STASISSTATUS}" = "FAILED"]?retry)
 same => n,Hangup()
 ; No controller connected (restarting, or down): ring, and try again every ${seconds(plan.retryEveryMs)} s until
 ; ${seconds(plan.answerAtMs)} s after the call came in (the flow's answer time, inside the ring budget; N1).
 ; The controller measures the answer delay from the channel's creation, so a call it takes here
 ; is still answered on time.
 same => n(retry),GotoIf($[${waited} >= ${plan.retries}]?unavailable)
 same => n,GotoIf($[${waited} > 0]?again)
 same => n,Ringing()
 same => n(again),Set(${WAITED_VARIABLE}=$[${waited} + 1])
 same => n,Wait(${seconds(plan.retryEveryMs)})
 same => n,Goto(stasis)
 same => n(unavailable),Wait(${seconds(plan.remainderMs)})
 same => n,Answer()
 same => n,Playback(hotline/${prompt})
${route}
 ; Shed by the controller (issue 12: more calls than HOTLINE_MAX_CALLS, or the controller lagging):
 ; it sends the call here as soon as it sees it. Ring on to the flow's answer time (${seconds(shed.answerAtMs)} s), then apologise.
 same => n(${SHED_LABEL}),${shed.answerAtMs > 0 ? 'Ringing()' : 'NoOp(the flow answers at once: no ringback)'}
 same => n(shedwait),GotoIf($[${waited} >= ${shed.retries}]?shedanswer)
 same => n,Set(${WAITED_VARIABLE}=$[${waited} + 1])
 same => n,Wait(${seconds(shed.retryEveryMs)})
 same => n,Goto(shedwait)
 same => n(shedanswer),Wait(${seconds(shed.remainderMs)})
 same => n,Answer()
 same => n,Playback(hotline/${busy})
${route}
`;
}

/** Every file, or an AsteriskConfigError naming each value that cannot be written safely. */
export function renderAsteriskConfig(config: Config, flow: Flow): AsteriskFiles {
  const check = new Checker();
  const files = {
    'asterisk.conf': asteriskConf(),
    'modules.conf': modulesConf(),
    'logger.conf': loggerConf(),
    'http.conf': httpConf(config, check),
    'ari.conf': ariConf(config, check),
    'manager.conf': managerConf(config, check),
    'musiconhold.conf': musiconholdConf(),
    'pjsip.conf': pjsipConf(config, check),
    'rtp.conf': rtpConf(config),
    'cdr.conf': cdrConf(),
    'extensions.conf': extensionsConf(config, flow, check),
    'amd.conf': amdConf(flow),
  };
  if (check.problems.length > 0) throw new AsteriskConfigError(check.problems);
  return files;
}
