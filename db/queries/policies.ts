/**
 * Aligned policies: `models` rows of kind `policy`, their files under <data dir>/models/<id>/ (the
 * policy as a GPT-2 checkpoint in `policy/`, training checkpoints while a run lasts), what an alignment
 * run reads (the project's preference pairs with their texts), and what iterative rounds write back
 * (generated candidates as responses, judged comparisons or items for annotation).
 */
import fs from 'node:fs';
import path from 'node:path';
import { and, desc, eq } from 'drizzle-orm';
import type { Actor } from '@/lib/auth/access';
import { AppError, formatZodIssues } from '@/lib/errors';
import { resolveCheckpoint } from '@/lib/checkpoints';
import { contentHash } from '@/lib/data/content-hash';
import { dataDir } from '@/lib/env';
import { alignSettingsSchema, type AlignSettings } from '@/lib/jobs/align-policy';
import { enqueueJob } from './queue';
import { jobs, models } from '../schema';
import { getDb } from '../client';
import { addCandidates } from './candidates';
import { assertCanManageProject } from './projects';
import { assertCanManageProjectOf, getRewardModel, modelDirectory, modelRecord, usablePairs, type RewardModelRecord } from './reward-models';

export const POLICY_KIND = 'policy';

export type PolicyRecord = Omit<RewardModelRecord, 'kind'> & { kind: 'policy' };

const toRecord = (row: typeof models.$inferSelect, job: typeof jobs.$inferSelect | null) => modelRecord(row, job, 'policy') as PolicyRecord;

/** Creates the policy record and enqueues its alignment job, in one transaction; every reference is checked first. */
export function startAlignment(actor: Actor, projectId: number, input: AlignSettings & { name?: string }): { policy: PolicyRecord; jobId: number } {
  assertCanManageProject(actor, projectId);
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
    const base = getPolicy(actor, Number(settings.base.slice('policy:'.length)));
    if (base.projectId !== projectId) throw new AppError('invalid', `policy ${base.id} belongs to another project`);
    if (base.status !== 'ready') throw new AppError('invalid', `policy ${base.id} is ${base.status}, not ready`);
  }
  if (settings.rewardModelId !== undefined) {
    const rm = getRewardModel(actor, settings.rewardModelId);
    if (rm.projectId !== projectId) throw new AppError('invalid', `reward model ${rm.id} belongs to another project`);
    if (rm.status !== 'ready') throw new AppError('invalid', `reward model ${rm.id} is ${rm.status}, not ready`);
  }
  if (settings.rounds > 1 && settings.roundJudge === 'reward-model' && settings.rewardModelId === undefined) throw new AppError('invalid', 'iterative rounds judged by a reward model need rewardModelId');
  // Greedy sampling gives every one of a round's candidates the same text: nothing to compare.
  if (settings.rounds > 1 && settings.temperature === 0) throw new AppError('invalid', 'iterative rounds sample several candidates per prompt: temperature 0 (greedy) makes them identical');
  const usable = usablePairs(projectId);
  if (usable < 10) throw new AppError('invalid', `project ${projectId} has ${usable} comparisons with response texts; alignment needs at least 10`);
  const name = input.name?.trim() || `${settings.loss.join('+')} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
  const db = getDb();
  const { modelId, jobId } = db.transaction(() => {
    const model = db.insert(models).values({ projectId, kind: POLICY_KIND, name, config: settings, status: 'training' }).returning({ id: models.id }).all()[0]!;
    const job = enqueueJob(db, 'align-policy', { ...settings, projectId, modelId: model.id }, { projectId, createdBy: actor.id });
    db.update(models).set({ jobId: job.id }).where(eq(models.id, model.id)).run();
    return { modelId: model.id, jobId: job.id };
  });
  return { policy: getPolicy(actor, modelId), jobId };
}

export function listPolicies(actor: Actor, projectId: number): PolicyRecord[] {
  assertCanManageProject(actor, projectId);
  return getDb()
    .select({ model: models, job: jobs })
    .from(models)
    .leftJoin(jobs, eq(jobs.id, models.jobId))
    .where(and(eq(models.projectId, projectId), eq(models.kind, POLICY_KIND)))
    .orderBy(desc(models.id))
    .all()
    .map((r) => toRecord(r.model, r.job));
}

/** A policy, for researchers of its project (for anyone who cannot see the project: the same 404 as a missing id). */
export function getPolicy(actor: Actor, id: number): PolicyRecord {
  const notFound = `policy ${id} not found`;
  const row = getDb().select({ model: models, job: jobs }).from(models).leftJoin(jobs, eq(jobs.id, models.jobId)).where(eq(models.id, id)).get();
  if (!row || row.model.kind !== POLICY_KIND) throw new AppError('not-found', notFound);
  assertCanManageProjectOf(actor, row.model.projectId, notFound);
  return toRecord(row.model, row.job);
}

export function getPolicyForJob(id: number): PolicyRecord {
  const row = getDb().select({ model: models, job: jobs }).from(models).leftJoin(jobs, eq(jobs.id, models.jobId)).where(eq(models.id, id)).get();
  if (!row || row.model.kind !== POLICY_KIND) throw new AppError('not-found', `policy ${id} not found`);
  return toRecord(row.model, row.job);
}

/** The policy's exported checkpoint (config.json, model.safetensors, tokenizer.json). */
export const policyCheckpointDir = (id: number) => path.join(modelDirectory(id), 'policy');

export function savePolicyResult(id: number, update: { metrics: Record<string, unknown>; backend: string }): void {
  getDb()
    .update(models)
    .set({ status: 'ready', metrics: update.metrics, backend: update.backend, artifactPath: path.relative(dataDir(), policyCheckpointDir(id)) })
    .where(eq(models.id, id))
    .run();
}

/** Live metrics of a run still training (samples, rounds so far), kept beside its status. */
export function updatePolicyMetrics(id: number, metrics: Record<string, unknown>): void {
  getDb().update(models).set({ metrics }).where(eq(models.id, id)).run();
}

export function markPolicyFailed(id: number, reason: string): void {
  getDb().update(models).set({ status: 'failed', metrics: { error: reason } }).where(eq(models.id, id)).run();
}

/** The directory holding a ready policy's three files. */
export function readyPolicyDir(record: PolicyRecord): string {
  if (record.status !== 'ready' || !record.artifactPath) throw new AppError('conflict', `policy ${record.id} is ${record.status}, not ready`);
  const dir = path.join(dataDir(), record.artifactPath);
  if (!dir.startsWith(path.join(dataDir(), 'models') + path.sep) || !fs.existsSync(path.join(dir, 'model.safetensors'))) throw new AppError('not-found', `policy ${record.id} has no files`);
  return dir;
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
export function loadAlignmentPairs(projectId: number): AlignmentPair[] {
  const rows = getDb()
    .$client.prepare(
      `select c.id, c.prompt_id, p.messages, a.content as chosen, b.content as rejected, c.is_tie, c.tie_kind
       from comparisons c join prompts p on p.id = c.prompt_id
       join responses a on a.id = c.winner_response_id join responses b on b.id = c.loser_response_id
       where c.project_id = ? and c.winner_response_id != c.loser_response_id and a.content != '' and b.content != '' order by c.id`,
    )
    .all(projectId) as { id: number; prompt_id: number; messages: string; chosen: string; rejected: string; is_tie: number; tie_kind: 'both_good' | 'both_bad' | null }[];
  return rows.map((r) => ({ comparisonId: r.id, promptId: r.prompt_id, messages: JSON.parse(r.messages) as AlignmentPair['messages'], chosen: r.chosen, rejected: r.rejected, tie: r.is_tie === 1, tieKind: r.tie_kind }));
}

export type RoundCandidates = { promptId: number; messages: { role: string; content: string }[]; responses: string[] };

/**
 * One iterative round's candidates, written back to the project as a dataset version: responses of system
 * `policy-<id>-round-<r>`, then either judged comparisons (label source `judge`, group `round:<id>:<r>:<prompt>`)
 * or items for annotation. One transaction; returns what was written.
 */
export function addRoundCandidates(
  projectId: number,
  policyId: number,
  round: number,
  rows: readonly RoundCandidates[],
  judged: { pairs: [number, number][][] } | null,
): { responses: number; comparisons: number; items: number } {
  const system = `policy-${policyId}-round-${round}`;
  if (!judged) {
    const candidates = rows.filter((r) => new Set(r.responses.filter(Boolean)).size >= 2).map((r) => ({ messages: r.messages, responses: [...new Set(r.responses.filter(Boolean))].map((content, i) => ({ content, system: `${system}-${i + 1}` })) }));
    if (candidates.length === 0) return { responses: 0, comparisons: 0, items: 0 };
    const added = addCandidates({ id: null, role: 'admin', name: `policy ${policyId}`, email: null, via: 'cli' }, projectId, candidates);
    return { responses: added.responsesAdded, comparisons: 0, items: added.itemsAdded };
  }
  const client = getDb().$client;
  return getDb().transaction(
    () => {
      const find = client.prepare('select id from responses where prompt_id = ? and system = ? and content_hash = ?');
      const insert = client.prepare('insert into responses (project_id, prompt_id, system, content, content_hash) values (?, ?, ?, ?, ?)');
      const compare = client.prepare("insert into comparisons (project_id, prompt_id, winner_response_id, loser_response_id, is_tie, weight, label_source, group_id, annotator_id) values (?, ?, ?, ?, 0, 1, 'judge', ?, ?)");
      let responses = 0;
      let comparisons = 0;
      rows.forEach((r, k) => {
        const ids = r.responses.map((content) => {
          if (!content) return null;
          const hash = contentHash(content);
          const found = find.get(r.promptId, system, hash) as { id: number } | undefined;
          if (found) return found.id;
          responses++;
          return Number(insert.run(projectId, r.promptId, system, content, hash).lastInsertRowid);
        });
        for (const [w, l] of judged.pairs[k] ?? []) {
          const a = ids[w];
          const b = ids[l];
          if (a == null || b == null || a === b) continue;
          compare.run(projectId, r.promptId, a, b, `round:${policyId}:${round}:${r.promptId}`, `policy-${policyId}-judge`);
          comparisons++;
        }
      });
      return { responses, comparisons, items: 0 };
    },
    { behavior: 'immediate' },
  );
}
