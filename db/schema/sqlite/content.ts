/** Prompts (conversation up to the last user turn) and responses (one assistant message each). */
import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt } from './columns';
import { projectRef } from './projects';

/** A conversation up to (and including) the last user turn. `messages` is [{role, content}]. */
export const prompts = sqliteTable(
  'prompts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    projectId: projectRef(),
    messages: text('messages', { mode: 'json' }).notNull(),
    contentHash: text('content_hash').notNull(),
    tags: text('tags', { mode: 'json' }).notNull().default(sql`'[]'`),
    split: text('split', { enum: ['train', 'test', 'unassigned'] }).notNull().default('unassigned'),
    metadata: text('metadata', { mode: 'json' }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('prompts_project_hash_idx').on(t.projectId, t.contentHash)],
);

/** One assistant message for a prompt, with the system (model) that produced it. */
export const responses = sqliteTable(
  'responses',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    projectId: projectRef(),
    promptId: integer('prompt_id')
      .notNull()
      .references(() => prompts.id, { onDelete: 'cascade' }),
    system: text('system').notNull(),
    content: text('content').notNull(),
    contentHash: text('content_hash').notNull(),
    metadata: text('metadata', { mode: 'json' }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('responses_prompt_hash_idx').on(t.promptId, t.system, t.contentHash),
    index('responses_project_system_idx').on(t.projectId, t.system),
  ],
);
