/**
 * Every table of Arbiter, for the database this process runs on. Import from `@/db/schema`.
 *
 * The table definitions exist twice: db/schema/sqlite (the embedded SQLite file) and db/schema/pg
 * (PostgreSQL), one file per domain (docs/architecture.md "Data model"), kept identical in names,
 * constraints and JavaScript types by tests/unit/db/schema-parity.test.ts. Times are milliseconds since the
 * epoch (SQLite integer `timestamp_ms`, PostgreSQL bigint), read as Dates.
 *
 * The tables are picked here, at import time, because the dialect is fixed when the process starts
 * (db/dialect.ts) and every query module imports these objects directly: picking once keeps the query
 * code free of per-call branching. They are typed as the SQLite tables so that query code is written and
 * type-checked once; that is sound because the PostgreSQL tables have the same row and insert types
 * (checked at compile time by the parity test), and the drizzle builders of both dialects accept the same
 * calls as long as code avoids the driver-specific ones (docs in db/client.ts).
 */
import { isPostgres } from '../dialect';
import * as pgTables from './pg';
import * as sqliteTables from './sqlite';

const tables = (isPostgres ? pgTables : sqliteTables) as unknown as typeof sqliteTables;

// Every table, listed by name: the parity test fails when a table is added to the schemas but not here.
export const {
  users,
  sessions,
  accounts,
  verifications,
  apiTokens,
  signInAttempts,
  rateLimits,
  projects,
  projectGuidelines,
  projectMembers,
  invites,
  prompts,
  responses,
  items,
  assignments,
  judgments,
  comparisons,
  jobs,
  jobMetrics,
  models,
  modelScores,
  leaderboards,
  responseFeatures,
  workers,
} = tables;

export type User = typeof users.$inferSelect;
export type Project = typeof projects.$inferSelect;
export type NewProject = typeof projects.$inferInsert;
export type Prompt = typeof prompts.$inferSelect;
export type Response = typeof responses.$inferSelect;
export type Item = typeof items.$inferSelect;
export type Judgment = typeof judgments.$inferSelect;
export type Comparison = typeof comparisons.$inferSelect;
export type Job = typeof jobs.$inferSelect;
export type JobMetric = typeof jobMetrics.$inferSelect;
export type ApiToken = typeof apiTokens.$inferSelect;
export type Invite = typeof invites.$inferSelect;
export type WorkerRow = typeof workers.$inferSelect;
