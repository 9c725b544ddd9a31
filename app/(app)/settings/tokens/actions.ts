'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { createApiToken, revokeApiToken } from '@/db/queries/api-tokens';
import { AppError } from '@/lib/errors';
import { createTokenSchema } from '@/lib/auth/schemas';
import { runAction, type ActionResult } from '@/app/_lib/action';

export async function createTokenAction(input: { name: string }): Promise<ActionResult<{ id: number; token: string }>> {
  return runAction(createTokenSchema, input, async (data, actor) => {
    if (!actor.id) throw new AppError('forbidden', 'You do not have access to this resource');
    const { token, summary } = await createApiToken(actor.id, data);
    revalidatePath('/settings/tokens');
    return { id: summary.id, token };
  });
}

export async function revokeTokenAction(input: { id: number }): Promise<ActionResult<{ id: number }>> {
  return runAction(z.object({ id: z.number().int().positive() }), input, async (data, actor) => {
    if (!actor.id || !(await revokeApiToken(actor.id, data.id))) throw new AppError('not-found', `token ${data.id} not found`);
    revalidatePath('/settings/tokens');
    return { id: data.id };
  });
}
