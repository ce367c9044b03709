// The generated Asterisk configuration (issue 10, finding 6): an allow-list of modules, an AMI
// user that only reads, and no value that Asterisk's config parser would misread.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AMI_EVENTS } from '../../src/ami/ami-events.js';
import {
  AMI_READ,
  ASTERISK_MODULES,
  AsteriskConfigError,
  BENCH_DIALPLAN_FILE,
  renderAsteriskConfig,
} from '../../src/asterisk/render-config.js';
import { loadConfig, type Config } from '../../src/config/env.js';
import { loadFlow } from '../../src/flow/load-flow.js';
import { loadCatalogue } from '../../src/prompts/catalogue.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const flow = loadFlow(`${root}dialplans/hotline.yaml`, loadCatalogue(`${root}prompts/catalogue.yaml`).ids);

const ENV = {
  ARI_URL: 'http://127.0.0.1:8088',
  ARI_USER: 'hotline',
  ARI_PASSWORD: 'ari-password-123',
  AMI_USER: 'hotline-ami',
  AMI_SECRET: 'ami-secret-456',
  API_TOKEN: 'a-token-of-24-characters',
};
const config = loadConfig(ENV);
const files = renderAsteriskConfig(config, flow);
const file = (name: string) => files[name] ?? '';

/** `key = value` / `key => value` lines of a section, comments dropped. */
function settings(text: string, section: string): [string, string][] {
  const out: [string, string][] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/;.*$/, '').trim();
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) current = header[1] ?? '';
    else if (current === section && line.includes('=')) {
      const [key = '', ...rest] = line.split(/=>?/);
      out.push([key.trim(), rest.join('=').replace(/^>/, '').trim()]);
    }
  }
  return out;
}

/** A Config that never went through loadConfig: the renderer must check on its own. */
const unchecked = (patch: { ari?: Partial<Config['ari']>; ami?: Partial<Config['ami']>; sip?: Partial<Config['sip']> }): Config => ({
  ...config,
  ari: { ...config.ari, ...patch.ari },
  ami: { ...config.ami, ...patch.ami },
  sip: { ...config.sip, ...patch.sip },
});

function refusal(render: () => unknown): string[] {
  try {
    render();
  } catch (e) {
    if (e instanceof AsteriskConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected an AsteriskConfigError');
}

describe('modules.conf: an allow-list', () => {
  it('autoload is off and exactly the allow-listed modules are loaded, each with its reason', () => {
    const modules = settings(file('modules.conf'), 'modules');
    expect(modules[0]).toEqual(['autoload', 'no']);
    expect(modules.slice(1).map(([k]) => k).every((k) => k === 'load')).toBe(true);
    expect(modules.slice(1).map(([, v]) => v)).toEqual(Object.keys(ASTERISK_MODULES));
    expect(file('modules.conf')).not.toMatch(/noload|preload|autoload = yes/);
    for (const line of file('modules.conf').split('\n').filter((l) => l.startsWith('load =>'))) {
      expect(line).toMatch(/^load => [a-z0-9_]+\.so ; \S/);
    }
  });

  it('holds what ARI, Stasis, PJSIP over UDP, RTP, hold music, bridges and talk detection need', () => {
    const allowed = Object.keys(ASTERISK_MODULES);
    for (const m of [
      'pbx_config.so', 'app_stasis.so', 'res_stasis.so', 'res_ari.so', 'res_ari_channels.so', 'res_ari_bridges.so',
      'res_ari_events.so', 'res_http_websocket.so', 'res_stasis_playback.so', 'chan_pjsip.so', 'res_pjsip.so',
      'res_pjsip_session.so', 'res_pjsip_sdp_rtp.so', 'res_pjsip_endpoint_identifier_ip.so', 'res_rtp_asterisk.so',
      'res_musiconhold.so', 'bridge_simple.so', 'bridge_softmix.so', 'func_talkdetect.so', 'codec_ulaw.so',
      'codec_alaw.so', 'codec_resample.so', 'format_wav.so', 'format_pcm.so', 'format_sln.so', 'res_timing_timerfd.so',
    ]) {
      expect(allowed).toContain(m);
    }
  });

  it('holds nothing that listens elsewhere or runs commands', () => {
    const allowed = Object.keys(ASTERISK_MODULES);
    for (const m of [
      'chan_iax2.so', 'chan_websocket.so', 'chan_audiosocket.so', 'res_pjsip_transport_websocket.so', 'pbx_dundi.so',
      'res_hep.so', 'res_phoneprov.so', 'res_prometheus.so', 'res_xmpp.so', 'res_snmp.so', 'res_agi.so',
      'app_system.so', 'func_shell.so', 'func_curl.so', 'func_odbc.so', 'res_http_post.so', 'pbx_lua.so', 'pbx_ael.so',
    ]) {
      expect(allowed).not.toContain(m);
    }
  });

  it('every dialplan application of the generated and the test dialplans is built in or allow-listed', () => {
    // The core's own applications need no module; the rest name theirs.
    const builtin = new Set(['Answer', 'Busy', 'Congestion', 'Goto', 'GotoIf', 'Hangup', 'NoOp', 'Ringing', 'Set', 'Wait']);
    const moduleOf: Record<string, string> = {
      Stasis: 'app_stasis.so',
      Playback: 'app_playback.so',
      Dial: 'app_dial.so',
      SendDTMF: 'app_senddtmf.so',
      AMD: 'app_amd.so',
    };
    const withDial = renderAsteriskConfig(config, {
      ...flow,
      unavailable: { ...flow.unavailable, then: { dial: 'PJSIP/1001', timeoutS: 30 } },
    })['extensions.conf'];
    const dialplans = [withDial ?? '', readFileSync(`${root}test/fixtures/asterisk/extensions_local.conf`, 'utf8')];
    const apps = new Set<string>();
    for (const text of dialplans) {
      for (const m of text.matchAll(/^\s*(?:exten|same)\s*=>\s*[^,]+,[^,]+,([A-Za-z]+)\(/gm)) apps.add(m[1] ?? '');
    }
    expect(apps.size).toBeGreaterThan(5);
    for (const app of apps) {
      if (builtin.has(app)) continue;
      expect(moduleOf[app], `${app}(): add its module to ASTERISK_MODULES and to this table`).toBeDefined();
      expect(Object.keys(ASTERISK_MODULES)).toContain(moduleOf[app]);
    }
    expect(file('extensions.conf')).toContain('TALK_DETECT(set)');
    expect(Object.keys(ASTERISK_MODULES)).toContain('func_talkdetect.so');
  });
});

describe('manager.conf: the AMI user only reads', () => {
  it('reads system and call (FullyBooted, Shutdown, Hangup) and writes nothing', () => {
    const user = settings(file('manager.conf'), 'hotline-ami');
    expect(user).toEqual([
      ['secret', 'ami-secret-456'],
      ['deny', '0.0.0.0/0.0.0.0'],
      ['deny', '::/0'],
      ['permit', '127.0.0.1/255.255.255.255'],
      ['read', 'system,call'],
      ...AMI_EVENTS.map((name): [string, string] => [`eventfilter(action(include),name(${name}))`, '']),
    ]);
    expect(AMI_READ).toBe('system,call');
    expect(file('manager.conf')).not.toMatch(/^\s*write\s*=/m);
    expect(settings(file('manager.conf'), 'general')).toEqual([
      ['enabled', 'yes'],
      ['webenabled', 'no'],
      ['port', '5038'],
      ['bindaddr', '127.0.0.1'],
    ]);
  });

  it('asks Asterisk for exactly the events the monitor reads, by name, so no other event of its classes reaches the controller', () => {
    const monitor = readFileSync(`${root}src/ami/ami-monitor.ts`, 'utf8');
    const read = new Set([...monitor.matchAll(/\bis\('(\w+)'\)/g)].map((m) => m[1]));
    // Every event the monitor branches on goes through is(), typed to AMI_EVENTS.
    expect(monitor.match(/event\.event\b/g)).toHaveLength(1);
    expect([...read].sort()).toEqual([...AMI_EVENTS].sort());
    const filters = settings(file('manager.conf'), 'hotline-ami')
      .filter(([key]) => key.startsWith('eventfilter'))
      .map(([key, value]) => [/^eventfilter\(action\(include\),name\((\w+)\)\)$/.exec(key)?.[1], value]);
    expect(filters).toEqual(['FullyBooted', 'Shutdown', 'Hangup', 'HangupRequest', 'SoftHangupRequest'].map((name) => [name, '']));
  });

  it('a list of permits becomes one permit line each', () => {
    const text = renderAsteriskConfig(loadConfig({ ...ENV, AMI_PERMIT: '10.0.0.5/32,192.168.1.0/255.255.255.0' }), flow)['manager.conf'];
    expect(settings(text ?? '', 'hotline-ami').filter(([k]) => k === 'permit')).toEqual([
      ['permit', '10.0.0.5/32'],
      ['permit', '192.168.1.0/255.255.255.0'],
    ]);
  });
});

describe('credentials and addresses are checked where they are written', () => {
  it('issue 10: ARI_PASSWORD="abc;defghij" is refused, not written as "abc" and a comment', () => {
    expect(refusal(() => renderAsteriskConfig(unchecked({ ari: { password: 'abc;defghij' } }), flow))).toEqual([
      'ARI_PASSWORD must not contain ";" (starts a comment in Asterisk\'s configuration files); use letters, digits and !$%&()*+,-./:<>?@^_{|}~',
    ]);
  });

  it('issue 10: a line break in AMI_SECRET cannot inject a [section] into manager.conf', () => {
    const problems = refusal(() => renderAsteriskConfig(unchecked({ ami: { secret: 'secret-1\n[admin]\nread=all' } }), flow));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^AMI_SECRET must not contain a line break \(U\+000A/);
  });

  it('every problem is listed at once: users, hosts, permits and the flow\'s dial string', () => {
    const problems = refusal(() =>
      renderAsteriskConfig(
        unchecked({ ari: { user: 'general' }, ami: { user: 'a]b', host: '127.0.0.1;', permit: '0.0.0.0/0\npermit=x' }, sip: { bind: '1.2.3.4 ' } }),
        { ...flow, unavailable: { ...flow.unavailable, then: { dial: 'PJSIP/1001,30,U(evil)', timeoutS: 30 } } },
      ),
    );
    expect(problems).toEqual([
      'ARI_USER must not be "general": that is the name of ari.conf\'s own [general] section',
      'AMI_HOST must not contain ";" (starts a comment in Asterisk\'s configuration files); use letters, digits, ".", ":", "/", "," and "-"',
      'AMI_USER must not contain "]" (closes a section header); use letters, digits, ".", "_" and "-"',
      'AMI_PERMIT must not contain a line break (U+000A: it would start a new line of the configuration file), "=" (ends a setting\'s name); use letters, digits, ".", ":", "/", "," and "-"',
      'SIP_BIND must not contain a space (Asterisk trims or splits values at blanks); use letters, digits, ".", ":", "/", "," and "-"',
      'unavailable.then.dial (flow file) must not contain "," (separates arguments and list items), "(" (opens a template or an argument list), ")" (closes a template or an argument list); use letters, digits and /@&._:+*#-',
    ]);
  });

  it('every line of every generated file is a comment, a section, a directive or one setting', () => {
    const line = /^(|;.*|\[[A-Za-z0-9._-]+\]|#tryinclude [a-z_]+\.conf|[A-Za-z0-9_.]+ =>? [^;\n]*?( ; [^\n]*)?|exten => .*| same => .*|\s+; .*|eventfilter\(action\(include\),name\([A-Za-z]+\)\) =)$/;
    for (const [name, text] of Object.entries(files)) {
      for (const l of text.split('\n')) expect(line.test(l), `${name}: ${JSON.stringify(l)}`).toBe(true);
    }
  });
});

describe('extensions.conf: the included files', () => {
  it("ends with the site's extensions_local.conf, then the load bench's file: whole contexts after everything generated", () => {
    const text = file('extensions.conf');
    const directives = text.split('\n').filter((l) => l.startsWith('#'));
    expect(directives).toEqual(['#tryinclude extensions_local.conf', `#tryinclude ${BENCH_DIALPLAN_FILE}`]);
    // Nothing generated after it: a line there would land in the included file's last context.
    expect(text.trimEnd().endsWith(`#tryinclude ${BENCH_DIALPLAN_FILE}`)).toBe(true);
    // Not a *_local.conf, which docker/sandbox.sh up keeps: a file left by a killed bench goes with the next regeneration.
    expect(BENCH_DIALPLAN_FILE).not.toMatch(/_local\.conf$/);
  });
});

describe('addresses', () => {
  it('loopback by default, with RTP in its range', () => {
    expect(settings(file('http.conf'), 'general')).toEqual([
      ['enabled', 'yes'],
      ['bindaddr', '127.0.0.1'],
      ['bindport', '8088'],
      ['sessionlimit', '300'],
    ]);
    expect(settings(file('pjsip.conf'), 'transport-udp')).toContainEqual(['bind', '127.0.0.1:5060']);
    // Issue 12: a controller that has not read for 100 ms (Asterisk's default) is not dead.
    expect(settings(file('ari.conf'), 'general')).toContainEqual(['websocket_write_timeout', '1000']);
    expect(settings(file('rtp.conf'), 'general')).toEqual([
      ['rtpstart', '10000'],
      ['rtpend', '10999'],
      // No endpoint negotiates ICE: no ICE session built for every RTP instance.
      ['icesupport', 'no'],
    ]);
  });

  it('no call detail records: the event log is the record (N14), and Asterisk builds none to discard', () => {
    expect(settings(file('cdr.conf'), 'general')).toEqual([['enable', 'no']]);
    expect(file('modules.conf')).not.toMatch(/cdr_/);
  });

  it('IPv6: pjsip.conf brackets the transport address, http.conf takes the bare one', () => {
    const v6 = renderAsteriskConfig(loadConfig({ ...ENV, ARI_URL: 'http://[::1]:8088', SIP_BIND: '::1', AMI_HOST: '::1' }), flow);
    expect(settings(v6['pjsip.conf'] ?? '', 'transport-udp')).toContainEqual(['bind', '[::1]:5060']);
    expect(settings(v6['pjsip.conf'] ?? '', 'callers')).toContainEqual(['media_address', '::1']);
    expect(settings(v6['http.conf'] ?? '', 'general')).toContainEqual(['bindaddr', '::1']);
    expect(settings(v6['manager.conf'] ?? '', 'general')).toContainEqual(['bindaddr', '::1']);
  });
});
