import { describe, expect, it } from 'vitest';
import { applyForwarding, isTrustedProxy, normalizeAddress, parseTrustedProxies, resolveForwarding } from '@/lib/auth/trusted-proxies';

describe('normalizeAddress', () => {
  it('reads IPv4, IPv6, IPv4-mapped IPv6 (both spellings), brackets and zones; rejects the rest', () => {
    expect(normalizeAddress('203.0.113.9')).toBe('203.0.113.9');
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('::FFFF:7f00:1')).toBe('127.0.0.1');
    expect(normalizeAddress('[2001:DB8::1]')).toBe('2001:db8::1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeAddress('not-an-ip')).toBeNull();
    expect(normalizeAddress('256.1.1.1')).toBeNull();
    expect(normalizeAddress('')).toBeNull();
  });
});

describe('parseTrustedProxies / isTrustedProxy', () => {
  it('trusts nobody when unset or empty', () => {
    expect(isTrustedProxy(parseTrustedProxies(undefined), '127.0.0.1')).toBe(false);
    expect(isTrustedProxy(parseTrustedProxies('  '), '127.0.0.1')).toBe(false);
  });

  it('matches single addresses and IPv4 CIDR ranges, including mapped peers', () => {
    const trusted = parseTrustedProxies('127.0.0.1, 10.0.0.0/8,192.168.1.0/25');
    expect(isTrustedProxy(trusted, '127.0.0.1')).toBe(true);
    expect(isTrustedProxy(trusted, '::ffff:127.0.0.1')).toBe(true);
    expect(isTrustedProxy(trusted, '127.0.0.2')).toBe(false);
    expect(isTrustedProxy(trusted, '10.255.3.4')).toBe(true);
    expect(isTrustedProxy(trusted, '11.0.0.1')).toBe(false);
    expect(isTrustedProxy(trusted, '192.168.1.127')).toBe(true);
    expect(isTrustedProxy(trusted, '192.168.1.128')).toBe(false);
    expect(isTrustedProxy(trusted, 'garbage')).toBe(false);
  });

  it('matches IPv6 addresses and ranges at any bit boundary, and a mapped range by its IPv4 part', () => {
    const trusted = parseTrustedProxies('::1,fd00::/8,2001:db8:abcd:12::/63,::ffff:172.16.0.0/108');
    expect(isTrustedProxy(trusted, '::1')).toBe(true);
    expect(isTrustedProxy(trusted, '0:0:0:0:0:0:0:1')).toBe(true);
    expect(isTrustedProxy(trusted, '::2')).toBe(false);
    expect(isTrustedProxy(trusted, 'fdff:1::9')).toBe(true);
    expect(isTrustedProxy(trusted, 'fe00::1')).toBe(false);
    expect(isTrustedProxy(trusted, '2001:db8:abcd:13:ffff::1')).toBe(true);
    expect(isTrustedProxy(trusted, '2001:db8:abcd:14::1')).toBe(false);
    expect(isTrustedProxy(trusted, '172.31.255.255')).toBe(true);
    expect(isTrustedProxy(trusted, '::ffff:172.20.1.1')).toBe(true);
    expect(isTrustedProxy(trusted, '172.32.0.1')).toBe(false);
    // An IPv4 range never matches an IPv6 address of the same bits, and the reverse.
    expect(isTrustedProxy(parseTrustedProxies('0.0.0.0/0'), '::1')).toBe(false);
    expect(isTrustedProxy(parseTrustedProxies('::/0'), '10.0.0.1')).toBe(false);
  });

  it('names every malformed entry instead of trusting nobody (or everybody) by mistake', () => {
    expect(() => parseTrustedProxies('127.0.0.1,10.0.0.0/33,proxy.local,::1/129,10.0.0.0/x')).toThrow(
      'ARBITER_TRUSTED_PROXIES: not an IP address or CIDR range: 10.0.0.0/33, proxy.local, ::1/129, 10.0.0.0/x',
    );
  });
});

describe('resolveForwarding', () => {
  const none = parseTrustedProxies(undefined);
  const local = parseTrustedProxies('127.0.0.1,10.0.0.0/8');

  it('ignores every forwarding header from an untrusted peer', () => {
    const headers = { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' };
    expect(resolveForwarding('::ffff:127.0.0.1', headers, none)).toEqual({ clientAddress: '127.0.0.1', proto: 'http' });
    expect(resolveForwarding('198.51.100.7', headers, local)).toEqual({ clientAddress: '198.51.100.7', proto: 'http' });
  });

  it('takes the right-most untrusted hop behind trusted proxies, and their proto and host', () => {
    const headers = { 'x-forwarded-for': '6.6.6.6, 203.0.113.9, 10.1.2.3', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'arbiter.example.org' };
    expect(resolveForwarding('127.0.0.1', headers, local)).toEqual({ clientAddress: '203.0.113.9', proto: 'https', host: 'arbiter.example.org' });
    // All hops trusted (a request made on the proxy host itself): the left-most hop.
    expect(resolveForwarding('127.0.0.1', { 'x-forwarded-for': '10.0.0.5' }, local).clientAddress).toBe('10.0.0.5');
    // No header: the proxy itself.
    expect(resolveForwarding('127.0.0.1', {}, local)).toEqual({ clientAddress: '127.0.0.1', proto: 'http' });
    // A hop that is not an address stops the walk at the trusted hop to its right.
    expect(resolveForwarding('127.0.0.1', { 'x-forwarded-for': 'unknown, 10.0.0.9' }, local).clientAddress).toBe('10.0.0.9');
    // A repeated header arrives as an array; proto other than http/https is ignored.
    expect(resolveForwarding('127.0.0.1', { 'x-forwarded-for': ['1.1.1.1', '2.2.2.2'], 'x-forwarded-proto': 'gopher' }, local)).toEqual({ clientAddress: '2.2.2.2', proto: 'http' });
  });

  it('rewrites the headers to exactly one answer', () => {
    const headers: Record<string, string | string[] | undefined> = { host: 'a', forwarded: 'for=6.6.6.6', 'x-real-ip': '6.6.6.6', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-port': '1', 'x-forwarded-host': 'evil' };
    applyForwarding(headers, { clientAddress: '127.0.0.1', proto: 'http' });
    expect(headers).toEqual({ host: 'a', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http' });
  });
});
