/**
 * The worker registry: one row per worker process (docs/architecture.md#jobs). A worker upserts its row when
 * it starts, beats `heartbeat_at` every ARBITER_HEARTBEAT_MS (idle or not), and sets `stopped_at` when it
 * shuts down gracefully; a row whose heartbeat is older than ARBITER_STALE_MS is a worker that died or hangs.
 * Rows of stopped or dead workers are pruned a day later. The queue does not depend on this table (a job's
 * own lock and heartbeat decide who holds it); the registry says who is there, for people and for a queued
 * job's "waiting for a worker that runs …".
 */
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const workers = sqliteTable(
  'workers',
  {
    /** The worker id, `host:pid` (what jobs.locked_by holds while it runs a job). */
    id: text('id').primaryKey(),
    host: text('host').notNull(),
    pid: integer('pid').notNull(),
    /** The job kinds it claims (a JSON list), or null: every kind. */
    kinds: text('kinds', { mode: 'json' }).$type<string[]>(),
    /**
     * The TensorFlow.js backend: at start what is known without loading tfjs (ARBITER_ML_BACKEND, or for
     * `auto` the first native package that resolves, marked `auto:`); after its first ML job, the one in use.
     */
    backend: text('backend'),
    /** The GPU tfjs-node-gpu runs on, when it is the backend in use. */
    gpu: text('gpu'),
    /** Arbiter's version (package.json) the worker runs. */
    version: text('version').notNull(),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
    heartbeatAt: integer('heartbeat_at', { mode: 'timestamp_ms' }).notNull(),
    /** The job it runs now (no foreign key: the registry never holds up a job's deletion). */
    currentJobId: integer('current_job_id'),
    stoppedAt: integer('stopped_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('workers_heartbeat_idx').on(t.heartbeatAt)],
);
