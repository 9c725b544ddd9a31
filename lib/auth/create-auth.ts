/**
 * better-auth, configured for Arbiter: email + password, sessions in SQLite through the drizzle
 * adapter, a global `role` on every user, no public sign-up (people join by invite or are created
 * by an admin), and a rate limit on sign-in. The db handle is passed in, so this module does no I/O.
 */
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import type { Db } from '@/db/client';
import * as schema from '@/db/schema';

export type CreateAuthOptions = {
  secret: string;
  baseURL: string;
  /** Sign-in attempts per IP per minute. */
  signInRateLimit: number;
};

export function createAuth(db: Db, options: CreateAuthOptions) {
  return betterAuth({
    appName: 'Arbiter',
    secret: options.secret,
    baseURL: options.baseURL,
    database: drizzleAdapter(db, {
      provider: 'sqlite',
      usePlural: true,
      schema: {
        users: schema.users,
        sessions: schema.sessions,
        accounts: schema.accounts,
        verifications: schema.verifications,
      },
    }),
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
    },
    telemetry: { enabled: false },
  });
}

export type Auth = ReturnType<typeof createAuth>;
