import type { MemberRole, UserRole } from './roles';

/** Who is acting: a signed-in user, an API token's user, or the local CLI (full access to its data directory). */
export type Actor = { id: string | null; role: UserRole; name: string; email: string | null; via: 'session' | 'token' | 'cli' };

export const CLI_ACTOR: Actor = { id: null, role: 'admin', name: 'cli', email: null, via: 'cli' };

/** Membership of the actor in one project (null when not a member). */
export type ProjectAccess = { memberRole: MemberRole | null };

export function isAdmin(actor: Actor): boolean {
  return actor.role === 'admin';
}

export function canCreateProjects(actor: Actor): boolean {
  return actor.role === 'admin' || actor.role === 'researcher';
}

/** Annotators see only projects they belong to; admins see all. */
export function canViewProject(actor: Actor, access: ProjectAccess): boolean {
  return isAdmin(actor) || access.memberRole !== null;
}

/** Researchers of the project (and admins) manage it: settings, imports, jobs, exports. */
export function canManageProject(actor: Actor, access: ProjectAccess): boolean {
  return isAdmin(actor) || (access.memberRole === 'researcher' && actor.role !== 'annotator');
}
