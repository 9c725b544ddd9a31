import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { getAuth } from '@/db/queries/auth';
import type { Actor } from '@/lib/auth/access';
import { userRoleSchema } from '@/lib/auth/schemas';

/** The signed-in person, or null. */
export async function getActor(): Promise<Actor | null> {
  const session = await getAuth().api.getSession({ headers: await headers() });
  if (!session) return null;
  const role = userRoleSchema.safeParse((session.user as { role?: unknown }).role);
  return { id: session.user.id, role: role.success ? role.data : 'annotator', name: session.user.name, email: session.user.email, via: 'session' };
}

/** The signed-in person; otherwise a redirect to the sign-in page. */
export async function requireActor(): Promise<Actor> {
  const actor = await getActor();
  if (!actor) redirect('/sign-in');
  return actor;
}
