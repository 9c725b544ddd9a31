/** What jobs produce: models, per-response model scores, leaderboards. */
import { blob, index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { MODEL_STATUSES } from '../../../lib/ml/kinds';
import { createdAt } from './columns';
import { responses } from './content';
import { jobs } from './jobs';
import { projectRef } from './projects';

/** A fitted reward model or policy; `artifactPath` is the prefix of its files in the artifact store (lib/artifacts/keys.ts). */
export const models = sqliteTable(
  'models',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    projectId: projectRef(),
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
    projectId: projectRef(),
    jobId: integer('job_id').references(() => jobs.id, { onDelete: 'set null' }),
    method: text('method').notNull(),
    config: text('config', { mode: 'json' }).notNull(),
    result: text('result', { mode: 'json' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('leaderboards_project_idx').on(t.projectId, t.method)],
);

/** Features of a response under one featurizer configuration (`featurizer` = its key), computed once and reused by every fit. */
export const responseFeatures = sqliteTable(
  'response_features',
  {
    responseId: integer('response_id')
      .notNull()
      .references(() => responses.id, { onDelete: 'cascade' }),
    featurizer: text('featurizer').notNull(),
    /** Packed sparse vector (lib/ml/features/hashed-ngrams.ts packSparse). */
    data: blob('data', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.responseId, t.featurizer] })],
);
