// Asterisk's configuration, generated from the controller's config and the flow file, so the
// two can never disagree on a password, a port or the hotline number. Everything listens on
// the configured loopback address, Asterisk loads only the modules listed below, the AMI user
// may only read the events the controller uses, and every value is checked again where it is
// written (config-text.ts): a `;` or a line break cannot reach a file.
import { INBOUND_TALK_DETECT_ARG } from '../ari/channel-role.js';
import { isIPv6 } from 'node:net';
import { listItems, stripBrackets } from '../config/addresses.js';
import { configTextProblem, type TextKind, userSectionProblem } from '../config/config-text.js';
import type { Config } from '../config/env.js';
import { limitMs } from '../flow/ring-budget.js';
import type { Flow } from '../flow/schema.js';

export type AsteriskFiles = Record<string, string>;

export const INBOUND_CONTEXT = 'hotline-inbound';

/** RTP ports (rtp.conf): one pair per call with media, on SIP_BIND. */
export const RTP_PORTS = { start: 10000, end: 10999 } as const;

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
`;
}

function ariConf(config: Config, check: Checker): string {
  return `${header('ari.conf')}[general]
enabled = yes
pretty = no

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

function rtpConf(): string {
  return `${header('rtp.conf')}[general]
rtpstart = ${RTP_PORTS.start}
rtpend = ${RTP_PORTS.end}
`;
}

/**
 * The entry dialplan. Stasis() fails at once while the controller is not connected: the
 * fallback then still rings, answers inside the ring budget, apologises and ends or routes
 * the call as the flow file's `unavailable` section says, so no caller rings forever.
 */
function extensionsConf(config: Config, flow: Flow, check: Checker): string {
  return `${header('extensions.conf: the hotline entry; the call flow itself is dialplans/*.yaml')}[general]
static = yes
writeprotect = yes

${entryContextChecked(INBOUND_CONTEXT, config.ari.app, flow, check)}
; Any other number dialled here is not a hotline number.
exten => _X.,1,Congestion(5)
 same => n,Hangup()

; Site-specific contexts (e.g. agent phones reached through Local channels) go in
; extensions_local.conf next to this file: it is kept across regenerations.
#tryinclude extensions_local.conf
`;
}

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

function entryContextChecked(context: string, app: string, flow: Flow, check: Checker): string {
  const { ring, unavailable } = flow;
  const number = check.text('hotline.number (flow file)', flow.hotline.number, 'name');
  const prompt = `${check.text('hotline.language (flow file)', flow.hotline.language, 'name')}/${check.text('unavailable.prompt (flow file)', unavailable.prompt, 'name')}`;
  const appName = check.text('ARI_APP', app, 'name');
  const cycle = ring.cadence.onMs + ring.cadence.offMs;
  // Ring as the controller would, but never past the budget's limit.
  const waitS = (Math.min(ring.answerAfterRings * cycle, limitMs(ring) - 500) / 1000).toFixed(1);
  const route =
    unavailable.then === 'hangup'
      ? ' same => n,Hangup()'
      : ` same => n,Dial(${check.text('unavailable.then.dial (flow file)', unavailable.then.dial, 'dial')},${unavailable.then.timeoutS})\n same => n,Hangup()`;
  return `[${check.text('context', context, 'name')}]
exten => ${number},1,NoOp(hotline call)
 ; N3: talk detection from the first moment, with the flow's thresholds (set here, not over
 ; ARI, so it is on before the controller sees the call and survives a controller restart).
 same => n,Set(TALK_DETECT(set)=${flow.voice.silenceMs},${flow.voice.talkMs})
 ; The argument tells the controller that talk detection is on already (channel-role.ts).
 same => n,Stasis(${appName},${INBOUND_TALK_DETECT_ARG})
 same => n,GotoIf($["\${STASISSTATUS}" = "FAILED"]?unavailable)
 same => n,Hangup()
 same => n(unavailable),Ringing()
 same => n,Wait(${waitS})
 same => n,Answer()
 same => n,Playback(hotline/${prompt})
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
    'rtp.conf': rtpConf(),
    'extensions.conf': extensionsConf(config, flow, check),
  };
  if (check.problems.length > 0) throw new AsteriskConfigError(check.problems);
  return files;
}
