/** The worker registry, as in ../sqlite/workers.ts (which documents the columns); the two must stay identical. */
import { index, integer, json, pgTable, text } from 'drizzle-orm/pg-core';
import { timestampMs } from './columns';

export const workers = pgTable(
  'workers',
  {
    id: text('id').primaryKey(),
    host: text('host').notNull(),
    pid: integer('pid').notNull(),
    kinds: json('kinds').$type<string[]>(),
    backend: text('backend'),
    gpu: text('gpu'),
    version: text('version').notNull(),
    startedAt: timestampMs('started_at').notNull(),
    heartbeatAt: timestampMs('heartbeat_at').notNull(),
    currentJobId: integer('current_job_id'),
    stoppedAt: timestampMs('stopped_at'),
  },
  (t) => [index('workers_heartbeat_idx').on(t.heartbeatAt)],
);
