/** Prompts and responses, as in ../sqlite/content.ts (which documents the columns); the two must stay identical. */
import { sql } from 'drizzle-orm';
import { index, integer, json, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt } from './columns';
import { projectRef } from './projects';

export const prompts = pgTable(
  'prompts',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: projectRef(),
    messages: json('messages').notNull(),
    contentHash: text('content_hash').notNull(),
    tags: json('tags').notNull().default(sql`'[]'::json`),
    split: text('split', { enum: ['train', 'test', 'unassigned'] }).notNull().default('unassigned'),
    metadata: json('metadata'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('prompts_project_hash_idx').on(t.projectId, t.contentHash)],
);

export const responses = pgTable(
  'responses',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: projectRef(),
    promptId: integer('prompt_id')
      .notNull()
      .references(() => prompts.id, { onDelete: 'cascade' }),
    system: text('system').notNull(),
    content: text('content').notNull(),
    contentHash: text('content_hash').notNull(),
    metadata: json('metadata'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('responses_prompt_hash_idx').on(t.promptId, t.system, t.contentHash),
    index('responses_project_system_idx').on(t.projectId, t.system),
  ],
);
