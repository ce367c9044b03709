// Addresses in the settings: what counts as an IP address, a host name or a network, and which
// of them mean "every interface" or "everyone". env.ts validates with these; exposure.ts warns.
import { isIPv4, isIPv6 } from 'node:net';

const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** `[::1]` (a URL's host) → `::1`; anything else unchanged. */
export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function isIp(value: string): boolean {
  return isIPv4(value) || isIPv6(value);
}

/** A DNS host name (RFC 1123 labels); an all-numeric name must be a dotted-quad IPv4 address. */
export function isHostName(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  if (/^[0-9.]+$/.test(value)) return isIPv4(value);
  return value.split('.').every((label) => LABEL.test(label));
}

export function isHost(value: string): boolean {
  return isIp(value) || isHostName(value);
}

export interface Network {
  address: string;
  /** The prefix length: from `/24` or from a dotted mask `/255.255.255.0`; the full length without one. */
  prefix: number;
}

/** `10.0.0.0/8`, `10.0.0.0/255.0.0.0`, `::1/128` or a bare address; undefined if none of these. */
export function parseNetwork(value: string): Network | undefined {
  const slash = value.indexOf('/');
  const address = slash < 0 ? value : value.slice(0, slash);
  const mask = slash < 0 ? undefined : value.slice(slash + 1);
  const bits = isIPv4(address) ? 32 : isIPv6(address) ? 128 : 0;
  if (bits === 0) return undefined;
  if (mask === undefined) return { address, prefix: bits };
  if (/^[0-9]{1,3}$/.test(mask)) {
    const prefix = Number(mask);
    return prefix <= bits ? { address, prefix } : undefined;
  }
  if (bits === 32 && isIPv4(mask)) {
    const binary = mask
      .split('.')
      .map((o) => Number(o).toString(2).padStart(8, '0'))
      .join('');
    // A netmask is ones then zeros.
    return /^1*0*$/.test(binary) ? { address, prefix: binary.indexOf('0') < 0 ? 32 : binary.indexOf('0') } : undefined;
  }
  return undefined;
}

/** 0.0.0.0 or :: (in any spelling, with or without brackets): bound to every interface. */
export function isUnspecifiedAddress(host: string): boolean {
  const bare = stripBrackets(host);
  if (isIPv4(bare)) return bare.split('.').every((octet) => Number(octet) === 0);
  if (isIPv6(bare)) return new URL(`http://[${bare}]/`).hostname === '[::]';
  return false;
}

/** A network that holds every address (`/0`). */
export function isEveryone(entry: string): boolean {
  const network = parseNetwork(entry.trim());
  return network !== undefined && network.prefix === 0;
}

/** The items of a comma-separated list, trimmed. */
export function listItems(value: string): string[] {
  return value.split(',').map((item) => item.trim());
}
