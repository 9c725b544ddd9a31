/** Reward-model records (`models` rows of kind reward-*), their files under <data dir>/models/<id>/, and re-annotation of flagged pairs. */
import fs from 'node:fs';
import path from 'node:path';
import { and, desc, eq, like } from 'drizzle-orm';
import type { Actor } from '@/lib/auth/access';
import { AppError, isAppError } from '@/lib/errors';
import { dataDir } from '@/lib/env';
import { resolveCheckpoint } from '@/lib/checkpoints';
import { enqueueJob } from './queue';
import { rewardModelSettingsSchema, type RewardModelSettings } from '@/lib/jobs/train-reward-model';
import { items, jobs, models } from '../schema';
import { getDb } from '../client';
import { getJobForActor, getProjectJobForActor, type JobView } from './jobs';
import { assertCanManageProject } from './projects';

export type RewardModelRecord = {
  id: number;
  projectId: number;
  jobId: number | null;
  kind: string;
  name: string;
  status: 'training' | 'ready' | 'failed';
  config: Record<string, unknown>;
  metrics: Record<string, unknown> | null;
  backend: string | null;
  artifactPath: string | null;
  createdAt: Date;
  job: { status: string; progress: number; message: string | null; lastError: string | null } | null;
};

export const REWARD_KIND_PREFIX = 'reward-';

export const modelDirectory = (modelId: number) => path.join(dataDir(), 'models', String(modelId));

/** A `models` row with its job, as the doors show it (reward models and policies alike). */
export function modelRecord(row: typeof models.$inferSelect, job: typeof jobs.$inferSelect | null, kind: string): RewardModelRecord {
  return {
    id: row.id,
    projectId: row.projectId,
    jobId: row.jobId,
    kind,
    name: row.name,
    status: row.status,
    config: row.config as Record<string, unknown>,
    metrics: (row.metrics as Record<string, unknown> | null) ?? null,
    backend: row.backend,
    artifactPath: row.artifactPath,
    createdAt: row.createdAt,
    job: job ? { status: job.status, progress: job.progress, message: job.message, lastError: job.lastError } : null,
  };
}

const toRecord = (row: typeof models.$inferSelect, job: typeof jobs.$inferSelect | null) => modelRecord(row, job, row.kind.slice(REWARD_KIND_PREFIX.length));

/** Comparisons with response texts on both sides: what reward models and alignment can train on. */
export function usablePairs(projectId: number): number {
  return getDb()
    .$client.prepare(
      `select count(*) from comparisons c join responses a on a.id = c.winner_response_id join responses b on b.id = c.loser_response_id
       where c.project_id = ? and c.winner_response_id != c.loser_response_id and a.content != '' and b.content != ''`,
    )
    .pluck()
    .get(projectId) as number;
}

/** Creates the model record and enqueues its training job, in one transaction. */
export function startRewardModelTraining(actor: Actor, projectId: number, input: RewardModelSettings & { name?: string }): { model: RewardModelRecord; jobId: number } {
  assertCanManageProject(actor, projectId);
  const settings = rewardModelSettingsSchema.parse(input);
  if (settings.featurizer === 'transformer' && settings.kind !== 'bt') throw new AppError('invalid', 'the transformer featurizer is offered with kind bt');
  if (settings.featurizer === 'checkpoint') {
    if (!settings.checkpoint) throw new AppError('invalid', 'the checkpoint featurizer needs a checkpoint name (checkpoint)');
    try {
      resolveCheckpoint(settings.checkpoint);
    } catch (error) {
      throw new AppError('invalid', (error as Error).message);
    }
  } else if (settings.checkpoint) throw new AppError('invalid', 'a checkpoint is read only with featurizer checkpoint');
  const db = getDb();
  const usable = usablePairs(projectId);
  const rated = db.$client.prepare('select count(*) from judgments where project_id = ? and ratings is not null').pluck().get(projectId) as number;
  if (usable < 10 && !(settings.kind === 'regression' && rated >= 10)) throw new AppError('invalid', `project ${projectId} has ${usable} comparisons with response texts; a reward model needs at least 10`);
  const name = input.name?.trim() || `${settings.kind} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
  const { modelId, jobId } = db.transaction(() => {
    const model = db
      .insert(models)
      .values({ projectId, kind: `${REWARD_KIND_PREFIX}${settings.kind}`, name, config: settings, status: 'training' })
      .returning({ id: models.id })
      .all()[0]!;
    const job = enqueueJob(db, 'train-reward-model', { ...settings, projectId, modelId: model.id }, { projectId, createdBy: actor.id });
    db.update(models).set({ jobId: job.id }).where(eq(models.id, model.id)).run();
    return { modelId: model.id, jobId: job.id };
  });
  return { model: getRewardModel(actor, modelId), jobId };
}

export function listRewardModels(actor: Actor, projectId: number): RewardModelRecord[] {
  assertCanManageProject(actor, projectId);
  return getDb()
    .select({ model: models, job: jobs })
    .from(models)
    .leftJoin(jobs, eq(jobs.id, models.jobId))
    .where(and(eq(models.projectId, projectId), like(models.kind, `${REWARD_KIND_PREFIX}%`)))
    .orderBy(desc(models.id))
    .all()
    .map((r) => toRecord(r.model, r.job));
}

/**
 * assertCanManageProject for a resource reached by its own id: when the caller cannot see the resource's
 * project, the answer is `notFound` — exactly what a missing id gets — so neither the resource's existence
 * nor its project's id is told (a project member who is not a researcher still gets 403).
 */
export function assertCanManageProjectOf(actor: Actor, projectId: number, notFound: string): void {
  try {
    assertCanManageProject(actor, projectId);
  } catch (error) {
    if (isAppError(error, 'not-found')) throw new AppError('not-found', notFound);
    throw error;
  }
}

/** A reward model, for researchers of its project (for anyone who cannot see the project: the same 404 as a missing id). */
export function getRewardModel(actor: Actor, modelId: number): RewardModelRecord {
  const notFound = `model ${modelId} not found`;
  const row = getDb().select({ model: models, job: jobs }).from(models).leftJoin(jobs, eq(jobs.id, models.jobId)).where(eq(models.id, modelId)).get();
  if (!row || !row.model.kind.startsWith(REWARD_KIND_PREFIX)) throw new AppError('not-found', notFound);
  assertCanManageProjectOf(actor, row.model.projectId, notFound);
  return toRecord(row.model, row.job);
}

/** The worker's view (no actor): the record by id. */
export function getRewardModelForJob(modelId: number): RewardModelRecord {
  const row = getDb().select({ model: models, job: jobs }).from(models).leftJoin(jobs, eq(jobs.id, models.jobId)).where(eq(models.id, modelId)).get();
  if (!row) throw new AppError('not-found', `model ${modelId} not found`);
  return toRecord(row.model, row.job);
}

/** Writes model.json + weights.bin and marks the model ready with its metrics. */
export function saveRewardModelFiles(modelId: number, files: { manifest: unknown; weights: Buffer }, update: { metrics: Record<string, unknown>; backend: string }): void {
  const dir = modelDirectory(modelId);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'weights.bin'), files.weights);
  fs.writeFileSync(path.join(dir, 'model.json'), `${JSON.stringify(files.manifest, null, 1)}\n`);
  getDb()
    .update(models)
    .set({ status: 'ready', metrics: update.metrics, backend: update.backend, artifactPath: path.relative(dataDir(), dir) })
    .where(eq(models.id, modelId))
    .run();
}

export function markRewardModelFailed(modelId: number, reason: string): void {
  getDb().update(models).set({ status: 'failed', metrics: { error: reason } }).where(eq(models.id, modelId)).run();
}

function assertRewardModelReady(record: RewardModelRecord): asserts record is RewardModelRecord & { artifactPath: string } {
  if (record.status !== 'ready' || !record.artifactPath) throw new AppError('conflict', `model ${record.id} is ${record.status}, not ready`);
}

/** model.json (parsed) and weights.bin of a ready model. */
export function readRewardModelFiles(record: RewardModelRecord): { manifest: unknown; weights: Buffer; dir: string } {
  assertRewardModelReady(record);
  const dir = path.join(dataDir(), record.artifactPath);
  if (!dir.startsWith(path.join(dataDir(), 'models') + path.sep)) throw new AppError('not-found', `model ${record.id} has no files`);
  return { manifest: JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as unknown, weights: fs.readFileSync(path.join(dir, 'weights.bin')), dir };
}

/** Checkpoint files of a training run (weights so far), kept beside the model. */
export const checkpointFile = (modelId: number) => path.join(modelDirectory(modelId), 'checkpoint.json');

/** Where a score-records job keeps the records it scores (SCORE_INPUT) and writes its report (SCORE_REPORT). */
export const scoreJobDirectory = (jobId: number) => path.join(dataDir(), 'scores', String(jobId));
export const SCORE_INPUT = 'records.json';
export const SCORE_REPORT = 'scores.json';

/**
 * Queues the scoring of `records` with a ready model in a worker (score calls larger than
 * ARBITER_MAX_SYNC_SCORE_ROWS). The input file is written inside the transaction that enqueues the job, so
 * no worker can claim the job before its file exists, and a failed write leaves no job behind.
 */
export function startScoringJob(actor: Actor, record: RewardModelRecord, records: unknown[]): JobView {
  assertCanManageProjectOf(actor, record.projectId, `model ${record.id} not found`);
  assertRewardModelReady(record);
  const db = getDb();
  let dir: string | undefined;
  let jobId: number;
  try {
    jobId = db.transaction(() => {
      const job = enqueueJob(db, 'score-records', { projectId: record.projectId, modelId: record.id, rows: records.length }, { projectId: record.projectId, createdBy: actor.id });
      dir = scoreJobDirectory(job.id);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, SCORE_INPUT), JSON.stringify(records));
      return job.id;
    });
  } catch (error) {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return getJobForActor(actor, jobId);
}

/**
 * The report file (the JSON a synchronous score call answers) of a succeeded score-records job of this
 * model. Any other job id — missing, hidden, another kind, another model's — gets the same 404.
 */
export function getScoringReportFile(actor: Actor, modelId: number, jobId: number): string {
  const model = getRewardModel(actor, modelId);
  const notFound = `scoring job ${jobId} not found for model ${modelId}`;
  const job = getProjectJobForActor(actor, jobId, { kind: 'score-records', projectId: model.projectId }, notFound);
  const payload = getDb().select({ payload: jobs.payload }).from(jobs).where(eq(jobs.id, jobId)).get()?.payload as { modelId?: unknown } | undefined;
  if (payload?.modelId !== modelId) throw new AppError('not-found', notFound);
  if (job.status !== 'succeeded') throw new AppError('conflict', `scoring job ${jobId} is ${job.status}, not finished; follow it at GET /api/v1/jobs/${jobId}`);
  const file = path.join(scoreJobDirectory(jobId), SCORE_REPORT);
  if (!fs.existsSync(file)) throw new AppError('not-found', `the scores of job ${jobId} are no longer on the server`);
  return file;
}

/**
 * Sends the items behind these comparisons back for annotation: each gets one more required
 * judgment and is open again. Comparisons that came from imports (no item) are reported, not changed.
 */
export function reannotateComparisons(actor: Actor, projectId: number, comparisonIds: number[]): { reopened: number; notFromItems: number } {
  assertCanManageProject(actor, projectId);
  if (comparisonIds.length === 0) return { reopened: 0, notFromItems: 0 };
  const client = getDb().$client;
  const rows = client
    .prepare(
      `select c.id, j.item_id from comparisons c left join judgments j on j.id = c.judgment_id
       where c.project_id = ? and c.id in (select value from json_each(?))`,
    )
    .all(projectId, JSON.stringify(comparisonIds)) as { id: number; item_id: number | null }[];
  const itemIds = [...new Set(rows.flatMap((r) => (r.item_id === null ? [] : [r.item_id])))];
  getDb().transaction((tx) => {
    for (const id of itemIds) {
      const item = tx.select({ required: items.requiredAnnotations, count: items.annotationCount }).from(items).where(eq(items.id, id)).get()!;
      tx.update(items)
        .set({ requiredAnnotations: Math.max(item.required, item.count) + 1, status: 'open' })
        .where(and(eq(items.id, id), eq(items.projectId, projectId)))
        .run();
    }
  });
  return { reopened: itemIds.length, notFromItems: rows.filter((r) => r.item_id === null).length };
}


/** Prompt and the two responses (winner first) of these comparisons of the project, for showing flagged pairs. */
export function describeComparisons(projectId: number, ids: number[]): { id: number; prompt: string; chosen: string; rejected: string; fromItem: boolean }[] {
  if (!ids.length) return [];
  const rows = getDb()
    .$client.prepare(
      `select c.id, p.messages, a.content as chosen, b.content as rejected, c.judgment_id is not null as from_item
       from comparisons c join prompts p on p.id = c.prompt_id join responses a on a.id = c.winner_response_id join responses b on b.id = c.loser_response_id
       where c.project_id = ? and c.id in (select value from json_each(?))`,
    )
    .all(projectId, JSON.stringify(ids)) as { id: number; messages: string; chosen: string; rejected: string; from_item: number }[];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    if (!r) return [];
    const messages = JSON.parse(r.messages) as { content: string }[];
    return [{ id, prompt: messages.at(-1)?.content ?? '', chosen: r.chosen, rejected: r.rejected, fromItem: r.from_item === 1 }];
  });
}
