/** The process-wide better-auth instance, its storage over the two connections, and the stores of the sign-in and request limits. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DBAdapter, DBAdapterInstance } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { and, asc, count, eq, gt, lt } from 'drizzle-orm';
import { createAuth, type AccountSignInLimiter, type Auth, type RequestRateLimiter } from '@/lib/auth/create-auth';
import { baseUrl, dataDir, getEnv } from '@/lib/env';
import { accounts, rateLimits, sessions, signInAttempts, users, verifications } from '../schema';
import { db, withWriteTransaction, type Db } from '../client';
import { isPostgres } from '../dialect';

/**
 * ARBITER_SECRET, or a random secret created once and kept (mode 600) in the data directory. Processes
 * starting together on a fresh data directory (web processes, workers) agree on one: the secret is written
 * whole under a name of this process's own, then linked into place, which fails if another process's is
 * there already (then that one is read); no process can read a half-written file.
 */
export function getAuthSecret(): string {
  const env = getEnv();
  if (env.ARBITER_SECRET) return env.ARBITER_SECRET;
  const file = path.join(dataDir(env), 'auth-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const secret = crypto.randomBytes(32).toString('base64url');
    const partial = `${file}.${process.pid}-${crypto.randomUUID()}.tmp`;
    fs.writeFileSync(partial, secret, { mode: 0o600 });
    try {
      fs.linkSync(partial, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return fs.readFileSync(file, 'utf8').trim(); // another process created it first
    } finally {
      fs.rmSync(partial, { force: true });
    }
    return secret;
  }
}

/**
 * The per-account sign-in limit in the database: the count, the check and the new row in one write
 * transaction (the default, all-writers lock on PostgreSQL), so concurrent attempts (or two web processes)
 * cannot both take the last place.
 */
export const accountSignInLimiter: AccountSignInLimiter = {
  begin(email, max, windowMs) {
    return withWriteTransaction(async (tx) => {
      const now = Date.now();
      const since = new Date(now - windowMs);
      await tx.delete(signInAttempts).where(lt(signInAttempts.attemptedAt, since));
      const window = and(eq(signInAttempts.email, email), gt(signInAttempts.attemptedAt, since));
      const counted = (await tx.select({ n: count() }).from(signInAttempts).where(window))[0]?.n ?? 0;
      if (counted >= max) {
        // The oldest attempts leave the window first; the one that frees a place is the (counted - max + 1)th.
        const [freeing] = await tx.select({ at: signInAttempts.attemptedAt }).from(signInAttempts).where(window).orderBy(asc(signInAttempts.attemptedAt)).limit(1).offset(counted - max);
        const retryAfterSeconds = Math.max(1, Math.ceil(((freeing?.at.getTime() ?? now) + windowMs - now) / 1000));
        return { allowed: false as const, retryAfterSeconds };
      }
      await tx.insert(signInAttempts).values({ email, attemptedAt: new Date(now) });
      return { allowed: true as const };
    });
  },
  async succeeded(email) {
    await withWriteTransaction((tx) => tx.delete(signInAttempts).where(eq(signInAttempts.email, email)));
  },
};

/** Rows of `rate_limits` idle this long are deleted: far past every window better-auth is given (a minute at most). */
const RATE_LIMIT_ROW_TTL_MS = 60 * 60_000;

/**
 * better-auth's per-address request limits in the database (lib/auth/create-auth.ts, RequestRateLimiter):
 * the read, the decision and the write in one write transaction (the default, all-writers lock on
 * PostgreSQL), so requests answered by different web processes, or hosts, count against one budget and
 * cannot both take the last place. A new key prunes the rows idle past RATE_LIMIT_ROW_TTL_MS.
 */
export const requestRateLimiter: RequestRateLimiter = {
  consume(key, rule) {
    return withWriteTransaction(async (tx) => {
      const now = Date.now();
      const windowMs = rule.window * 1000;
      const [row] = await tx.select().from(rateLimits).where(eq(rateLimits.key, key));
      if (!row) {
        await tx.delete(rateLimits).where(lt(rateLimits.lastRequestAt, new Date(now - RATE_LIMIT_ROW_TTL_MS)));
        await tx.insert(rateLimits).values({ key, count: 1, lastRequestAt: new Date(now) });
        return { allowed: true, retryAfter: null };
      }
      const last = row.lastRequestAt.getTime();
      const quiet = now - last >= windowMs;
      if (!quiet && row.count >= rule.max) return { allowed: false, retryAfter: Math.max(1, Math.ceil((last + windowMs - now) / 1000)) };
      await tx
        .update(rateLimits)
        .set({ count: quiet ? 1 : row.count + 1, lastRequestAt: new Date(now) })
        .where(eq(rateLimits.key, key));
      return { allowed: true, retryAfter: null };
    });
  },
};

/** The adapter methods that only read; every other one writes (or may), and runs in a write transaction. */
const READ_METHODS = new Set<string>(['findOne', 'findMany', 'count']);
/** Members of the adapter that are not queries: kept as better-auth made them. */
const NOT_QUERIES = new Set<string>(['id', 'options', 'transaction', 'createSchema']);

type Query = (query: unknown) => Promise<unknown>;

/**
 * better-auth's storage over db/client.ts's two connections. better-auth's drizzle adapter runs each call
 * on the one handle it was given, so there is one drizzle adapter per connection, and the adapter
 * better-auth holds sends each call on: a read (findOne, findMany, count) to the adapter over `db()` — the
 * read connection, or the open write transaction's when called inside one — and every write (create,
 * update, updateMany, delete, deleteMany, consumeOne, incrementOne, and any other method) to the adapter
 * over the writer, inside `withWriteTransaction` (joining a transaction already open). Adapters are kept
 * per connection object, so a database closed and opened again (a restore, an in-process CLI run) is
 * picked up. Each better-auth call was its own statement before (its adapter `transaction` runs the
 * callback as is), and still is: one call, one transaction.
 */
function authDatabase(): DBAdapterInstance {
  // The provider names the SQL dialect better-auth's adapter writes for (PostgreSQL: its JSON, UUID and array support).
  const config = { provider: isPostgres ? ('pg' as const) : ('sqlite' as const), usePlural: true, schema: { users, sessions, accounts, verifications } };
  return (options) => {
    const byConnection = new WeakMap<Db, DBAdapter>();
    const over = (connection: Db): DBAdapter => {
      let adapter = byConnection.get(connection);
      if (!adapter) byConnection.set(connection, (adapter = drizzleAdapter(connection, config)(options)));
      return adapter;
    };
    const call = (adapter: DBAdapter, method: string, query: unknown) => (adapter[method as keyof DBAdapter] as Query).call(adapter, query);
    // The adapter better-auth holds is one drizzleAdapter made (so the schema check it registers on its
    // instance still runs), with every query replaced by the routing above; its `transaction` runs the
    // callback on this same adapter, as before.
    const routed = drizzleAdapter(db(), config)(options);
    for (const [method, member] of Object.entries(routed)) {
      if (NOT_QUERIES.has(method) || typeof member !== 'function') continue;
      const route: Query = READ_METHODS.has(method)
        ? (query) => call(over(db()), method, query)
        : (query) => withWriteTransaction((tx) => call(over(tx), method, query));
      Object.assign(routed, { [method]: route });
    }
    return routed;
  };
}

let shared: Auth | undefined;

export function getAuth(): Auth {
  if (!shared) {
    const env = getEnv();
    shared = createAuth(authDatabase(), {
      secret: getAuthSecret(),
      baseURL: baseUrl(env),
      signInRateLimit: env.ARBITER_SIGNIN_RATE_LIMIT,
      signInAccountRateLimit: env.ARBITER_SIGNIN_ACCOUNT_RATE_LIMIT,
      accountLimiter: accountSignInLimiter,
      requestLimiter: requestRateLimiter,
    });
  }
  return shared;
}

export function resetAuth(): void {
  shared = undefined;
}
