/** Accounts: better-auth's users / sessions / accounts / verifications, plus API tokens, sign-in attempts and request limits. */
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { USER_ROLES } from '../../../lib/auth/roles';
import { createdAt, updatedAt } from './columns';

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email').notNull().unique(),
  emailVerified: integer('email_verified', { mode: 'boolean' }).notNull().default(false),
  image: text('image'),
  /** Global role: admin manages everything; researcher creates projects; annotator labels. */
  role: text('role', { enum: USER_ROLES }).notNull().default('annotator'),
  /** Simulated annotators of generated data have no password and cannot sign in. */
  isSimulated: integer('is_simulated', { mode: 'boolean' }).notNull().default(false),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    token: text('token').notNull().unique(),
    ipAddress: text('ip_address'),
    userAgent: text('user_agent'),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const accounts = sqliteTable(
  'accounts',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    providerId: text('provider_id').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    accessToken: text('access_token'),
    refreshToken: text('refresh_token'),
    idToken: text('id_token'),
    accessTokenExpiresAt: integer('access_token_expires_at', { mode: 'timestamp_ms' }),
    refreshTokenExpiresAt: integer('refresh_token_expires_at', { mode: 'timestamp_ms' }),
    scope: text('scope'),
    /** better-auth's scrypt hash; never written by Arbiter's own code. */
    password: text('password'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('accounts_user_idx').on(t.userId)],
);

export const verifications = sqliteTable('verifications', {
  id: text('id').primaryKey(),
  identifier: text('identifier').notNull(),
  value: text('value').notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Per-user API tokens for /api/v1 and scripts; only a SHA-256 of the token is stored. */
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    /** First characters of the token, shown so a user can tell tokens apart. */
    prefix: text('prefix').notNull(),
    createdAt: createdAt(),
    lastUsedAt: integer('last_used_at', { mode: 'timestamp_ms' }),
    revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('api_tokens_user_idx').on(t.userId)],
);

/**
 * Sign-in attempts per account (email, lower case) for the per-account limit (db/queries/auth.ts):
 * a row is written before the password is checked and the email's rows are deleted when a sign-in
 * succeeds, so what remains are failed (or in-flight) attempts. Rows older than the window are pruned.
 * Unknown emails are counted the same way, so the limit says nothing about which accounts exist.
 */
export const signInAttempts = sqliteTable(
  'sign_in_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    email: text('email').notNull(),
    attemptedAt: integer('attempted_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('sign_in_attempts_email_idx').on(t.email, t.attemptedAt), index('sign_in_attempts_time_idx').on(t.attemptedAt)],
);

/**
 * better-auth's request limits per client address (its `rateLimit`: ARBITER_SIGNIN_RATE_LIMIT on sign-in, a
 * general one on the rest of /api/auth), one row per address and path (better-auth's key), counted here
 * rather than in a process's memory so that every web process and host serving this database counts one
 * budget per client (db/queries/auth.ts). Rows idle far longer than any window are pruned.
 */
export const rateLimits = sqliteTable(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    /** Requests counted since the window last started again. */
    count: integer('count').notNull(),
    /** The last counted request: the window runs from it. */
    lastRequestAt: integer('last_request_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('rate_limits_last_request_idx').on(t.lastRequestAt)],
);
