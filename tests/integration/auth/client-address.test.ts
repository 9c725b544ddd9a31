import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetAuth } from '@/db/queries/auth';
import { createUserWithPassword } from '@/db/queries/users';
import { getDb } from '@/db/client';
import { sessions } from '@/db/schema';
import { resetEnvCache } from '@/lib/env';
import { eq } from 'drizzle-orm';
import { startAuthServer, type AuthServer } from './web-server-harness';

// The per-IP limit is ARBITER_SIGNIN_RATE_LIMIT (default 10) sign-in attempts per minute.
const PASSWORD = 'plum orbit kettle';
let direct: AuthServer;
let behindProxy: AuthServer;

beforeAll(async () => {
  await createUserWithPassword({ name: 'Rae', email: 'rae@example.com', password: PASSWORD, role: 'researcher' });
  direct = await startAuthServer(undefined);
  behindProxy = await startAuthServer('127.0.0.50');
});

afterAll(async () => {
  await direct.close();
  await behindProxy.close();
});

async function sessionAddress(token: string | undefined): Promise<string | null | undefined> {
  return (await getDb().select({ ip: sessions.ipAddress }).from(sessions).where(eq(sessions.token, token ?? '')))[0]?.ip;
}

describe('the client address', () => {
  it('without a trusted proxy, a rotating X-Forwarded-For does not escape the per-IP sign-in limit', async () => {
    const statuses: number[] = [];
    // Different unknown emails each time, so only the per-IP limit can stop these.
    for (let i = 0; i < 12; i++) statuses.push((await direct.signIn('127.0.0.11', `nobody${i}@example.com`, 'wrong-guess', { 'x-forwarded-for': `198.51.100.${i}` })).status);
    expect(statuses).toEqual([...Array<number>(10).fill(401), 429, 429]);
    // Another client (another socket address) is not affected.
    expect((await direct.signIn('127.0.0.12', 'rae@example.com', PASSWORD)).status).toBe(200);
  });

  it('without a trusted proxy, the session records the socket address, not the one the client wrote', async () => {
    const reply = await direct.signIn('127.0.0.13', 'rae@example.com', PASSWORD, { 'x-forwarded-for': '6.6.6.6', 'x-real-ip': '6.6.6.6', forwarded: 'for=6.6.6.6' });
    expect(reply.status).toBe(200);
    expect(await sessionAddress(reply.body.token)).toBe('127.0.0.13');
  });

  it('a peer listed in ARBITER_TRUSTED_PROXIES is believed: the forwarded client is limited and recorded', async () => {
    // Many clients behind one proxy each get their own per-IP budget...
    for (let i = 0; i < 12; i++) {
      expect((await behindProxy.signIn('127.0.0.50', `someone${i}@example.com`, 'wrong-guess', { 'x-forwarded-for': `203.0.113.${i}` })).status).toBe(401);
    }
    // ...and one client behind it is limited by its own address, whatever it prepends to the chain.
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push((await behindProxy.signIn('127.0.0.50', `other${i}@example.com`, 'wrong-guess', { 'x-forwarded-for': `10.9.9.${i}, 192.0.2.77` })).status);
    }
    expect(statuses).toEqual([...Array<number>(10).fill(401), 429]);
    const signedIn = await behindProxy.signIn('127.0.0.50', 'rae@example.com', PASSWORD, { 'x-forwarded-for': '198.51.100.23' });
    expect(signedIn.status).toBe(200);
    expect(await sessionAddress(signedIn.body.token)).toBe('198.51.100.23');
    // The same headers from an address that is not the proxy are ignored.
    const spoofed = await behindProxy.signIn('127.0.0.51', 'rae@example.com', PASSWORD, { 'x-forwarded-for': '198.51.100.23' });
    expect(await sessionAddress(spoofed.body.token)).toBe('127.0.0.51');
  });
});

describe('secure cookies', () => {
  const isSecure = (cookies: string[]) => cookies.length > 0 && cookies.every((c) => /;\s*Secure/i.test(c));

  it('are Secure when a trusted proxy says the client used https, and not when an untrusted client says so', async () => {
    const viaProxy = await behindProxy.signIn('127.0.0.50', 'rae@example.com', PASSWORD, {
      'x-forwarded-for': '198.51.100.24',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'arbiter.example.org',
      origin: 'https://arbiter.example.org',
    });
    expect(viaProxy.status).toBe(200);
    expect(isSecure(viaProxy.setCookie)).toBe(true);
    const plainViaProxy = await behindProxy.signIn('127.0.0.50', 'rae@example.com', PASSWORD, { 'x-forwarded-for': '198.51.100.25', 'x-forwarded-proto': 'http' });
    expect(plainViaProxy.status).toBe(200);
    expect(plainViaProxy.setCookie.some((c) => /;\s*Secure/i.test(c))).toBe(false);
    const claimed = await direct.signIn('127.0.0.14', 'rae@example.com', PASSWORD, { 'x-forwarded-proto': 'https' });
    expect(claimed.status).toBe(200);
    expect(claimed.setCookie.length).toBeGreaterThan(0);
    expect(claimed.setCookie.some((c) => /;\s*Secure/i.test(c))).toBe(false);
  });

  it('are Secure (and __Secure- prefixed) when ARBITER_BASE_URL is https', async () => {
    process.env.ARBITER_BASE_URL = 'https://arbiter.example.org';
    resetEnvCache();
    resetAuth();
    try {
      const reply = await direct.signIn('127.0.0.15', 'rae@example.com', PASSWORD, { origin: 'https://arbiter.example.org' });
      expect(reply.status).toBe(200);
      expect(isSecure(reply.setCookie)).toBe(true);
      expect(reply.setCookie.some((c) => c.startsWith('__Secure-better-auth.session_token='))).toBe(true);
    } finally {
      delete process.env.ARBITER_BASE_URL;
      resetEnvCache();
      resetAuth();
    }
  });
});
