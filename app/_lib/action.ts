import type { z } from 'zod';
import { ZodError } from 'zod';
import type { Actor } from '@/lib/auth/access';
import { formatZodIssues } from '@/lib/errors';
import { getActor } from './session';
import { describeError } from './errors';

/** What every server action returns, so every form handles one shape: success with data, or a message naming the field. */
export type ActionResult<T = undefined> = { ok: true; data: T } | { ok: false; error: string; field?: string };

/**
 * parse → authorise → one call → return, for every server action. Expected failures become
 * `{ ok: false, error }`; the action itself never throws at the browser.
 */
export async function runAction<S extends z.ZodType, T>(schema: S, input: unknown, fn: (data: z.output<S>, actor: Actor) => Promise<T> | T): Promise<ActionResult<T>> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const { message, field } = formatZodIssues(parsed.error);
    return { ok: false, error: message, field };
  }
  const actor = await getActor();
  if (!actor) return { ok: false, error: 'You are signed out. Sign in again.' };
  try {
    return { ok: true, data: await fn(parsed.data, actor) };
  } catch (error) {
    if (error instanceof ZodError) return { ok: false, error: formatZodIssues(error, 'input').message };
    return { ok: false, error: describeError(error).message };
  }
}
