/**
 * Every table of Arbiter, in one file (ARCHITECTURE.md "Data model").
 * Auth tables (users, sessions, accounts, verifications) follow better-auth's model;
 * the rest is the preference domain, the job queue and what jobs produce.
 * Times are integer milliseconds since the epoch (`timestamp_ms`).
 */
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { JOB_STATUSES } from '../lib/jobs/statuses';

export { JOB_STATUSES, type JobStatus } from '../lib/jobs/statuses';

const now = sql`(cast(unixepoch('subsecond') * 1000 as integer))`;
const createdAt = () => integer('created_at', { mode: 'timestamp_ms' }).notNull().default(now);

export const USER_ROLES = ['admin', 'researcher', 'annotator'] as const;
export type UserRole = (typeof USER_ROLES)[number];
export const MEMBER_ROLES = ['researcher', 'annotator'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

// ── accounts (better-auth) ───────────────────────────────────────────────────
export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email').notNull().unique(),
  emailVerified: integer('email_verified', { mode: 'boolean' }).notNull().default(false),
  image: text('image'),
  /** Global role: admin manages everything; researcher creates projects; annotator labels. */
  role: text('role', { enum: USER_ROLES }).notNull().default('annotator'),
  /** Simulated annotators of generated data have no password and cannot sign in. */
  isSimulated: integer('is_simulated', { mode: 'boolean' }).notNull().default(false),
  createdAt: createdAt(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull().default(now),
});

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    token: text('token').notNull().unique(),
    ipAddress: text('ip_address'),
    userAgent: text('user_agent'),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull().default(now),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const accounts = sqliteTable(
  'accounts',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    providerId: text('provider_id').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    accessToken: text('access_token'),
    refreshToken: text('refresh_token'),
    idToken: text('id_token'),
    accessTokenExpiresAt: integer('access_token_expires_at', { mode: 'timestamp_ms' }),
    refreshTokenExpiresAt: integer('refresh_token_expires_at', { mode: 'timestamp_ms' }),
    scope: text('scope'),
    /** better-auth's scrypt hash; never written by Arbiter's own code. */
    password: text('password'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull().default(now),
  },
  (t) => [index('accounts_user_idx').on(t.userId)],
);

export const verifications = sqliteTable('verifications', {
  id: text('id').primaryKey(),
  identifier: text('identifier').notNull(),
  value: text('value').notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  createdAt: createdAt(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull().default(now),
});

/** Per-user API tokens for /api/v1 and scripts; only a SHA-256 of the token is stored. */
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    /** First characters of the token, shown so a user can tell tokens apart. */
    prefix: text('prefix').notNull(),
    createdAt: createdAt(),
    lastUsedAt: integer('last_used_at', { mode: 'timestamp_ms' }),
    revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('api_tokens_user_idx').on(t.userId)],
);

/** One-time links: admin invitations and the first-start setup link (role admin). */
export const invites = sqliteTable('invites', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  tokenHash: text('token_hash').notNull().unique(),
  role: text('role', { enum: USER_ROLES }).notNull(),
  email: text('email'),
  projectId: integer('project_id').references(() => projects.id, { onDelete: 'cascade' }),
  createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  usedAt: integer('used_at', { mode: 'timestamp_ms' }),
  usedBy: text('used_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
});

// ── projects ────────────────────────────────────────────────────────────────
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

export const projectGuidelines = sqliteTable(
  'project_guidelines',
  {
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    markdown: text('markdown').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.version] })],
);

export const projectMembers = sqliteTable(
  'project_members',
  {
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: MEMBER_ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] }), index('project_members_user_idx').on(t.userId)],
);

// ── content ─────────────────────────────────────────────────────────────────
/** A conversation up to (and including) the last user turn. `messages` is [{role, content}]. */
export const prompts = sqliteTable(
  'prompts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
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
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
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

export const ITEM_KINDS = ['pair', 'ranking', 'rating'] as const;
export const ITEM_STATUSES = ['open', 'complete', 'disabled'] as const;

/** One unit of annotation: a pair, or a list of k responses to rank or rate. */
export const items = sqliteTable(
  'items',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    promptId: integer('prompt_id')
      .notNull()
      .references(() => prompts.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ITEM_KINDS }).notNull(),
    /** Ordered response ids (canonical order; the shown order is per assignment). */
    responseIds: text('response_ids', { mode: 'json' }).$type<number[]>().notNull(),
    requiredAnnotations: integer('required_annotations').notNull().default(1),
    /** Judgments received so far; kept in step with `judgments` inside the same transaction. */
    annotationCount: integer('annotation_count').notNull().default(0),
    isGold: integer('is_gold', { mode: 'boolean' }).notNull().default(false),
    goldAnswer: text('gold_answer', { mode: 'json' }),
    status: text('status', { enum: ITEM_STATUSES }).notNull().default('open'),
    /** Higher is served sooner (active learning writes it). */
    priority: real('priority').notNull().default(0),
    /** Dataset round (iterative alignment) this item belongs to. */
    round: integer('round').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [index('items_queue_idx').on(t.projectId, t.status, t.annotationCount)],
);

export const ASSIGNMENT_STATUSES = ['active', 'submitted', 'expired', 'skipped'] as const;

/** Which annotator holds which item; a lease that expires returns the item to the pool. */
export const assignments = sqliteTable(
  'assignments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    itemId: integer('item_id')
      .notNull()
      .references(() => items.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: ASSIGNMENT_STATUSES }).notNull().default('active'),
    /** Response ids in the order shown to this annotator (sides randomised per assignment). */
    shownOrder: text('shown_order', { mode: 'json' }).$type<number[]>().notNull(),
    leasedAt: integer('leased_at', { mode: 'timestamp_ms' }).notNull().default(now),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('assignments_item_user_idx').on(t.itemId, t.userId),
    index('assignments_status_idx').on(t.status, t.expiresAt),
  ],
);

export const WINNERS = ['a', 'b', 'tie', 'both_bad'] as const;
export type Winner = (typeof WINNERS)[number];
export const LABEL_SOURCES = ['human', 'judge', 'synthetic', 'imported', 'implicit'] as const;
export type LabelSource = (typeof LABEL_SOURCES)[number];

/** One answer of one annotator to one item. The id is generated by the client (idempotent submit). */
export const judgments = sqliteTable(
  'judgments',
  {
    id: text('id').primaryKey(),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    itemId: integer('item_id')
      .notNull()
      .references(() => items.id, { onDelete: 'cascade' }),
    userId: text('user_id').references(() => users.id, { onDelete: 'set null' }),
    assignmentId: integer('assignment_id').references(() => assignments.id, { onDelete: 'set null' }),
    /** Pairwise: 'a' / 'b' refer to items.responseIds[0] / [1] (canonical, not shown, order). */
    winner: text('winner', { enum: WINNERS }),
    /** −3..+3 (7-point) or −1..+1 (3-point), positive favours the winner; null when strength is off. */
    strength: integer('strength'),
    justification: text('justification'),
    /** Ranking: tie groups of response ids, best first, e.g. [[12],[14,15],[13]]. */
    ranking: text('ranking', { mode: 'json' }).$type<number[][]>(),
    /** Ratings: { [responseId]: { [attribute]: 0..4 } }. */
    ratings: text('ratings', { mode: 'json' }).$type<Record<string, Record<string, number>>>(),
    shownOrder: text('shown_order', { mode: 'json' }).$type<number[]>(),
    guidelinesVersion: integer('guidelines_version'),
    timeSpentMs: integer('time_spent_ms'),
    labelSource: text('label_source', { enum: LABEL_SOURCES }).notNull().default('human'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull().default(now),
  },
  (t) => [index('judgments_project_idx').on(t.projectId), index('judgments_item_idx').on(t.itemId, t.userId)],
);

/** Pairwise facts derived from judgments and imports: the one table fits and exports read. */
export const comparisons = sqliteTable(
  'comparisons',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    promptId: integer('prompt_id')
      .notNull()
      .references(() => prompts.id, { onDelete: 'cascade' }),
    judgmentId: text('judgment_id').references(() => judgments.id, { onDelete: 'cascade' }),
    /** With isTie, winner/loser are just the two sides (winner = canonical first). */
    winnerResponseId: integer('winner_response_id')
      .notNull()
      .references(() => responses.id, { onDelete: 'cascade' }),
    loserResponseId: integer('loser_response_id')
      .notNull()
      .references(() => responses.id, { onDelete: 'cascade' }),
    isTie: integer('is_tie', { mode: 'boolean' }).notNull().default(false),
    tieKind: text('tie_kind', { enum: ['both_good', 'both_bad'] }),
    strength: real('strength'),
    weight: real('weight').notNull().default(1),
    annotatorId: text('annotator_id'),
    labelSource: text('label_source', { enum: LABEL_SOURCES }).notNull().default('human'),
    /** Rankings expand into several comparisons sharing a group. */
    groupId: text('group_id'),
    createdAt: createdAt(),
  },
  (t) => [index('comparisons_project_idx').on(t.projectId, t.id), index('comparisons_judgment_idx').on(t.judgmentId)],
);

// ── jobs ────────────────────────────────────────────────────────────────────

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

// ── what jobs produce ───────────────────────────────────────────────────────
export const MODEL_STATUSES = ['training', 'ready', 'failed'] as const;

/** A fitted reward model or policy; weights live under the data directory at `artifactPath`. */
export const models = sqliteTable(
  'models',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    jobId: integer('job_id').references(() => jobs.id, { onDelete: 'set null' }),
    kind: text('kind').notNull(),
    name: text('name').notNull(),
    config: text('config', { mode: 'json' }).notNull(),
    metrics: text('metrics', { mode: 'json' }),
    /** Relative to the data directory. */
    artifactPath: text('artifact_path'),
    /** TensorFlow.js backend the run used (tensorflow-gpu, tensorflow, wasm, cpu). */
    backend: text('backend'),
    status: text('status', { enum: MODEL_STATUSES }).notNull().default('training'),
    createdAt: createdAt(),
  },
  (t) => [index('models_project_idx').on(t.projectId)],
);

export const modelScores = sqliteTable(
  'model_scores',
  {
    modelId: integer('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    responseId: integer('response_id')
      .notNull()
      .references(() => responses.id, { onDelete: 'cascade' }),
    score: real('score').notNull(),
    uncertainty: real('uncertainty'),
  },
  (t) => [primaryKey({ columns: [t.modelId, t.responseId] })],
);

export const leaderboards = sqliteTable(
  'leaderboards',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    jobId: integer('job_id').references(() => jobs.id, { onDelete: 'set null' }),
    method: text('method').notNull(),
    config: text('config', { mode: 'json' }).notNull(),
    result: text('result', { mode: 'json' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('leaderboards_project_idx').on(t.projectId, t.method)],
);

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
