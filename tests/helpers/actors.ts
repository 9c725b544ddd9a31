import { createUserWithPassword } from '@/db/queries/users';
import type { Actor } from '@/lib/auth/access';
import type { UserRole } from '@/lib/auth/roles';

let counter = 0;

/** A real user with a password (created through better-auth's hashing), as an Actor. */
export async function createActor(role: UserRole, name = `${role}-${++counter}`): Promise<Actor & { id: string; email: string; password: string }> {
  const email = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}@example.com`;
  const password = `pw-${name}-secret`;
  const user = await createUserWithPassword({ name, email, password, role });
  return { id: user.id, role, name, email, password, via: 'session' };
}
