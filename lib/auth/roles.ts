/**
 * Who may do what: the global role of a user and the role of a member in one project. Domain names, so
 * they live in lib/ (db/schema/ stores them as text enums and imports them from here).
 */

/** Global role: admin manages everything; researcher creates projects; annotator labels. */
export const USER_ROLES = ['admin', 'researcher', 'annotator'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** Role within one project (project_members.role). */
export const MEMBER_ROLES = ['researcher', 'annotator'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];
