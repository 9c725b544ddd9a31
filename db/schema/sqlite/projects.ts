/** Projects, their guideline history and per-project membership. */
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { MEMBER_ROLES } from '../../../lib/auth/roles';
import { users } from './accounts';
import { createdAt } from './columns';

export const projects = sqliteTable('projects', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  /** Validated by lib/projects/settings.ts: task kinds, overlap, strength scale, justification, attributes, gold rate… */
  settings: text('settings', { mode: 'json' }).notNull(),
  /** Markdown shown to annotators; every change bumps the version (history in project_guidelines). */
  guidelines: text('guidelines').notNull().default(''),
  guidelinesVersion: integer('guidelines_version').notNull().default(1),
  /** Summary written by the recompute-stats job (counts, per-system win rates). */
  stats: text('stats', { mode: 'json' }),
  statsUpdatedAt: integer('stats_updated_at', { mode: 'timestamp_ms' }),
  isDemo: integer('is_demo', { mode: 'boolean' }).notNull().default(false),
  createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
  archivedAt: integer('archived_at', { mode: 'timestamp_ms' }),
});

/** The owning project; rows go when the project goes. */
export const projectRef = () =>
  integer('project_id')
    .notNull()
    .references(() => projects.id, { onDelete: 'cascade' });

export const projectGuidelines = sqliteTable(
  'project_guidelines',
  {
    projectId: projectRef(),
    version: integer('version').notNull(),
    markdown: text('markdown').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.version] })],
);

export const projectMembers = sqliteTable(
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
