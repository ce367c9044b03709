// Security, end to end: the real sandbox Asterisk listens on nothing but the configured
// addresses and runs nothing but the modules of the allow-list (src/asterisk/render-config.ts).
//
// One exception is allowed and named, not hidden: pjproject's DNS resolver, which res_pjsip
// creates from the system's nameservers, holds a UDP socket per address family bound to the
// wildcard address on an ephemeral port. pjsip.conf has no setting to bind it elsewhere; it
// accepts datagrams from any host (pjlib matches a DNS answer by its query id only). The test
// allows at most one such socket per family, on a port of the kernel's ephemeral range, and
// nothing else on a wildcard address (README "Security").
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ASTERISK_MODULES } from '../../src/asterisk/render-config.js';
import { isUnspecifiedAddress, stripBrackets } from '../../src/config/addresses.js';
import { loadConfig, readEnvironment } from '../../src/config/env.js';

const CACHE = process.env.HOTLINE_SANDBOX_CACHE ?? '/var/cache/hotline-sandbox';
const ROOT = `${CACHE}/root`;

const ast = (command: string): string =>
  execFileSync('chroot', [ROOT, 'asterisk', '-rx', command], { encoding: 'utf8' });

interface Socket {
  proto: string;
  address: string;
  port: number;
}

const show = (s: Socket) => `${s.proto} ${s.address.includes(':') ? `[${s.address}]` : s.address}:${s.port}`;

function asteriskPid(): number {
  const pid = Number(readFileSync(`${CACHE}/run/asterisk.pid`, 'utf8').trim());
  process.kill(pid, 0); // throws if the sandbox's Asterisk is not running
  return pid;
}

/** Listening TCP and bound (unconnected) UDP sockets of one process, from `ss -lntup`. */
function listeningSockets(pid: number): Socket[] {
  const out = execFileSync('ss', ['-H', '-lntup'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => {
      // Netid State Recv-Q Send-Q Local:Port Peer:Port Process
      const [proto = '', , , , local = ''] = line.trim().split(/\s+/);
      const colon = local.lastIndexOf(':');
      // `*` is ss's way of writing a dual-stack wildcard; `%lo` an interface scope.
      const host = stripBrackets(local.slice(0, colon)).replace(/%.*$/, '');
      return { proto, address: host === '*' ? '::' : host, port: Number(local.slice(colon + 1)) };
    });
}

function activeChannels(): number {
  const match = /(\d+) active channels?/.exec(ast('core show channels count'));
  if (!match) throw new Error('could not read the channel count from "core show channels count"');
  return Number(match[1]);
}

function ephemeralPortStart(): number {
  return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
}

describe('Asterisk exposes only what is configured', () => {
  const config = loadConfig(readEnvironment());
  const ari = new URL(config.ari.url);
  const configured: Socket[] = [
    { proto: 'tcp', address: stripBrackets(ari.hostname), port: Number(ari.port || 8088) },
    { proto: 'tcp', address: config.ami.host, port: config.ami.port },
    { proto: 'udp', address: config.sip.bind, port: config.sip.port },
  ];

  it('listens on HTTP/ARI, AMI and SIP at their configured addresses, RTP only during calls, and nothing else but the resolver sockets', () => {
    const pid = asteriskPid();
    const before = activeChannels();
    const sockets = listeningSockets(pid);
    const callsUp = before > 0 || activeChannels() > 0;

    // Every configured listener is there, at its address.
    for (const want of configured) expect(sockets.map(show)).toContain(show(want));

    const ephemeral = ephemeralPortStart();
    const isConfigured = (s: Socket) => configured.some((c) => show(c) === show(s));
    const isRtp = (s: Socket) =>
      s.proto === 'udp' && s.address === config.sip.bind && s.port >= config.capacity.rtp.start && s.port <= config.capacity.rtp.end;
    const isResolver = (s: Socket) => s.proto === 'udp' && isUnspecifiedAddress(s.address) && s.port >= ephemeral;

    const rtp = sockets.filter(isRtp);
    const resolver = sockets.filter(isResolver);
    const unexpected = sockets.filter((s) => !isConfigured(s) && !isRtp(s) && !isResolver(s));
    expect(unexpected.map(show), 'sockets nobody configured').toEqual([]);
    // RTP ports belong to calls: none while no channel is up.
    if (!callsUp) expect(rtp.map(show), `RTP sockets with no call up`).toEqual([]);
    // The resolver: at most one wildcard socket per address family.
    const v4 = resolver.filter((s) => !s.address.includes(':'));
    const v6 = resolver.filter((s) => s.address.includes(':'));
    expect(v4.length, `IPv4 wildcard sockets: ${v4.map(show).join(', ')}`).toBeLessThanOrEqual(1);
    expect(v6.length, `IPv6 wildcard sockets: ${v6.map(show).join(', ')}`).toBeLessThanOrEqual(1);
    console.info(
      `asterisk ${pid} listens on ${sockets.filter(isConfigured).map(show).join(', ')}; ` +
        `pjproject resolver: ${resolver.map(show).join(', ') || 'none'}; RTP: ${rtp.length} (channels: ${before})`,
    );
  });

  it('loads only the modules of the allow-list, and every one of them runs', () => {
    // Rows of `module show`: "res_pjsip.so   Basic SIP resource   3   Running   core". Rows
    // without ".so" are the core's built-in parts (acl, http, manager, ...), not modules.
    const rows = ast('module show')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /^\S+\.so\s/.test(line));
    const loaded = rows.map((line) => line.split(/\s+/)[0] ?? '');
    const running = rows.filter((line) => /\sRunning\s/.test(` ${line} `) && !/\sNot Running\s/.test(line));
    const allowed = Object.keys(ASTERISK_MODULES);

    expect(loaded.filter((m) => !allowed.includes(m)), 'modules outside the allow-list').toEqual([]);
    const runningNames = running.map((line) => line.split(/\s+/)[0]);
    expect(allowed.filter((m) => !runningNames.includes(m)), 'allow-listed modules that are not running').toEqual([]);
  });
});
