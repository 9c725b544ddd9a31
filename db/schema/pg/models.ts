/** Models, scores, leaderboards and features, as in ../sqlite/models.ts (which documents the columns); the two must stay identical. */
import { doublePrecision, index, integer, json, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { MODEL_STATUSES } from '../../../lib/ml/kinds';
import { bytea, createdAt } from './columns';
import { responses } from './content';
import { jobs } from './jobs';
import { projectRef } from './projects';

export const models = pgTable(
  'models',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: projectRef(),
    jobId: integer('job_id').references(() => jobs.id, { onDelete: 'set null' }),
    kind: text('kind').notNull(),
    name: text('name').notNull(),
    config: json('config').notNull(),
    metrics: json('metrics'),
    artifactPath: text('artifact_path'),
    backend: text('backend'),
    status: text('status', { enum: MODEL_STATUSES }).notNull().default('training'),
    createdAt: createdAt(),
  },
  (t) => [index('models_project_idx').on(t.projectId)],
);

export const modelScores = pgTable(
  'model_scores',
  {
    modelId: integer('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    responseId: integer('response_id')
      .notNull()
      .references(() => responses.id, { onDelete: 'cascade' }),
    score: doublePrecision('score').notNull(),
    uncertainty: doublePrecision('uncertainty'),
  },
  (t) => [primaryKey({ columns: [t.modelId, t.responseId] })],
);

export const leaderboards = pgTable(
  'leaderboards',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: projectRef(),
    jobId: integer('job_id').references(() => jobs.id, { onDelete: 'set null' }),
    method: text('method').notNull(),
    config: json('config').notNull(),
    result: json('result').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('leaderboards_project_idx').on(t.projectId, t.method)],
);

export const responseFeatures = pgTable(
  'response_features',
  {
    responseId: integer('response_id')
      .notNull()
      .references(() => responses.id, { onDelete: 'cascade' }),
    featurizer: text('featurizer').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.responseId, t.featurizer] })],
);
