import { and, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { acceptInviteSchema, createInviteSchema, type CreateInviteInput } from '@/lib/auth/schemas';
import { generateSecretToken, hashSecretToken } from '@/lib/auth/secret-token';
import { baseUrl } from '@/lib/env';
import { AppError, isAppError } from '@/lib/errors';
import type { UserRole } from '@/lib/auth/roles';
import { invites, projectMembers, projects, type Invite } from '../schema';
import { changedRows, db, withWriteTransaction } from '../client';
import { getUserSummary, hashPassword, insertCredentialUser, type UserSummary } from './users';

/**
 * Refused acceptances an invite link survives. Accepting with an email that already has an account is
 * refused without naming that account and counted on the invite; at this many the link is locked (it
 * reads as invalid, and an admin makes a new one). So whoever holds a link can test at most this many
 * addresses for existing accounts, and cannot keep doing so. Other mistakes (a weak password, a bad
 * name, the wrong email for an email-bound invite) reveal nothing about other accounts and are not counted.
 */
export const INVITE_MAX_FAILED_ATTEMPTS = 3;

export function inviteUrl(token: string): string {
  return `${baseUrl()}/invite/${token}`;
}

/** Creates a one-time link; the plain token is returned once. A project invite adds the new user to it. */
export async function createInvite(createdBy: string | null, input: CreateInviteInput): Promise<{ token: string; url: string; invite: Invite }> {
  const data = createInviteSchema.parse(input);
  const token = generateSecretToken('inv');
  const invite = await withWriteTransaction(async (tx) => {
    if (data.projectId !== undefined && !(await tx.select({ id: projects.id }).from(projects).where(eq(projects.id, data.projectId)).limit(1)).length) {
      throw new AppError('invalid', `project ${data.projectId} does not exist`);
    }
    const [row] = await tx
      .insert(invites)
      .values({
        tokenHash: hashSecretToken(token),
        role: data.role,
        email: data.email ?? null,
        projectId: data.projectId ?? null,
        createdBy,
        expiresAt: new Date(Date.now() + data.expiresInDays * 86_400_000),
      })
      .returning();
    return row!;
  });
  return { token, url: inviteUrl(token), invite };
}

export type OpenInvite = { id: number; role: UserRole; email: string | null; projectName: string | null; expiresAt: Date };

/** The invite behind a token if it is unused, unexpired and not locked. */
export async function getOpenInvite(token: string): Promise<OpenInvite | undefined> {
  const rows = await db()
    .select({ id: invites.id, role: invites.role, email: invites.email, projectName: projects.name, expiresAt: invites.expiresAt })
    .from(invites)
    .leftJoin(projects, eq(projects.id, invites.projectId))
    .where(
      and(
        eq(invites.tokenHash, hashSecretToken(token)),
        isNull(invites.usedAt),
        gt(invites.expiresAt, new Date()),
        lt(invites.failedAttempts, INVITE_MAX_FAILED_ATTEMPTS),
      ),
    )
    .limit(1);
  return rows[0];
}

/** Whether an invite row is locked by refused acceptances. */
export function isInviteLocked(invite: Pick<Invite, 'failedAttempts'>): boolean {
  return invite.failedAttempts >= INVITE_MAX_FAILED_ATTEMPTS;
}

/** Counts a refused acceptance on the invite and says what is left, without naming the account that exists. */
async function refuseTakenEmail(inviteId: number): Promise<AppError> {
  const [row] = await withWriteTransaction((tx) =>
    tx
      .update(invites)
      .set({ failedAttempts: sql`${invites.failedAttempts} + 1` })
      .where(eq(invites.id, inviteId))
      .returning({ failedAttempts: invites.failedAttempts }),
  );
  const left = INVITE_MAX_FAILED_ATTEMPTS - (row?.failedAttempts ?? INVITE_MAX_FAILED_ATTEMPTS);
  if (left <= 0) return new AppError('invalid', 'no account can be created with this email address through this invite, and the invite link is now locked; ask an admin for a new one');
  return new AppError('invalid', `no account can be created with this email address through this invite; use another address (${left} attempt${left === 1 ? '' : 's'} left before the link locks)`);
}

export type InviteStatus = 'open' | 'used' | 'expired' | 'locked';
export type InviteView = { id: number; role: UserRole; email: string | null; projectId: number | null; projectName: string | null; status: InviteStatus; expiresAt: Date; createdAt: Date; usedAt: Date | null };

function inviteStatus(invite: Pick<Invite, 'usedAt' | 'expiresAt' | 'failedAttempts'>, now = new Date()): InviteStatus {
  if (invite.usedAt) return 'used';
  if (isInviteLocked(invite)) return 'locked';
  return invite.expiresAt <= now ? 'expired' : 'open';
}

/** The latest invites with their project and status (the link itself is stored hashed: it is shown once, when made). */
export async function listInvites(): Promise<InviteView[]> {
  const rows = await db().select({ invite: invites, projectName: projects.name }).from(invites).leftJoin(projects, eq(projects.id, invites.projectId)).orderBy(desc(invites.id)).limit(100);
  return rows.map(({ invite: i, projectName }) => ({ id: i.id, role: i.role, email: i.email, projectId: i.projectId, projectName, status: inviteStatus(i), expiresAt: i.expiresAt, createdAt: i.createdAt, usedAt: i.usedAt }));
}

/** Revokes an invite nobody has used yet: its link stops working at once. A used or unknown invite is refused by name. */
export async function revokeInvite(id: number): Promise<void> {
  const removed = await withWriteTransaction(async (tx) => {
    const [row] = await tx.select({ usedAt: invites.usedAt }).from(invites).where(eq(invites.id, id)).limit(1);
    if (!row) throw new AppError('not-found', `invite ${id} not found`);
    if (row.usedAt) throw new AppError('conflict', `invite ${id} was already used; remove the account it made instead`);
    return tx.delete(invites).where(and(eq(invites.id, id), isNull(invites.usedAt))).returning({ id: invites.id });
  });
  if (removed.length === 0) throw new AppError('conflict', `invite ${id} was used while it was being revoked`);
}

/** Creates the account an invite allows, marks the invite used and adds the project membership: all or nothing. */
export async function acceptInvite(input: { token: string; name: string; email: string; password: string }): Promise<UserSummary> {
  const data = acceptInviteSchema.parse(input);
  const open = await getOpenInvite(data.token);
  if (!open) throw new AppError('invalid', 'this invite link is invalid, expired, already used or locked');
  if (open.email && open.email !== data.email) throw new AppError('invalid', `this invite is for ${open.email}`);
  // Hashed before the write transaction opens: hashing is slow, and no other write may wait on it.
  const hash = await hashPassword(data.password);
  let userId: string;
  try {
    userId = await withWriteTransaction(async (tx) => {
      const [invite] = await tx.select().from(invites).where(eq(invites.id, open.id)).limit(1);
      if (!invite || invite.usedAt || isInviteLocked(invite)) throw new AppError('invalid', 'this invite link was used or locked a moment ago');
      const id = await insertCredentialUser(tx, { name: data.name, email: data.email, role: invite.role }, hash);
      const used = await tx
        .update(invites)
        .set({ usedAt: new Date(), usedBy: id })
        .where(and(eq(invites.id, invite.id), isNull(invites.usedAt)));
      if (changedRows(used) !== 1) throw new AppError('invalid', 'this invite link was used a moment ago');
      if (invite.projectId !== null) {
        const memberRole = invite.role === 'annotator' ? 'annotator' : 'researcher';
        await tx.insert(projectMembers).values({ projectId: invite.projectId, userId: id, role: memberRole }).onConflictDoNothing();
      }
      return id;
    });
  } catch (error) {
    // The one conflict in there: the email belongs to an account already (insertCredentialUser).
    if (isAppError(error, 'conflict')) throw await refuseTakenEmail(open.id);
    throw error;
  }
  return (await getUserSummary(userId))!;
}
