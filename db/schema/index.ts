/**
 * Every table of Arbiter, one file per domain (docs/architecture.md "Data model"). Import from
 * `@/db/schema`. Times are integer milliseconds since the epoch (`timestamp_ms`).
 */
import type { apiTokens, users } from './accounts';
import type { comparisons, items, judgments } from './annotation';
import type { prompts, responses } from './content';
import type { invites } from './invites';
import type { jobMetrics, jobs } from './jobs';
import type { projects } from './projects';

export * from './accounts';
export * from './annotation';
export * from './content';
export * from './invites';
export * from './jobs';
export * from './models';
export * from './projects';

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
