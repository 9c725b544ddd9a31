import { asc, count, eq } from 'drizzle-orm';
import { createUserSchema, type CreateUserInput } from '@/lib/auth/schemas';
import { AppError } from '@/lib/errors';
import type { UserRole } from '@/lib/auth/roles';
import { accounts, users } from '../schema';
import { db, withWriteTransaction, type Db } from '../client';

export type UserSummary = { id: string; name: string; email: string; role: UserRole; isSimulated: boolean; createdAt: Date };

const duplicateEmail = (email: string) => new AppError('conflict', `a user with email ${email} already exists`);

const summaryColumns = { id: users.id, name: users.name, email: users.email, role: users.role, isSimulated: users.isSimulated, createdAt: users.createdAt };

/** better-auth's password hash (scrypt); Arbiter never hashes passwords itself. */
export async function hashPassword(password: string): Promise<string> {
  // Loaded on demand: better-auth costs ~1 s of start-up that most CLI commands and workers never need.
  const { getAuth } = await import('./auth');
  const ctx = await getAuth().$context;
  return ctx.password.hash(password);
}

/**
 * Inserts a user and its credential account inside the caller's write transaction `tx`. The password is
 * hashed before that transaction opens (hashing is slow, and the write lock is held meanwhile).
 */
export async function insertCredentialUser(tx: Db, user: { name: string; email: string; role: UserRole }, passwordHash: string): Promise<string> {
  const existing = await tx.select({ id: users.id }).from(users).where(eq(users.email, user.email)).limit(1);
  if (existing.length) throw duplicateEmail(user.email);
  const id = crypto.randomUUID();
  await tx.insert(users).values({ id, name: user.name, email: user.email, role: user.role });
  await tx.insert(accounts).values({ id: crypto.randomUUID(), accountId: id, providerId: 'credential', userId: id, password: passwordHash });
  return id;
}

/** Creates a user who signs in with email + password. */
export async function createUserWithPassword(input: CreateUserInput): Promise<UserSummary> {
  const data = createUserSchema.parse(input);
  if (await getUserByEmail(data.email)) throw duplicateEmail(data.email);
  const hash = await hashPassword(data.password);
  const id = await withWriteTransaction((tx) => insertCredentialUser(tx, data, hash));
  return (await getUserSummary(id))!;
}

export async function getUserSummary(id: string): Promise<UserSummary | undefined> {
  return (await db().select(summaryColumns).from(users).where(eq(users.id, id)).limit(1))[0];
}

export async function getUserByEmail(email: string): Promise<UserSummary | undefined> {
  return (await db().select(summaryColumns).from(users).where(eq(users.email, email.trim().toLowerCase())).limit(1))[0];
}

export async function listUsers(): Promise<UserSummary[]> {
  return db().select(summaryColumns).from(users).orderBy(asc(users.createdAt), asc(users.email));
}

export async function countUsers(options: { includeSimulated?: boolean } = {}): Promise<number> {
  const q = db().select({ n: count() }).from(users);
  const rows = options.includeSimulated ? await q : await q.where(eq(users.isSimulated, false));
  return rows[0]?.n ?? 0;
}
