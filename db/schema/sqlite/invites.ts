/**
 * Invites, in a file of their own: an invite names both a user and a project, and projects.ts imports
 * accounts.ts, so keeping them in accounts.ts made the two files import each other.
 */
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { USER_ROLES } from '../../../lib/auth/roles';
import { users } from './accounts';
import { createdAt } from './columns';
import { projects } from './projects';

/** One-time links: admin invitations and the first-start setup link (role admin). */
export const invites = sqliteTable('invites', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  tokenHash: text('token_hash').notNull().unique(),
  role: text('role', { enum: USER_ROLES }).notNull(),
  email: text('email'),
  projectId: integer('project_id').references(() => projects.id, { onDelete: 'cascade' }),
  createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  usedAt: integer('used_at', { mode: 'timestamp_ms' }),
  usedBy: text('used_by').references(() => users.id, { onDelete: 'set null' }),
  /** Refused acceptances with an email that already has an account; the link locks at INVITE_MAX_FAILED_ATTEMPTS (db/queries/invites.ts). */
  failedAttempts: integer('failed_attempts').notNull().default(0),
  createdAt: createdAt(),
});
