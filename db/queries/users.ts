import { asc, count, eq } from 'drizzle-orm';
import { createUserSchema, type CreateUserInput } from '@/lib/auth/schemas';
import { AppError } from '@/lib/errors';
import type { UserRole } from '@/lib/auth/roles';
import { accounts, users } from '../schema';
import { getDb } from '../client';

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

type Tx = Parameters<Parameters<ReturnType<typeof getDb>['transaction']>[0]>[0];

/** Inserts a user and its credential account inside the caller's transaction. */
export function insertCredentialUser(tx: Tx, user: { name: string; email: string; role: UserRole }, passwordHash: string): string {
  const existing = tx.select({ id: users.id }).from(users).where(eq(users.email, user.email)).get();
  if (existing) throw duplicateEmail(user.email);
  const id = crypto.randomUUID();
  tx.insert(users).values({ id, name: user.name, email: user.email, role: user.role }).run();
  tx.insert(accounts).values({ id: crypto.randomUUID(), accountId: id, providerId: 'credential', userId: id, password: passwordHash }).run();
  return id;
}

/** Creates a user who signs in with email + password. */
export async function createUserWithPassword(input: CreateUserInput): Promise<UserSummary> {
  const data = createUserSchema.parse(input);
  if (getUserByEmail(data.email)) throw duplicateEmail(data.email);
  const hash = await hashPassword(data.password);
  const id = getDb().transaction((tx) => insertCredentialUser(tx, data, hash));
  return getUserSummary(id)!;
}

export function getUserSummary(id: string): UserSummary | undefined {
  return getDb().select(summaryColumns).from(users).where(eq(users.id, id)).get();
}

export function getUserByEmail(email: string): UserSummary | undefined {
  return getDb().select(summaryColumns).from(users).where(eq(users.email, email.trim().toLowerCase())).get();
}

export function listUsers(): UserSummary[] {
  return getDb().select(summaryColumns).from(users).orderBy(asc(users.createdAt), asc(users.email)).all();
}

export function countUsers(options: { includeSimulated?: boolean } = {}): number {
  const q = getDb().select({ n: count() }).from(users);
  const row = options.includeSimulated ? q.get() : q.where(eq(users.isSimulated, false)).get();
  return row?.n ?? 0;
}
