/** Projects, as in ../sqlite/projects.ts (which documents the columns); the two must stay identical. */
import { boolean, index, integer, json, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { MEMBER_ROLES } from '../../../lib/auth/roles';
import { users } from './accounts';
import { createdAt, timestampMs } from './columns';

export const projects = pgTable('projects', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  settings: json('settings').notNull(),
  guidelines: text('guidelines').notNull().default(''),
  guidelinesVersion: integer('guidelines_version').notNull().default(1),
  stats: json('stats'),
  statsUpdatedAt: timestampMs('stats_updated_at'),
  isDemo: boolean('is_demo').notNull().default(false),
  createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
  archivedAt: timestampMs('archived_at'),
});

/** The owning project; rows go when the project goes. */
export const projectRef = () =>
  integer('project_id')
    .notNull()
    .references(() => projects.id, { onDelete: 'cascade' });

export const projectGuidelines = pgTable(
  'project_guidelines',
  {
    projectId: projectRef(),
    version: integer('version').notNull(),
    markdown: text('markdown').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.version] })],
);

export const projectMembers = pgTable(
  'project_members',
  {
    projectId: projectRef(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: MEMBER_ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] }), index('project_members_user_idx').on(t.userId)],
);
