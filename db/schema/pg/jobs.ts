/** The job queue and its metric points, as in ../sqlite/jobs.ts (which documents the columns); the two must stay identical. */
import { doublePrecision, index, integer, json, pgTable, text } from 'drizzle-orm/pg-core';
import { JOB_STATUSES } from '../../../lib/jobs/statuses';
import { users } from './accounts';
import { createdAt, now, timestampMs } from './columns';
import { projects } from './projects';

export const jobs = pgTable(
  'jobs',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    kind: text('kind').notNull(),
    payload: json('payload').notNull(),
    status: text('status', { enum: JOB_STATUSES }).notNull().default('queued'),
    priority: integer('priority').notNull().default(0),
    projectId: integer('project_id').references(() => projects.id, { onDelete: 'cascade' }),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(3),
    runAt: timestampMs('run_at').notNull().default(now),
    lockedBy: text('locked_by'),
    lockedAt: timestampMs('locked_at'),
    heartbeatAt: timestampMs('heartbeat_at'),
    progress: doublePrecision('progress').notNull().default(0),
    message: text('message'),
    checkpoint: json('checkpoint'),
    result: json('result'),
    lastError: text('last_error'),
    cancelRequestedAt: timestampMs('cancel_requested_at'),
    createdAt: createdAt(),
    startedAt: timestampMs('started_at'),
    finishedAt: timestampMs('finished_at'),
  },
  (t) => [
    index('jobs_claim_idx').on(t.status, t.priority, t.runAt),
    index('jobs_project_idx').on(t.projectId, t.id),
  ],
);

export const jobMetrics = pgTable(
  'job_metrics',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    jobId: integer('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    step: integer('step').notNull(),
    name: text('name').notNull(),
    value: doublePrecision('value').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('job_metrics_job_idx').on(t.jobId, t.name, t.step)],
);
