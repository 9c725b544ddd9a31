import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAuth } from '@/db/queries/auth';
import { createUserWithPassword } from '@/db/queries/users';
import { getDb } from '@/db/client';
import { signInAttempts } from '@/db/schema';
import { getEnv } from '@/lib/env';
import { startAuthServer, type AuthServer } from './web-server-harness';

// Behind a trusted proxy the attacker controls the forwarded address completely: every attempt below
// comes from a new client address, so the per-IP limit never trips and only the per-account one can.
const PROXY = '127.0.0.60';
let server: AuthServer;
let hop = 0;
const fresh = () => ({ 'x-forwarded-for': `100.64.${Math.floor(++hop / 250)}.${hop % 250}` });

beforeAll(async () => {
  for (const name of ['victim', 'bystander', 'forgiven', 'raced']) {
    await createUserWithPassword({ name, email: `${name}@example.com`, password: `plum orbit ${name}`, role: 'annotator' });
  }
  server = await startAuthServer(PROXY);
});

afterAll(() => server.close());

describe('the per-account sign-in limit', () => {
  it('stops guesses at one email from any number of addresses, with a clear 429, while another email still signs in', async () => {
    const limit = getEnv().ARBITER_SIGNIN_ACCOUNT_RATE_LIMIT;
    expect(limit).toBe(10);
    for (let i = 0; i < limit; i++) expect((await server.signIn(PROXY, 'victim@example.com', `guess ${i}`, fresh())).status).toBe(401);
    const refused = await server.signIn(PROXY, 'victim@example.com', 'guess 11', fresh());
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ code: 'ACCOUNT_SIGN_IN_LIMIT', message: 'Too many failed sign-in attempts for this account. Try again in 15 minutes.' });
    // Neither the right password, another spelling of the email, nor a new address gets through meanwhile.
    expect((await server.signIn(PROXY, 'victim@example.com', 'plum orbit victim', fresh())).status).toBe(429);
    expect((await server.signIn(PROXY, 'VICTIM@Example.COM', 'plum orbit victim', fresh())).status).toBe(429);
    expect((await server.signIn('127.0.0.61', 'victim@example.com', 'plum orbit victim')).status).toBe(429);
    expect((await server.signIn(PROXY, 'bystander@example.com', 'plum orbit bystander', fresh())).status).toBe(200);
  });

  it('counts unknown emails exactly like known ones, so a 429 does not reveal that an account exists', async () => {
    for (let i = 0; i < 10; i++) expect((await server.signIn(PROXY, 'ghost@example.com', `guess ${i}`, fresh())).status).toBe(401);
    expect((await server.signIn(PROXY, 'ghost@example.com', 'guess 11', fresh())).body.code).toBe('ACCOUNT_SIGN_IN_LIMIT');
  });

  it('forgives the failures of an account that then signs in', async () => {
    for (let i = 0; i < 9; i++) expect((await server.signIn(PROXY, 'forgiven@example.com', `typo ${i}`, fresh())).status).toBe(401);
    expect((await server.signIn(PROXY, 'forgiven@example.com', 'plum orbit forgiven', fresh())).status).toBe(200);
    for (let i = 0; i < 9; i++) expect((await server.signIn(PROXY, 'forgiven@example.com', `typo ${i}`, fresh())).status).toBe(401);
  });

  it('holds under parallel guesses: no more than the limit are checked', async () => {
    const replies = await Promise.all(Array.from({ length: 24 }, (_, i) => server.signIn(PROXY, 'raced@example.com', `parallel ${i}`, fresh())));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(14);
  });

  it('also holds for direct auth.api calls, and prunes attempts older than the window', async () => {
    await expect(getAuth().api.signInEmail({ body: { email: 'victim@example.com', password: 'plum orbit victim' } })).rejects.toThrow(/Too many failed sign-in attempts for this account/);
    const before = (await getDb().select().from(signInAttempts)).length;
    await getDb().update(signInAttempts).set({ attemptedAt: new Date(Date.now() - 16 * 60_000) });
    expect((await server.signIn(PROXY, 'victim@example.com', 'plum orbit victim', fresh())).status).toBe(200);
    expect(before).toBeGreaterThan(30);
    expect(await getDb().select().from(signInAttempts)).toHaveLength(0);
  });
});
