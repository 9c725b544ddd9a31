import { and, desc, eq, isNull } from 'drizzle-orm';
import { generateSecretToken, hashSecretToken } from '@/lib/auth/secret-token';
import { createTokenSchema } from '@/lib/auth/schemas';
import type { UserRole } from '@/lib/auth/roles';
import { apiTokens, users } from '../schema';
import { changedRows, db, withWriteTransaction } from '../client';

export type ApiTokenSummary = { id: number; name: string; prefix: string; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null };

/** Creates a token for `userId`; the plain token is returned once and never stored. */
export async function createApiToken(userId: string, input: { name: string }): Promise<{ token: string; summary: ApiTokenSummary }> {
  const { name } = createTokenSchema.parse(input);
  const token = generateSecretToken('arb');
  const inserted = await withWriteTransaction((tx) =>
    tx
      .insert(apiTokens)
      .values({ userId, name, tokenHash: hashSecretToken(token), prefix: token.slice(0, 10) })
      .returning(),
  );
  const row = inserted[0]!;
  return { token, summary: { id: row.id, name: row.name, prefix: row.prefix, createdAt: row.createdAt, lastUsedAt: null, revokedAt: null } };
}

export async function listApiTokens(userId: string): Promise<ApiTokenSummary[]> {
  return db()
    .select({ id: apiTokens.id, name: apiTokens.name, prefix: apiTokens.prefix, createdAt: apiTokens.createdAt, lastUsedAt: apiTokens.lastUsedAt, revokedAt: apiTokens.revokedAt })
    .from(apiTokens)
    .where(eq(apiTokens.userId, userId))
    .orderBy(desc(apiTokens.id));
}

/** Revokes one of the user's own tokens; false when there is no such live token. */
export async function revokeApiToken(userId: string, tokenId: number): Promise<boolean> {
  const result = await withWriteTransaction((tx) =>
    tx
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt))),
  );
  return changedRows(result) === 1;
}

export type TokenUser = { id: string; name: string; email: string; role: UserRole };

/** The user a live token belongs to (and records its use), or undefined. */
export async function getUserByApiToken(token: string): Promise<TokenUser | undefined> {
  const [row] = await db()
    .select({ tokenId: apiTokens.id, id: users.id, name: users.name, email: users.email, role: users.role })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, hashSecretToken(token)), isNull(apiTokens.revokedAt)))
    .limit(1);
  if (!row) return undefined;
  try {
    // One row, one statement, nothing read first: no need to wait for other writers on PostgreSQL (every
    // REST call passes here, annotation included, which must not queue behind the whole database).
    await withWriteTransaction((tx) => tx.update(apiTokens).set({ lastUsedAt: new Date() }).where(eq(apiTokens.id, row.tokenId)), { lock: 'rows' });
  } catch {
    // Best effort: on read-only or full storage the token still authenticates (writes fail on their own, clearly).
  }
  return { id: row.id, name: row.name, email: row.email, role: row.role };
}
