/** The job queue (docs/decisions/0001) and the metric points jobs report. */
import { index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { JOB_STATUSES } from '../../../lib/jobs/statuses';
import { users } from './accounts';
import { createdAt, now } from './columns';
import { projects } from './projects';

export const jobs = sqliteTable(
  'jobs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Registry key, e.g. 'recompute-stats'. */
    kind: text('kind').notNull(),
    payload: text('payload', { mode: 'json' }).notNull(),
    status: text('status', { enum: JOB_STATUSES }).notNull().default('queued'),
    /** Higher runs sooner. */
    priority: integer('priority').notNull().default(0),
    projectId: integer('project_id').references(() => projects.id, { onDelete: 'cascade' }),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(3),
    /** Not before this time; pushed back by the retry backoff. */
    runAt: integer('run_at', { mode: 'timestamp_ms' }).notNull().default(now),
    lockedBy: text('locked_by'),
    lockedAt: integer('locked_at', { mode: 'timestamp_ms' }),
    heartbeatAt: integer('heartbeat_at', { mode: 'timestamp_ms' }),
    progress: real('progress').notNull().default(0),
    message: text('message'),
    /** Written by handlers so a retry resumes instead of restarting. */
    checkpoint: text('checkpoint', { mode: 'json' }),
    result: text('result', { mode: 'json' }),
    lastError: text('last_error'),
    cancelRequestedAt: integer('cancel_requested_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }),
    finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
  },
  (t) => [
    index('jobs_claim_idx').on(t.status, t.priority, t.runAt),
    index('jobs_project_idx').on(t.projectId, t.id),
  ],
);

export const jobMetrics = sqliteTable(
  'job_metrics',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    jobId: integer('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    step: integer('step').notNull(),
    name: text('name').notNull(),
    value: real('value').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('job_metrics_job_idx').on(t.jobId, t.name, t.step)],
);
