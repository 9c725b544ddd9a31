/** The process-wide better-auth instance, over the shared connection, and the per-account sign-in limit's store. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { and, asc, count, eq, gt, lt } from 'drizzle-orm';
import { createAuth, type AccountSignInLimiter, type Auth } from '@/lib/auth/create-auth';
import { baseUrl, dataDir, getEnv } from '@/lib/env';
import { accounts, sessions, signInAttempts, users, verifications } from '../schema';
import { getDb } from '../client';

/** ARBITER_SECRET, or a random secret created once and kept (mode 600) in the data directory. */
export function getAuthSecret(): string {
  const env = getEnv();
  if (env.ARBITER_SECRET) return env.ARBITER_SECRET;
  const file = path.join(dataDir(env), 'auth-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const secret = crypto.randomBytes(32).toString('base64url');
    try {
      fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    } catch {
      return fs.readFileSync(file, 'utf8').trim(); // another process created it first
    }
    return secret;
  }
}

/**
 * The per-account sign-in limit in SQLite: the count, the check and the new row in one IMMEDIATE
 * transaction, so concurrent attempts (or two web processes) cannot both take the last place.
 */
export const accountSignInLimiter: AccountSignInLimiter = {
  begin(email, max, windowMs) {
    return getDb().transaction(
      (tx) => {
        const now = Date.now();
        const since = new Date(now - windowMs);
        tx.delete(signInAttempts).where(lt(signInAttempts.attemptedAt, since)).run();
        const window = and(eq(signInAttempts.email, email), gt(signInAttempts.attemptedAt, since));
        const counted = tx.select({ n: count() }).from(signInAttempts).where(window).get()?.n ?? 0;
        if (counted >= max) {
          // The oldest attempts leave the window first; the one that frees a place is the (counted - max + 1)th.
          const freeing = tx.select({ at: signInAttempts.attemptedAt }).from(signInAttempts).where(window).orderBy(asc(signInAttempts.attemptedAt)).limit(1).offset(counted - max).get();
          const retryAfterSeconds = Math.max(1, Math.ceil(((freeing?.at.getTime() ?? now) + windowMs - now) / 1000));
          return { allowed: false as const, retryAfterSeconds };
        }
        tx.insert(signInAttempts).values({ email, attemptedAt: new Date(now) }).run();
        return { allowed: true as const };
      },
      { behavior: 'immediate' },
    );
  },
  succeeded(email) {
    getDb().delete(signInAttempts).where(eq(signInAttempts.email, email)).run();
  },
};

let shared: Auth | undefined;

export function getAuth(): Auth {
  if (!shared) {
    const env = getEnv();
    shared = createAuth(getDb(), {
      tables: { users, sessions, accounts, verifications },
      secret: getAuthSecret(),
      baseURL: baseUrl(env),
      signInRateLimit: env.ARBITER_SIGNIN_RATE_LIMIT,
      signInAccountRateLimit: env.ARBITER_SIGNIN_ACCOUNT_RATE_LIMIT,
      accountLimiter: accountSignInLimiter,
    });
  }
  return shared;
}

export function resetAuth(): void {
  shared = undefined;
}
