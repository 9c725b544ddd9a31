import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import { acceptInviteSchema, createInviteSchema, type CreateInviteInput } from '@/lib/auth/schemas';
import { generateSecretToken, hashSecretToken } from '@/lib/auth/secret-token';
import { baseUrl } from '@/lib/env';
import { invites, projectMembers, projects, type Invite, type UserRole } from '../schema';
import { getDb } from '../client';
import { getUserSummary, hashPassword, insertCredentialUser, type UserSummary } from './users';

export class InviteError extends Error {}

export function inviteUrl(token: string): string {
  return `${baseUrl()}/invite/${token}`;
}

/** Creates a one-time link; the plain token is returned once. A project invite adds the new user to it. */
export function createInvite(createdBy: string | null, input: CreateInviteInput): { token: string; url: string; invite: Invite } {
  const data = createInviteSchema.parse(input);
  const db = getDb();
  if (data.projectId !== undefined && !db.select({ id: projects.id }).from(projects).where(eq(projects.id, data.projectId)).get()) {
    throw new InviteError(`project ${data.projectId} does not exist`);
  }
  const token = generateSecretToken('inv');
  const invite = db
    .insert(invites)
    .values({
      tokenHash: hashSecretToken(token),
      role: data.role,
      email: data.email ?? null,
      projectId: data.projectId ?? null,
      createdBy,
      expiresAt: new Date(Date.now() + data.expiresInDays * 86_400_000),
    })
    .returning()
    .all()[0]!;
  return { token, url: inviteUrl(token), invite };
}

export type OpenInvite = { id: number; role: UserRole; email: string | null; projectName: string | null; expiresAt: Date };

/** The invite behind a token if it is unused and unexpired. */
export function getOpenInvite(token: string): OpenInvite | undefined {
  return getDb()
    .select({ id: invites.id, role: invites.role, email: invites.email, projectName: projects.name, expiresAt: invites.expiresAt })
    .from(invites)
    .leftJoin(projects, eq(projects.id, invites.projectId))
    .where(and(eq(invites.tokenHash, hashSecretToken(token)), isNull(invites.usedAt), gt(invites.expiresAt, new Date())))
    .get();
}

export function listInvites(): Invite[] {
  return getDb().select().from(invites).orderBy(desc(invites.id)).limit(100).all();
}

/** Creates the account an invite allows, marks the invite used and adds the project membership: all or nothing. */
export async function acceptInvite(input: { token: string; name: string; email: string; password: string }): Promise<UserSummary> {
  const data = acceptInviteSchema.parse(input);
  const open = getOpenInvite(data.token);
  if (!open) throw new InviteError('this invite link is invalid, expired or already used');
  if (open.email && open.email !== data.email) throw new InviteError(`this invite is for ${open.email}`);
  const hash = await hashPassword(data.password);
  const db = getDb();
  const userId = db.transaction((tx) => {
    const invite = tx.select().from(invites).where(eq(invites.id, open.id)).get();
    if (!invite || invite.usedAt) throw new InviteError('this invite link was used a moment ago');
    const id = insertCredentialUser(tx, { name: data.name, email: data.email, role: invite.role }, hash);
    const used = tx
      .update(invites)
      .set({ usedAt: new Date(), usedBy: id })
      .where(and(eq(invites.id, invite.id), isNull(invites.usedAt)))
      .run();
    if (used.changes !== 1) throw new InviteError('this invite link was used a moment ago');
    if (invite.projectId !== null) {
      const memberRole = invite.role === 'annotator' ? 'annotator' : 'researcher';
      tx.insert(projectMembers).values({ projectId: invite.projectId, userId: id, role: memberRole }).onConflictDoNothing().run();
    }
    return id;
  });
  return getUserSummary(userId)!;
}
