'use server';
import { acceptInvite } from '@/db/queries/invites';
import { acceptInviteSchema } from '@/lib/auth/schemas';
import { formatZodIssues } from '@/lib/errors';
import type { ActionResult } from '@/app/_lib/action';
import { describeError } from '@/app/_lib/errors';

/** Public: creates the account an invite link allows (the browser then signs in with it). */
export async function acceptInviteAction(input: { token: string; name: string; email: string; password: string }): Promise<ActionResult<{ email: string }>> {
  const parsed = acceptInviteSchema.safeParse(input);
  if (!parsed.success) {
    const { message, field } = formatZodIssues(parsed.error, 'input');
    return { ok: false, error: message, field };
  }
  try {
    const user = await acceptInvite(parsed.data);
    return { ok: true, data: { email: user.email } };
  } catch (error) {
    return { ok: false, error: describeError(error).message };
  }
}
