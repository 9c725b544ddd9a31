/**
 * Who the client is, from the socket's peer address and — only when that peer is a reverse proxy
 * listed in ARBITER_TRUSTED_PROXIES — the X-Forwarded-* headers it adds. The web server
 * (scripts/web-server.ts) rewrites every request's forwarding headers with `forwardingHeaders`
 * before Next sees it, so route handlers and better-auth (which reads X-Forwarded-For for its
 * per-IP sign-in limit and for the address a session records) get one trustworthy value.
 *
 * Without a trusted proxy, a client-sent X-Forwarded-For is a lie the client chose: honouring it let
 * anyone rotate the header to dodge the per-IP limit (OWASP Authentication Cheat Sheet, "Login
 * Throttling"; MDN X-Forwarded-For, "Security and privacy concerns": use the right-most address
 * added by a proxy you trust, never the left-most).
 */
import net from 'node:net';

/** One parsed ARBITER_TRUSTED_PROXIES entry: an address family, its network bytes and prefix length. */
type Network = { bytes: Uint8Array; prefix: number };

export type TrustedProxies = { readonly networks: readonly Network[]; readonly source: string };

export const NO_TRUSTED_PROXIES: TrustedProxies = { networks: [], source: '' };

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is the IPv4 address it carries. */
const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The canonical text of an IP address: IPv4-mapped IPv6 as plain IPv4, brackets and an IPv6 zone
 * (fe80::1%eth0) removed, lower case. Null when it is not an IP address.
 */
export function normalizeAddress(value: string): string | null {
  let text = value.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const mapped = MAPPED_IPV4.exec(text);
  if (mapped && net.isIPv4(mapped[1]!)) return mapped[1]!;
  if (net.isIPv4(text)) return text;
  if (!net.isIPv6(text)) return null;
  const bytes = ipv6Bytes(text);
  // ::ffff:7f00:1 is the same mapped address written in hex groups.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return Array.from(bytes.slice(12)).join('.');
  return text.toLowerCase();
}

function ipv4Bytes(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map(Number));
}

/** The 16 bytes of a valid IPv6 address (net.isIPv6 already said it is one); an embedded IPv4 tail is allowed. */
function ipv6Bytes(text: string): Uint8Array {
  let groups = text.toLowerCase();
  const tail = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(groups);
  if (tail) {
    const [a, b, c, d] = ipv4Bytes(tail[1]!);
    groups = `${groups.slice(0, -tail[1]!.length)}${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [left, right] = groups.includes('::') ? groups.split('::') : [groups, undefined];
  const head = left ? left.split(':') : [];
  const rest = right === undefined ? [] : right ? right.split(':') : [];
  const words = right === undefined ? head : [...head, ...Array<string>(8 - head.length - rest.length).fill('0'), ...rest];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    const n = Number.parseInt(word, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  });
  return bytes;
}

function addressBytes(normalized: string): Uint8Array {
  return net.isIPv4(normalized) ? ipv4Bytes(normalized) : ipv6Bytes(normalized);
}

/**
 * Parses ARBITER_TRUSTED_PROXIES: comma-separated IP addresses or CIDR ranges ("127.0.0.1,
 * 10.0.0.0/8, fd00::/8"). An IPv4-mapped IPv6 entry or range (::ffff:10.0.0.0/104) means its IPv4
 * part. Throws one error naming every entry that is not an address or range (a typo must not
 * silently trust nobody, or everybody). Unset or empty: no proxy is trusted.
 */
export function parseTrustedProxies(spec: string | undefined): TrustedProxies {
  if (!spec || spec.trim() === '') return NO_TRUSTED_PROXIES;
  const networks: Network[] = [];
  const bad: string[] = [];
  for (const entry of spec.split(',').map((e) => e.trim()).filter(Boolean)) {
    const slash = entry.indexOf('/');
    const address = normalizeAddress(slash < 0 ? entry : entry.slice(0, slash));
    const prefixText = slash < 0 ? undefined : entry.slice(slash + 1);
    if (!address || (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText))) {
      bad.push(entry);
      continue;
    }
    const bytes = addressBytes(address);
    const maxBits = bytes.length * 8;
    let prefix = prefixText === undefined ? maxBits : Number(prefixText);
    // A mapped range is written over 128 bits; its IPv4 part is what is left after the 96-bit ::ffff: head.
    const writtenAsIpv6 = (slash < 0 ? entry : entry.slice(0, slash)).includes(':');
    if (writtenAsIpv6 && bytes.length === 4 && prefixText !== undefined) prefix -= 96;
    if (prefix < 0 || prefix > maxBits) {
      bad.push(entry);
      continue;
    }
    networks.push({ bytes, prefix });
  }
  if (bad.length > 0) {
    throw new Error(`ARBITER_TRUSTED_PROXIES: not an IP address or CIDR range: ${bad.join(', ')} (expected e.g. "127.0.0.1,10.0.0.0/8,fd00::/8")`);
  }
  return { networks, source: spec };
}

function inNetwork(bytes: Uint8Array, network: Network): boolean {
  if (bytes.length !== network.bytes.length) return false;
  let bits = network.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i]! & mask) !== (network.bytes[i]! & mask)) return false;
  }
  return true;
}

/** Whether an address (any spelling normalizeAddress accepts) lies in one of the trusted networks. */
export function isTrustedProxy(trusted: TrustedProxies, address: string): boolean {
  const normalized = normalizeAddress(address);
  if (!normalized || trusted.networks.length === 0) return false;
  const bytes = addressBytes(normalized);
  return trusted.networks.some((network) => inNetwork(bytes, network));
}

/** The request headers that say where a request came from; a client can write any of them. */
export const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip'] as const;

export type Forwarding = {
  /** The client's address: the peer, or with a trusted peer the right-most untrusted X-Forwarded-For hop. */
  clientAddress: string;
  /** 'https' only when a trusted proxy says the client used https (or the socket itself is TLS). */
  proto: 'http' | 'https';
  /** The host the client asked for, as a trusted proxy reports it (undefined: use the Host header). */
  host?: string;
};

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** The right-most element of a comma-separated header: the one the nearest proxy wrote. */
function lastToken(value: string | undefined): string | undefined {
  const token = value?.split(',').at(-1)?.trim();
  return token ? token : undefined;
}

/**
 * Who sent this request. An untrusted peer is the client, whatever its headers say. A trusted peer's
 * X-Forwarded-For chain is read from the right, skipping trusted proxies; the first address that is not
 * one is the client (anything left of it was written by that client and proves nothing). When every hop
 * is trusted, the left-most is the client; a hop that is not an IP address stops the walk at the
 * trusted hop to its right. X-Forwarded-Proto and X-Forwarded-Host are taken from a trusted peer only,
 * right-most value (the one that peer wrote).
 */
export function resolveForwarding(peerAddress: string, headers: Record<string, string | string[] | undefined>, trusted: TrustedProxies, socketIsTls = false): Forwarding {
  const peer = normalizeAddress(peerAddress) ?? peerAddress;
  const ownProto = socketIsTls ? 'https' : 'http';
  if (!isTrustedProxy(trusted, peer)) return { clientAddress: peer, proto: ownProto };
  const hops = (headerValue(headers['x-forwarded-for']) ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  let clientAddress = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(hops[i]!);
    if (!hop) break;
    clientAddress = hop;
    if (!isTrustedProxy(trusted, hop)) break;
  }
  const proto = lastToken(headerValue(headers['x-forwarded-proto']))?.toLowerCase();
  const host = lastToken(headerValue(headers['x-forwarded-host']));
  return { clientAddress, proto: proto === 'https' || proto === 'http' ? proto : ownProto, ...(host ? { host } : {}) };
}

/**
 * Rewrites a Node request's headers in place: every forwarding header the client or proxy sent is
 * removed, then X-Forwarded-For (one address: the client), X-Forwarded-Proto and, from a trusted proxy,
 * X-Forwarded-Host are set from `resolveForwarding`. Next keeps values that are present (it fills
 * x-forwarded-* only when absent: base-server.ts, "Update the `x-forwarded-*` headers").
 */
export function applyForwarding(headers: Record<string, string | string[] | undefined>, forwarding: Forwarding): void {
  for (const name of FORWARDING_HEADERS) delete headers[name];
  headers['x-forwarded-for'] = forwarding.clientAddress;
  headers['x-forwarded-proto'] = forwarding.proto;
  if (forwarding.host) headers['x-forwarded-host'] = forwarding.host;
}
