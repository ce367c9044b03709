// Settings that open things up. They are accepted (a container binds to 0.0.0.0 behind ports
// published on loopback; a site may want AMI from its whole LAN), but never silently: the
// controller logs each at start (src/main.ts) and the config renderer prints each
// (src/cli/render-asterisk-config.ts, so docker/sandbox.sh and the Docker image show them).
import { isEveryone, isUnspecifiedAddress, listItems, stripBrackets } from './addresses.js';
import type { Config } from './env.js';

export interface Exposure {
  /** The environment variable that opens something up. */
  setting: string;
  value: string;
  /** One sentence: what is reachable by whom, and what to set instead. */
  message: string;
}

export function exposures(config: Config): Exposure[] {
  const found: Exposure[] = [];
  const everyInterface = (setting: string, value: string, what: string) => {
    if (isUnspecifiedAddress(value)) {
      found.push({
        setting,
        value,
        message: `${setting}=${value} binds ${what} to every network interface, not only loopback: anyone who can reach this host can reach it. Set ${setting} to 127.0.0.1 (or one interface's address) unless a firewall or a container's port mapping limits who can.`,
      });
    }
  };
  const ariUrl = new URL(config.ari.url);
  everyInterface('ARI_URL', stripBrackets(ariUrl.hostname), `Asterisk's HTTP server (ARI, port ${ariUrl.port || '8088'})`);
  everyInterface('AMI_HOST', config.ami.host, `Asterisk's AMI (port ${config.ami.port})`);
  everyInterface('SIP_BIND', config.sip.bind, `Asterisk's SIP transport (UDP ${config.sip.port}) and RTP`);
  everyInterface('HTTP_HOST', config.http.host, `the controller's HTTP API (port ${config.http.port})`);

  if (listItems(config.ami.permit).some(isEveryone)) {
    found.push({
      setting: 'AMI_PERMIT',
      value: config.ami.permit,
      message: `AMI_PERMIT=${config.ami.permit} lets every address log in to AMI (only the secret stands in the way). Set it to the controller's address, e.g. 127.0.0.1/255.255.255.255.`,
    });
  }
  // A bare 0.0.0.0 here matches only itself (identify adds a /32); a /0 network matches all.
  if (listItems(config.sip.match).some(isEveryone)) {
    found.push({
      setting: 'SIP_MATCH',
      value: config.sip.match,
      message: `SIP_MATCH=${config.sip.match} takes SIP from every address as a hotline caller (pjsip.conf identify). Set it to the address your callers' SIP traffic comes from.`,
    });
  }
  return found;
}
