/**
 * better-auth, configured for Arbiter: email + password, sessions in SQLite through the drizzle
 * adapter, a global `role` on every user, no public sign-up (people join by invite or are created
 * by an admin), a sign-in limit per IP and one per account, and the password policy on
 * /change-password. The storage (the adapter factory db/queries/auth.ts builds over the read and write
 * connections) and the two limiters' stores are passed in, so this module does no I/O and imports
 * nothing from db/.
 */
import { betterAuth, type DBAdapterInstance } from 'better-auth';
import { APIError, createAuthMiddleware, getSessionFromCtx, isAPIError } from 'better-auth/api';
import { z } from 'zod';
import { passwordProblem } from './password-policy';

/** The per-account sign-in limit counts attempts over this window (ARBITER_SIGNIN_ACCOUNT_RATE_LIMIT per 15 minutes). */
export const SIGN_IN_ACCOUNT_WINDOW_MS = 15 * 60_000;

/** The error code of the per-account limit's 429, which the sign-in form shows as it is. */
export const ACCOUNT_SIGN_IN_LIMIT_CODE = 'ACCOUNT_SIGN_IN_LIMIT';

/**
 * Storage of the per-account limit (db/queries/auth.ts keeps it in SQLite, so a restarted web server
 * does not forget it). Attempts are counted before the password is checked, so parallel guesses cannot
 * all slip through while the first ones are still hashing; a success forgives the account's attempts.
 */
export type AccountSignInLimiter = {
  /** Counts an attempt for this email (lower case) unless it already has `max` in the window; then the seconds until one expires. */
  begin(email: string, max: number, windowMs: number): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }>;
  /** The email signed in: its counted attempts are forgotten. */
  succeeded(email: string): Promise<void>;
};

/**
 * Storage of better-auth's per-address request limits (its `rateLimit`, the per-IP sign-in limit among
 * them). better-auth's default keeps them in a map in the process's memory, which several web processes
 * (ARBITER_WEB_PROCESSES, several hosts) would each keep apart, multiplying every limit; db/queries/auth.ts
 * keeps them in the database. `consume` counts one request against `key` and says whether it is allowed,
 * atomically, with better-auth's own rule: a request within `window` seconds of the last counted one adds
 * one until `max`; after a quiet `window` the count starts again at 1; `retryAfter` is in seconds.
 */
export type RequestRateLimiter = {
  consume(key: string, rule: { window: number; max: number }): Promise<{ allowed: boolean; retryAfter: number | null }>;
};

export type CreateAuthOptions = {
  secret: string;
  baseURL: string;
  /** Sign-in attempts per IP per minute. */
  signInRateLimit: number;
  /** Failed sign-in attempts per account (email) per SIGN_IN_ACCOUNT_WINDOW_MS. */
  signInAccountRateLimit: number;
  accountLimiter: AccountSignInLimiter;
  requestLimiter: RequestRateLimiter;
};

const signInEmailSchema = z.email();

function accountLimitMessage(retryAfterSeconds: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return `Too many failed sign-in attempts for this account. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}

/** `database`: better-auth's storage, an adapter factory (db/queries/auth.ts: drizzle, plural table names). */
export function createAuth(database: DBAdapterInstance, options: CreateAuthOptions) {
  return betterAuth({
    appName: 'Arbiter',
    secret: options.secret,
    baseURL: options.baseURL,
    database,
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 8, maxPasswordLength: 256 },
    user: {
      additionalFields: {
        role: { type: 'string', input: false, defaultValue: 'annotator', required: false },
        isSimulated: { type: 'boolean', input: false, defaultValue: false, required: false },
      },
    },
    session: { expiresIn: 60 * 60 * 24 * 14, updateAge: 60 * 60 * 24 },
    // The app is self-hosted under whatever address people use (localhost, a LAN IP, a proxy):
    // a browser POST is trusted when its Origin is the host it was sent to, as Next's server actions do.
    trustedOrigins: (request) => {
      const origins = [options.baseURL];
      const host = request?.headers.get('x-forwarded-host') ?? request?.headers.get('host');
      if (host) {
        const proto = request?.headers.get('x-forwarded-proto') ?? new URL(options.baseURL).protocol.replace(':', '');
        origins.push(`${proto}://${host}`);
      }
      return origins;
    },
    rateLimit: {
      enabled: true,
      window: 60,
      max: 300,
      customRules: { '/sign-in/email': { window: 60, max: options.signInRateLimit } },
      customStorage: options.requestLimiter,
    },
    advanced: {
      // The client address for the per-IP limit and for sessions. scripts/web-server.ts replaces this
      // header on every request with exactly one address — the socket's peer, or what a proxy listed in
      // ARBITER_TRUSTED_PROXIES reported — so a client cannot choose it (lib/auth/trusted-proxies.ts).
      ipAddress: { ipAddressHeaders: ['x-forwarded-for'] },
      // Secure (and __Secure-prefixed) cookies when people open an https address. Behind a TLS-terminating
      // proxy with an http base URL, the auth route adds Secure per request (lib/auth/secure-cookies.ts).
      useSecureCookies: options.baseURL.startsWith('https://'),
    },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path === '/sign-in/email') {
          const email = (ctx.body as { email?: unknown } | undefined)?.email;
          // A malformed email is answered 400 by better-auth itself; only real attempts are counted.
          if (typeof email !== 'string' || !signInEmailSchema.safeParse(email).success) return;
          // Every email is counted alike, known or not, so the limit does not reveal which accounts exist.
          const verdict = await options.accountLimiter.begin(email.toLowerCase(), options.signInAccountRateLimit, SIGN_IN_ACCOUNT_WINDOW_MS);
          if (!verdict.allowed) {
            throw new APIError(
              'TOO_MANY_REQUESTS',
              { code: ACCOUNT_SIGN_IN_LIMIT_CODE, message: accountLimitMessage(verdict.retryAfterSeconds) },
              { 'Retry-After': String(verdict.retryAfterSeconds) },
            );
          }
        }
        if (ctx.path === '/change-password') {
          const newPassword = (ctx.body as { newPassword?: unknown } | undefined)?.newPassword;
          const session = await getSessionFromCtx(ctx);
          if (typeof newPassword !== 'string' || !session) return; // better-auth answers these itself (400 / 401)
          const problem = passwordProblem(newPassword, { email: session.user.email, name: session.user.name });
          if (problem) throw new APIError('BAD_REQUEST', { code: 'WEAK_PASSWORD', message: problem });
        }
      }),
      after: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== '/sign-in/email' || isAPIError(ctx.context.returned)) return;
        const email = (ctx.body as { email?: unknown } | undefined)?.email;
        if (typeof email === 'string') await options.accountLimiter.succeeded(email.toLowerCase());
      }),
    },
    telemetry: { enabled: false },
  });
}

export type Auth = ReturnType<typeof createAuth>;
