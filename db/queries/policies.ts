/**
 * Aligned policies: `models` rows of kind `policy`, their files in the artifact store (the policy as a
 * GPT-2 checkpoint under the prefix the row's artifact_path names), what an alignment run reads (the
 * project's preference pairs with their texts), and what iterative rounds write back (generated
 * candidates as responses, judged comparisons or items for annotation).
 */
import path from 'node:path';
import { and, asc, desc, eq } from 'drizzle-orm';
import { artifactStore } from '@/lib/artifacts';
import { modelRoot } from '@/lib/artifacts/keys';
import { checkArtifactKey, isUnder } from '@/lib/artifacts/store';
import type { Actor } from '@/lib/auth/access';
import { AppError, formatZodIssues, isAppError } from '@/lib/errors';
import { resolveCheckpoint } from '@/lib/checkpoints';
import { contentHash } from '@/lib/data/content-hash';
import { alignSettingsSchema, type AlignSettings } from '@/lib/jobs/align-policy';
import { enqueueJob } from './queue';
import { comparisons, jobs, models, prompts, responses } from '../schema';
import { db, withWriteTransaction } from '../client';
import { addCandidates } from './candidates';
import { insertComparisons, type NewComparison } from './comparisons';
import { assertCanManageProject } from './projects';
import {
  assertCanManageProjectOf,
  findModelWithJob,
  getRewardModel,
  loserResponse,
  modelRecord,
  usablePairFilter,
  usablePairs,
  winnerResponse,
  type RewardModelRecord,
} from './reward-models';

export const POLICY_KIND = 'policy';

export type PolicyRecord = Omit<RewardModelRecord, 'kind'> & { kind: 'policy' };

const toRecord = (row: typeof models.$inferSelect, job: typeof jobs.$inferSelect | null) => modelRecord(row, job, 'policy') as PolicyRecord;

/** Creates the policy record and enqueues its alignment job, in one transaction; every reference is checked first. */
export async function startAlignment(actor: Actor, projectId: number, input: AlignSettings & { name?: string }): Promise<{ policy: PolicyRecord; jobId: number }> {
  await assertCanManageProject(actor, projectId);
  const parsed = alignSettingsSchema.safeParse(input);
  if (!parsed.success) throw new AppError('invalid', formatZodIssues(parsed.error, 'settings').message);
  const settings = parsed.data;
  if (settings.lossWeights && settings.lossWeights.length !== settings.loss.length) throw new AppError('invalid', `${settings.loss.length} loss types but ${settings.lossWeights.length} loss weights`);
  if (settings.base.startsWith('checkpoint:')) {
    try {
      resolveCheckpoint(settings.base.slice('checkpoint:'.length));
    } catch (error) {
      throw new AppError('invalid', (error as Error).message);
    }
  }
  if (settings.base.startsWith('policy:')) {
    const base = await getPolicy(actor, Number(settings.base.slice('policy:'.length)));
    if (base.projectId !== projectId) throw new AppError('invalid', `policy ${base.id} belongs to another project`);
    if (base.status !== 'ready') throw new AppError('invalid', `policy ${base.id} is ${base.status}, not ready`);
  }
  if (settings.rewardModelId !== undefined) {
    const rm = await getRewardModel(actor, settings.rewardModelId);
    if (rm.projectId !== projectId) throw new AppError('invalid', `reward model ${rm.id} belongs to another project`);
    if (rm.status !== 'ready') throw new AppError('invalid', `reward model ${rm.id} is ${rm.status}, not ready`);
  }
  if (settings.rounds > 1 && settings.roundJudge === 'reward-model' && settings.rewardModelId === undefined) throw new AppError('invalid', 'iterative rounds judged by a reward model need rewardModelId');
  // Greedy sampling gives every one of a round's candidates the same text: nothing to compare.
  if (settings.rounds > 1 && settings.temperature === 0) throw new AppError('invalid', 'iterative rounds sample several candidates per prompt: temperature 0 (greedy) makes them identical');
  const usable = await usablePairs(projectId);
  if (usable < 10) throw new AppError('invalid', `project ${projectId} has ${usable} comparisons with response texts; alignment needs at least 10`);
  const name = input.name?.trim() || `${settings.loss.join('+')} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
  const { modelId, jobId } = await withWriteTransaction(async (tx) => {
    const [model] = await tx.insert(models).values({ projectId, kind: POLICY_KIND, name, config: settings, status: 'training' }).returning({ id: models.id });
    const job = await enqueueJob('align-policy', { ...settings, projectId, modelId: model!.id }, { projectId, createdBy: actor.id });
    await tx.update(models).set({ jobId: job.id }).where(eq(models.id, model!.id));
    return { modelId: model!.id, jobId: job.id };
  });
  return { policy: await getPolicy(actor, modelId), jobId };
}

export async function listPolicies(actor: Actor, projectId: number): Promise<PolicyRecord[]> {
  await assertCanManageProject(actor, projectId);
  const rows = await db()
    .select({ model: models, job: jobs })
    .from(models)
    .leftJoin(jobs, eq(jobs.id, models.jobId))
    .where(and(eq(models.projectId, projectId), eq(models.kind, POLICY_KIND)))
    .orderBy(desc(models.id));
  return rows.map((r) => toRecord(r.model, r.job));
}

/** A policy, for researchers of its project (for anyone who cannot see the project: the same 404 as a missing id). */
export async function getPolicy(actor: Actor, id: number): Promise<PolicyRecord> {
  const notFound = `policy ${id} not found`;
  const row = await findModelWithJob(id);
  if (!row || row.model.kind !== POLICY_KIND) throw new AppError('not-found', notFound);
  await assertCanManageProjectOf(actor, row.model.projectId, notFound);
  return toRecord(row.model, row.job);
}

export async function getPolicyForJob(id: number): Promise<PolicyRecord> {
  const row = await findModelWithJob(id);
  if (!row || row.model.kind !== POLICY_KIND) throw new AppError('not-found', `policy ${id} not found`);
  return toRecord(row.model, row.job);
}

/** A policy's files, a checkpoint that transformers loads: these three always… */
export const POLICY_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'] as const;
/** …and the tokenizer files a policy trained from a Hugging Face checkpoint keeps from it (chat template, special tokens), and a LoRA policy's PEFT adapter. */
export const POLICY_OPTIONAL_FILES = ['tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json', 'chat_template.jinja', 'adapter/adapter_config.json', 'adapter/adapter_model.safetensors'] as const;
export type PolicyFile = (typeof POLICY_FILES)[number] | (typeof POLICY_OPTIONAL_FILES)[number];

/** Publishes an aligned policy: ready, with its metrics and the prefix of its files. A job runs it inside ctx.fenced. */
export async function savePolicyResult(id: number, artifactPath: string, update: { metrics: Record<string, unknown>; backend: string }): Promise<void> {
  await withWriteTransaction((tx) => tx.update(models).set({ status: 'ready', metrics: update.metrics, backend: update.backend, artifactPath }).where(eq(models.id, id)));
}

/** Live metrics of a run still training (samples, rounds so far), kept beside its status. */
export async function updatePolicyMetrics(id: number, metrics: Record<string, unknown>): Promise<void> {
  await withWriteTransaction((tx) => tx.update(models).set({ metrics }).where(eq(models.id, id)));
}

export async function markPolicyFailed(id: number, reason: string): Promise<void> {
  await withWriteTransaction((tx) => tx.update(models).set({ status: 'failed', metrics: { error: reason } }).where(eq(models.id, id)));
}

/**
 * The keys of a ready policy's three files, from the prefix its row names (`models/<id>/job<j>-a<n>/policy`,
 * or `models/<id>/policy` for a policy aligned before the artifact store); a prefix outside the policy's own
 * folder is refused, whatever the row says.
 */
export function policyFileKeys(record: PolicyRecord): Record<PolicyFile, string> {
  if (record.status !== 'ready' || !record.artifactPath) throw new AppError('conflict', `policy ${record.id} is ${record.status}, not ready`);
  const prefix = record.artifactPath;
  let valid = true;
  try {
    checkArtifactKey(prefix);
  } catch {
    valid = false;
  }
  if (!valid || !isUnder(prefix, modelRoot(record.id))) throw new AppError('not-found', `policy ${record.id} has no files`);
  return Object.fromEntries([...POLICY_FILES, ...POLICY_OPTIONAL_FILES].map((name) => [name, `${prefix}/${name}`])) as Record<PolicyFile, string>;
}

/** The files a ready policy has: the three every policy has, and the optional ones present in the store. */
export async function presentPolicyFiles(record: PolicyRecord): Promise<PolicyFile[]> {
  const keys = policyFileKeys(record);
  const store = artifactStore();
  const optional: PolicyFile[] = [];
  for (const name of POLICY_OPTIONAL_FILES) if (await store.exists(keys[name])) optional.push(name);
  return [...POLICY_FILES, ...optional];
}

/**
 * A local folder holding a ready policy's files, for code that loads a checkpoint from a folder
 * (sampling, a later alignment starting from it): the store's own folder, or the cache's copy of a bucket's.
 */
export async function localPolicyDir(record: PolicyRecord): Promise<string> {
  const keys = policyFileKeys(record);
  const store = artifactStore();
  const dirs = new Set<string>();
  try {
    for (const name of await presentPolicyFiles(record)) {
      const copy = await store.localCopy(keys[name]);
      // adapter/… sits in a subfolder of the policy's folder.
      if (!name.includes('/')) dirs.add(path.dirname(copy));
    }
  } catch (error) {
    if (isAppError(error, 'not-found')) throw new AppError('not-found', `policy ${record.id} has no files in the artifact store (${store.location})`);
    throw error;
  }
  // Keys under one prefix map to one folder in either store.
  if (dirs.size !== 1) throw new Error(`policy ${record.id}: its local copies are not in one folder`);
  return [...dirs][0]!;
}

export type AlignmentPair = {
  comparisonId: number;
  promptId: number;
  messages: { role: string; content: string }[];
  chosen: string;
  rejected: string;
  tie: boolean;
  tieKind: 'both_good' | 'both_bad' | null;
};

/** The project's comparisons with texts on both sides, in id order. */
export async function loadAlignmentPairs(projectId: number): Promise<AlignmentPair[]> {
  const rows = await db()
    .select({
      comparisonId: comparisons.id,
      promptId: comparisons.promptId,
      messages: prompts.messages,
      chosen: winnerResponse.content,
      rejected: loserResponse.content,
      tie: comparisons.isTie,
      tieKind: comparisons.tieKind,
    })
    .from(comparisons)
    .innerJoin(prompts, eq(prompts.id, comparisons.promptId))
    .innerJoin(winnerResponse, eq(winnerResponse.id, comparisons.winnerResponseId))
    .innerJoin(loserResponse, eq(loserResponse.id, comparisons.loserResponseId))
    .where(usablePairFilter(projectId))
    .orderBy(asc(comparisons.id));
  return rows.map((r) => ({ ...r, messages: r.messages as AlignmentPair['messages'] }));
}

export type RoundCandidates = { promptId: number; messages: { role: string; content: string }[]; responses: string[] };

/**
 * One iterative round's candidates, written back to the project as a dataset version: responses of system
 * `policy-<id>-round-<r>`, then either judged comparisons (label source `judge`, group `round:<id>:<r>:<prompt>`)
 * or items for annotation. One transaction; returns what was written.
 */
export async function addRoundCandidates(
  projectId: number,
  policyId: number,
  round: number,
  rows: readonly RoundCandidates[],
  judged: { pairs: [number, number][][] } | null,
): Promise<{ responses: number; comparisons: number; items: number }> {
  const system = `policy-${policyId}-round-${round}`;
  if (!judged) {
    const candidates = rows.filter((r) => new Set(r.responses.filter(Boolean)).size >= 2).map((r) => ({ messages: r.messages, responses: [...new Set(r.responses.filter(Boolean))].map((content, i) => ({ content, system: `${system}-${i + 1}` })) }));
    if (candidates.length === 0) return { responses: 0, comparisons: 0, items: 0 };
    const added = await addCandidates({ id: null, role: 'admin', name: `policy ${policyId}`, email: null, via: 'cli' }, projectId, candidates);
    return { responses: added.responsesAdded, comparisons: 0, items: added.itemsAdded };
  }
  return withWriteTransaction(async (tx) => {
    let written = 0;
    const judgedPairs: NewComparison[] = [];
    for (const [k, r] of rows.entries()) {
      const ids: (number | null)[] = [];
      for (const content of r.responses) {
        if (!content) {
          ids.push(null);
          continue;
        }
        const hash = contentHash(content);
        const [found] = await tx
          .select({ id: responses.id })
          .from(responses)
          .where(and(eq(responses.promptId, r.promptId), eq(responses.system, system), eq(responses.contentHash, hash)))
          .limit(1);
        if (found) {
          ids.push(found.id);
          continue;
        }
        written++;
        const [inserted] = await tx.insert(responses).values({ projectId, promptId: r.promptId, system, content, contentHash: hash }).returning({ id: responses.id });
        ids.push(inserted!.id);
      }
      for (const [w, l] of judged.pairs[k] ?? []) {
        const a = ids[w];
        const b = ids[l];
        if (a == null || b == null || a === b) continue;
        judgedPairs.push({
          projectId,
          promptId: r.promptId,
          winnerResponseId: a,
          loserResponseId: b,
          isTie: false,
          weight: 1,
          labelSource: 'judge',
          groupId: `round:${policyId}:${round}:${r.promptId}`,
          annotatorId: `policy-${policyId}-judge`,
        });
      }
    }
    const compared = await insertComparisons(tx, judgedPairs);
    return { responses: written, comparisons: compared, items: 0 };
  });
}
