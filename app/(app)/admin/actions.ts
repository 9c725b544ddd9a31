'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { createInvite, revokeInvite } from '@/db/queries/invites';
import { createUserWithPassword } from '@/db/queries/users';
import type { Actor } from '@/lib/auth/access';
import { AppError } from '@/lib/errors';
import { createUserSchema, emailSchema, userRoleSchema } from '@/lib/auth/schemas';
import { runAction, type ActionResult } from '@/app/_lib/action';

function assertAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw new AppError('forbidden', 'only admins can do that');
}

export async function createUserAction(input: Record<string, string>): Promise<ActionResult<{ email: string }>> {
  return runAction(createUserSchema, input, async (data, actor) => {
    assertAdmin(actor);
    const user = await createUserWithPassword(data);
    revalidatePath('/admin');
    return { email: user.email };
  });
}

const inviteFormSchema = z.object({
  role: userRoleSchema,
  email: z.union([z.literal(''), emailSchema]).transform((v) => (v === '' ? undefined : v)),
  projectId: z.union([z.literal(''), z.coerce.number().int().positive('choose a project')]).transform((v) => (v === '' ? undefined : v)),
});

export async function createInviteAction(input: Record<string, string>): Promise<ActionResult<{ url: string }>> {
  return runAction(inviteFormSchema, input, async (data, actor) => {
    assertAdmin(actor);
    const { url } = await createInvite(actor.id, data);
    revalidatePath('/admin');
    return { url };
  });
}

export async function revokeInviteAction(input: { id: number }): Promise<ActionResult<{ id: number }>> {
  return runAction(z.object({ id: z.number().int().positive() }), input, async (data, actor) => {
    assertAdmin(actor);
    await revokeInvite(data.id);
    revalidatePath('/admin');
    return { id: data.id };
  });
}
