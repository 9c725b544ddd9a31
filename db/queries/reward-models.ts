/**
 * Reward-model records (`models` rows of kind reward-*), their files in the artifact store (model.json and
 * weights.bin under the prefix the row's artifact_path names), scoring jobs' inputs and reports, and
 * re-annotation of flagged pairs.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { and, count, desc, eq, inArray, isNotNull, like, ne, sql } from 'drizzle-orm';
import { artifactStore } from '@/lib/artifacts';
import { modelRoot, scoreInputKey, scoreRoot } from '@/lib/artifacts/keys';
import { checkArtifactKey, isUnder, readArtifactBytes } from '@/lib/artifacts/store';
import type { Actor } from '@/lib/auth/access';
import { AppError, isAppError } from '@/lib/errors';
import { resolveCheckpoint } from '@/lib/checkpoints';
import type { SavedRewardModel } from '@/lib/ml/load-model';
import { enqueueJob } from './queue';
import { rewardModelSettingsSchema, type RewardModelSettings } from '@/lib/jobs/train-reward-model';
import { comparisons, items, judgments, jobs, models, prompts, responses } from '../schema';
import { alias, db, withWriteTransaction } from '../client';
import { greatest } from '../sql-dialect';
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

/** A fine-tuned language model's transformers sequence-classification checkpoint (workers/handlers/train-lm-reward-model.ts). */
const CLASSIFIER_FILES = ['hf/config.json', 'hf/model.safetensors', 'hf/tokenizer.json', 'hf/tokenizer_config.json', 'hf/special_tokens_map.json', 'hf/generation_config.json', 'hf/chat_template.jinja'] as const;
/** …and, for a LoRA run, its PEFT adapter. */
const ADAPTER_FILES = ['adapter/adapter_config.json', 'adapter/adapter_model.safetensors'] as const;
/**
 * Every file a reward model may have under its artifact prefix: model.json always; weights.bin (feature and
 * encoder models) or hf/… and adapter/… (fine-tuned language models).
 */
export const REWARD_MODEL_FILES = ['model.json', 'weights.bin', ...CLASSIFIER_FILES, ...ADAPTER_FILES] as const;
export type RewardModelFile = (typeof REWARD_MODEL_FILES)[number];
/** The formats a reward model downloads in: all its files, the transformers checkpoint, or the PEFT adapter. */
export const REWARD_MODEL_EXPORTS = ['arbiter', 'hf', 'peft'] as const;
export type RewardModelExport = (typeof REWARD_MODEL_EXPORTS)[number];

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

/** The two sides of a comparison, joined by their own names (winner, loser). */
export const winnerResponse = alias(responses, 'winner_response');
export const loserResponse = alias(responses, 'loser_response');

/** The filter of `usablePairs`: a comparison of two different responses, both with text. */
export const usablePairFilter = (projectId: number) =>
  and(eq(comparisons.projectId, projectId), ne(comparisons.winnerResponseId, comparisons.loserResponseId), ne(winnerResponse.content, ''), ne(loserResponse.content, ''));

/** Comparisons with response texts on both sides: what reward models and alignment can train on. */
export async function usablePairs(projectId: number): Promise<number> {
  const [row] = await db()
    .select({ n: count() })
    .from(comparisons)
    .innerJoin(winnerResponse, eq(winnerResponse.id, comparisons.winnerResponseId))
    .innerJoin(loserResponse, eq(loserResponse.id, comparisons.loserResponseId))
    .where(usablePairFilter(projectId));
  return row?.n ?? 0;
}

/** Creates the model record and enqueues its training job, in one transaction. */
export async function startRewardModelTraining(actor: Actor, projectId: number, input: RewardModelSettings & { name?: string }): Promise<{ model: RewardModelRecord; jobId: number }> {
  await assertCanManageProject(actor, projectId);
  const settings = rewardModelSettingsSchema.parse(input);
  if (settings.featurizer === 'transformer' && settings.kind !== 'bt') throw new AppError('invalid', 'the transformer featurizer is offered with kind bt');
  if (settings.featurizer === 'checkpoint' || settings.featurizer === 'fine-tune') {
    if (!settings.checkpoint) throw new AppError('invalid', `the ${settings.featurizer} featurizer needs a checkpoint name (checkpoint)`);
    try {
      resolveCheckpoint(settings.checkpoint);
    } catch (error) {
      throw new AppError('invalid', (error as Error).message);
    }
  } else if (settings.checkpoint) throw new AppError('invalid', 'a checkpoint is read only with featurizer checkpoint or fine-tune');
  // Counted before the write transaction, as before: the threshold is a sanity check, not an invariant (the job
  // reads whatever comparisons there are when it runs), and counting a large project need not hold the write lock.
  const usable = await usablePairs(projectId);
  const [ratedRow] = await db().select({ n: count() }).from(judgments).where(and(eq(judgments.projectId, projectId), isNotNull(judgments.ratings)));
  const rated = ratedRow?.n ?? 0;
  if (usable < 10 && !(settings.kind === 'regression' && rated >= 10)) throw new AppError('invalid', `project ${projectId} has ${usable} comparisons with response texts; a reward model needs at least 10`);
  const name = input.name?.trim() || `${settings.kind} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
  const { modelId, jobId } = await withWriteTransaction(async (tx) => {
    const [model] = await tx
      .insert(models)
      .values({ projectId, kind: `${REWARD_KIND_PREFIX}${settings.kind}`, name, config: settings, status: 'training' })
      .returning({ id: models.id });
    const job = await enqueueJob('train-reward-model', { ...settings, projectId, modelId: model!.id }, { projectId, createdBy: actor.id });
    await tx.update(models).set({ jobId: job.id }).where(eq(models.id, model!.id));
    return { modelId: model!.id, jobId: job.id };
  });
  return { model: await getRewardModel(actor, modelId), jobId };
}

export async function listRewardModels(actor: Actor, projectId: number): Promise<RewardModelRecord[]> {
  await assertCanManageProject(actor, projectId);
  const rows = await db()
    .select({ model: models, job: jobs })
    .from(models)
    .leftJoin(jobs, eq(jobs.id, models.jobId))
    .where(and(eq(models.projectId, projectId), like(models.kind, `${REWARD_KIND_PREFIX}%`)))
    .orderBy(desc(models.id));
  return rows.map((r) => toRecord(r.model, r.job));
}

/** A `models` row (of any kind) with its job, or undefined. */
export async function findModelWithJob(modelId: number): Promise<{ model: typeof models.$inferSelect; job: typeof jobs.$inferSelect | null } | undefined> {
  const [row] = await db().select({ model: models, job: jobs }).from(models).leftJoin(jobs, eq(jobs.id, models.jobId)).where(eq(models.id, modelId)).limit(1);
  return row;
}

/**
 * assertCanManageProject for a resource reached by its own id: when the caller cannot see the resource's
 * project, the answer is `notFound` — exactly what a missing id gets — so neither the resource's existence
 * nor its project's id is told (a project member who is not a researcher still gets 403).
 */
export async function assertCanManageProjectOf(actor: Actor, projectId: number, notFound: string): Promise<void> {
  try {
    await assertCanManageProject(actor, projectId);
  } catch (error) {
    if (isAppError(error, 'not-found')) throw new AppError('not-found', notFound);
    throw error;
  }
}

/** A reward model, for researchers of its project (for anyone who cannot see the project: the same 404 as a missing id). */
export async function getRewardModel(actor: Actor, modelId: number): Promise<RewardModelRecord> {
  const notFound = `model ${modelId} not found`;
  const row = await findModelWithJob(modelId);
  if (!row || !row.model.kind.startsWith(REWARD_KIND_PREFIX)) throw new AppError('not-found', notFound);
  await assertCanManageProjectOf(actor, row.model.projectId, notFound);
  return toRecord(row.model, row.job);
}

/** The worker's view (no actor): the record by id. */
export async function getRewardModelForJob(modelId: number): Promise<RewardModelRecord> {
  const row = await findModelWithJob(modelId);
  if (!row) throw new AppError('not-found', `model ${modelId} not found`);
  return toRecord(row.model, row.job);
}

/**
 * Puts a trained model's files under `prefix` (the training attempt's: lib/artifacts/keys.ts): weights.bin,
 * or every file of REWARD_MODEL_FILES found in `dir` (a fine-tuned language model's hf/ and adapter/), then
 * model.json. Nothing reads them until saveRewardModelResult names the prefix, so a run that dies between
 * the two leaves files only.
 */
export async function putRewardModelFiles(prefix: string, files: { manifest: unknown; weights?: Buffer; dir?: string }): Promise<void> {
  const store = artifactStore();
  if (files.weights) await store.put(`${prefix}/weights.bin`, files.weights);
  if (files.dir) for (const name of REWARD_MODEL_FILES) if (existsSync(path.join(files.dir, name))) await store.putFile(`${prefix}/${name}`, path.join(files.dir, name));
  await store.put(`${prefix}/model.json`, `${JSON.stringify(files.manifest, null, 1)}\n`);
}

/** Publishes a trained model: ready, with its metrics and the prefix of its files. A job runs it inside ctx.fenced. */
export async function saveRewardModelResult(modelId: number, artifactPath: string, update: { metrics: Record<string, unknown>; backend: string }): Promise<void> {
  await withWriteTransaction((tx) => tx.update(models).set({ status: 'ready', metrics: update.metrics, backend: update.backend, artifactPath }).where(eq(models.id, modelId)));
}

export async function markRewardModelFailed(modelId: number, reason: string): Promise<void> {
  await withWriteTransaction((tx) => tx.update(models).set({ status: 'failed', metrics: { error: reason } }).where(eq(models.id, modelId)));
}

function assertRewardModelReady(record: RewardModelRecord): asserts record is RewardModelRecord & { artifactPath: string } {
  if (record.status !== 'ready' || !record.artifactPath) throw new AppError('conflict', `model ${record.id} is ${record.status}, not ready`);
}

/**
 * The keys of a ready model's files, from the prefix its row names (`models/<id>/job<j>-a<n>`, or
 * `models/<id>` for a model trained before the artifact store). A prefix outside the model's own folder is
 * refused, whatever the row says.
 */
export function rewardModelFileKeys(record: RewardModelRecord): Record<RewardModelFile, string> {
  assertRewardModelReady(record);
  const prefix = record.artifactPath;
  try {
    checkArtifactKey(prefix);
  } catch {
    throw new AppError('not-found', `model ${record.id} has no files`);
  }
  if (!isUnder(prefix, modelRoot(record.id))) throw new AppError('not-found', `model ${record.id} has no files`);
  return Object.fromEntries(REWARD_MODEL_FILES.map((name) => [name, `${prefix}/${name}`])) as Record<RewardModelFile, string>;
}

/** The files a ready model has in the store (model.json first); none at all is 'not-found'. */
export async function presentRewardModelFiles(record: RewardModelRecord): Promise<RewardModelFile[]> {
  const keys = rewardModelFileKeys(record);
  const store = artifactStore();
  const present: RewardModelFile[] = [];
  for (const name of REWARD_MODEL_FILES) if (await store.exists(keys[name])) present.push(name);
  if (!present.includes('model.json')) throw new AppError('not-found', `model ${record.id} has no files in the artifact store (${store.location})`);
  return present;
}

/**
 * The files of a download, by the name each has in it: `arbiter`, every file the model has; `hf`, the
 * transformers sequence-classification checkpoint; `peft`, the PEFT adapter (a LoRA run's) — the latter two
 * at the top level, as from_pretrained reads a folder. A format the model lacks is refused, saying why.
 */
export async function rewardModelExportFiles(record: RewardModelRecord, format: RewardModelExport): Promise<{ name: string; key: string }[]> {
  const keys = rewardModelFileKeys(record);
  const present = await presentRewardModelFiles(record);
  if (format === 'arbiter') return present.map((name) => ({ name, key: keys[name] }));
  const folder = format === 'hf' ? 'hf/' : 'adapter/';
  const files = present.filter((name) => name.startsWith(folder)).map((name) => ({ name: name.slice(folder.length), key: keys[name] }));
  if (files.length === 0) {
    throw new AppError(
      'conflict',
      format === 'hf'
        ? `model ${record.id} is not a fine-tuned language model (featurizer fine-tune), so it has no transformers checkpoint; download its files (format arbiter)`
        : `model ${record.id} has no PEFT adapter: only fine-tuned language models trained with LoRA (loraRank > 0) have one`,
    );
  }
  return files;
}

/**
 * A ready model's files as loadScorer reads them, from local copies (the store's own files, or the cache of
 * a bucket's): model.json parsed, and weights.bin read whole, or the local folder of hf/.
 */
export async function readRewardModelFiles(record: RewardModelRecord): Promise<SavedRewardModel> {
  const keys = rewardModelFileKeys(record);
  const store = artifactStore();
  try {
    const manifest = JSON.parse((await readArtifactBytes(store, keys['model.json'])).toString('utf8')) as unknown;
    const present = await presentRewardModelFiles(record);
    if (!present.includes('hf/config.json')) return { manifest, weights: await readFile(await store.localCopy(keys['weights.bin'])), classifierDir: null };
    const dirs = new Set<string>();
    for (const name of present.filter((n) => n.startsWith('hf/'))) dirs.add(path.dirname(await store.localCopy(keys[name])));
    // Keys under one prefix map to one folder in either store.
    if (dirs.size !== 1) throw new Error(`model ${record.id}: the local copies of hf/ are not in one folder`);
    return { manifest, weights: null, classifierDir: [...dirs][0]! };
  } catch (error) {
    if (isAppError(error, 'not-found')) throw new AppError('not-found', `model ${record.id} has no files in the artifact store (${store.location})`);
    throw error;
  }
}

/**
 * Queues the scoring of `records` with a ready model in a worker (score calls larger than
 * ARBITER_MAX_SYNC_SCORE_ROWS). The records go to the artifact store first (no write lock held while they
 * are written), under a fresh key the job's payload names, so no worker can claim the job before its input
 * exists; a failed enqueue removes them.
 */
export async function startScoringJob(actor: Actor, record: RewardModelRecord, records: unknown[]): Promise<JobView> {
  await assertCanManageProjectOf(actor, record.projectId, `model ${record.id} not found`);
  assertRewardModelReady(record);
  const store = artifactStore();
  const input = scoreInputKey();
  await store.put(input, JSON.stringify(records));
  let jobId: number;
  try {
    jobId = (await enqueueJob('score-records', { projectId: record.projectId, modelId: record.id, rows: records.length, input }, { projectId: record.projectId, createdBy: actor.id })).id;
  } catch (error) {
    await store.delete(input).catch(() => undefined); // best effort: the enqueue's failure is the one to report
    throw error;
  }
  return getJobForActor(actor, jobId);
}

/**
 * Where the report (the JSON a synchronous score call answers) of a succeeded score-records job of this
 * model is: the key its result names (`scores/<job>/a<n>/scores.json`; a job from before the artifact store
 * left it at `scores/<job>/scores.json`), with its size. Any other job id — missing, hidden, another kind,
 * another model's — gets the same 404.
 */
export async function getScoringReport(actor: Actor, modelId: number, jobId: number): Promise<{ key: string; size: number }> {
  const model = await getRewardModel(actor, modelId);
  const notFound = `scoring job ${jobId} not found for model ${modelId}`;
  const job = await getProjectJobForActor(actor, jobId, { kind: 'score-records', projectId: model.projectId }, notFound);
  const [row] = await db().select({ payload: jobs.payload }).from(jobs).where(eq(jobs.id, jobId)).limit(1);
  const payload = row?.payload as { modelId?: unknown } | undefined;
  if (payload?.modelId !== modelId) throw new AppError('not-found', notFound);
  if (job.status !== 'succeeded') throw new AppError('conflict', `scoring job ${jobId} is ${job.status}, not finished; follow it at GET /api/v1/jobs/${jobId}`);
  const named = (job.result as { artifactPath?: unknown } | null)?.artifactPath;
  const key = typeof named === 'string' && isUnder(named, scoreRoot(jobId)) ? named : `${scoreRoot(jobId)}/scores.json`;
  const stat = await artifactStore().stat(checkArtifactKey(key));
  if (!stat) throw new AppError('not-found', `the scores of job ${jobId} are no longer on the server`);
  return { key, size: stat.size };
}

/** Ids per IN list: far under SQLite's 32,766 bound parameters. */
const IDS_PER_QUERY = 5000;

/**
 * Sends the items behind these comparisons back for annotation: each gets one more required
 * judgment and is open again. Comparisons that came from imports (no item) are reported, not changed.
 */
export async function reannotateComparisons(actor: Actor, projectId: number, comparisonIds: number[]): Promise<{ reopened: number; notFromItems: number }> {
  await assertCanManageProject(actor, projectId);
  if (comparisonIds.length === 0) return { reopened: 0, notFromItems: 0 };
  const ids = [...new Set(comparisonIds)];
  return withWriteTransaction(async (tx) => {
    const rows: { id: number; itemId: number | null }[] = [];
    for (let k = 0; k < ids.length; k += IDS_PER_QUERY) {
      rows.push(
        ...(await tx
          .select({ id: comparisons.id, itemId: judgments.itemId })
          .from(comparisons)
          .leftJoin(judgments, eq(judgments.id, comparisons.judgmentId))
          .where(and(eq(comparisons.projectId, projectId), inArray(comparisons.id, ids.slice(k, k + IDS_PER_QUERY))))),
      );
    }
    const itemIds = [...new Set(rows.flatMap((r) => (r.itemId === null ? [] : [r.itemId])))];
    for (let k = 0; k < itemIds.length; k += IDS_PER_QUERY) {
      await tx
        .update(items)
        .set({ requiredAnnotations: sql`${greatest(items.requiredAnnotations, items.annotationCount)} + 1`, status: 'open' })
        .where(and(inArray(items.id, itemIds.slice(k, k + IDS_PER_QUERY)), eq(items.projectId, projectId)));
    }
    return { reopened: itemIds.length, notFromItems: rows.filter((r) => r.itemId === null).length };
  });
}

/** Prompt and the two responses (winner first) of these comparisons of the project, for showing flagged pairs. */
export async function describeComparisons(projectId: number, ids: number[]): Promise<{ id: number; prompt: string; chosen: string; rejected: string; fromItem: boolean }[]> {
  if (!ids.length) return [];
  const byId = new Map<number, { messages: unknown; chosen: string; rejected: string; judgmentId: string | null }>();
  for (let k = 0; k < ids.length; k += IDS_PER_QUERY) {
    const rows = await db()
      .select({ id: comparisons.id, messages: prompts.messages, chosen: winnerResponse.content, rejected: loserResponse.content, judgmentId: comparisons.judgmentId })
      .from(comparisons)
      .innerJoin(prompts, eq(prompts.id, comparisons.promptId))
      .innerJoin(winnerResponse, eq(winnerResponse.id, comparisons.winnerResponseId))
      .innerJoin(loserResponse, eq(loserResponse.id, comparisons.loserResponseId))
      .where(and(eq(comparisons.projectId, projectId), inArray(comparisons.id, ids.slice(k, k + IDS_PER_QUERY))));
    for (const r of rows) byId.set(r.id, r);
  }
  return ids.flatMap((id) => {
    const r = byId.get(id);
    if (!r) return [];
    const messages = r.messages as { content: string }[];
    return [{ id, prompt: messages.at(-1)?.content ?? '', chosen: r.chosen, rejected: r.rejected, fromItem: r.judgmentId !== null }];
  });
}
