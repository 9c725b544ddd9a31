/** Invites, as in ../sqlite/invites.ts (which documents the columns and why they have a file of their own). */
import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { USER_ROLES } from '../../../lib/auth/roles';
import { users } from './accounts';
import { createdAt, timestampMs } from './columns';
import { projects } from './projects';

export const invites = pgTable('invites', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  tokenHash: text('token_hash').notNull().unique(),
  role: text('role', { enum: USER_ROLES }).notNull(),
  email: text('email'),
  projectId: integer('project_id').references(() => projects.id, { onDelete: 'cascade' }),
  createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
  expiresAt: timestampMs('expires_at').notNull(),
  usedAt: timestampMs('used_at'),
  usedBy: text('used_by').references(() => users.id, { onDelete: 'set null' }),
  failedAttempts: integer('failed_attempts').notNull().default(0),
  createdAt: createdAt(),
});
