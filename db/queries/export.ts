/**
 * Exports, streamed: the project's comparisons are read prompt by prompt in chunks (index
 * comparisons_project_prompt_idx), aggregated, turned into rows and written to files as they go, so
 * memory stays flat however large the project (bench/import.ts measures a million pairs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { aggregateVotes, createRowBuilder, selectRankingPairs, splitPrompts, votesFromRatings, type ExportCounts, type Message, type Part, type Vote } from '@/lib/data/export';
import { createValidator, type ValidationReport } from '@/lib/data/export-validation';
import { createExportWriter, dawidSkeneWeights } from '@/lib/data/export-files';
import type { ExportRequest } from '@/lib/data/export-settings';
import type { Actor } from '@/lib/auth/access';
import { AppError } from '@/lib/errors';
import { dataDir } from '@/lib/env';
import { qualityReport } from '@/lib/stats/quality-report';
import { getDb } from '../client';
import { getProjectJobForActor, type JobView } from './jobs';
import { assertCanManageProject } from './projects';
import { listPairwiseJudgments } from './quality';

export type ExportSummary = { out: string; files: string[]; counts: ExportCounts; validation: ValidationReport };

export type ExportHooks = { progress?: (fraction: number, message: string) => void; signal?: AbortSignal };

/** Prompts per chunk: bounds memory (their comparisons, prompts and responses) and the IN lists. */
const CHUNK = 1000;

type VoteRow = { prompt_id: number; w: number; l: number; is_tie: number; tie_kind: string | null; strength: number | null; annotator: string; group_id: string | null };

const toVote = (r: VoteRow): Vote => ({ promptId: r.prompt_id, a: r.w, b: r.l, outcome: r.is_tie ? (r.tie_kind === 'both_bad' ? 'both_bad' : 'tie') : 'a', strength: r.strength, annotator: r.annotator, groupId: r.group_id });

const VOTE_COLUMNS = `prompt_id, winner_response_id as w, loser_response_id as l, is_tie, tie_kind, strength, coalesce(annotator_id, label_source) as annotator, group_id`;

function ratedJudgments(projectId: number, promptIds: readonly number[] | null) {
  const client = getDb().$client;
  const sql = `select i.prompt_id, coalesce(j.user_id, j.label_source) as annotator, j.ratings from judgments j join items i on i.id = j.item_id
               where j.project_id = ? and j.ratings is not null${promptIds ? ` and i.prompt_id in (${promptIds.map(() => '?').join(',')})` : ''} order by i.prompt_id, j.id`;
  return (client.prepare(sql).all(projectId, ...(promptIds ?? [])) as { prompt_id: number; annotator: string; ratings: string }[]).map((r) => ({
    promptId: r.prompt_id,
    annotator: r.annotator,
    ratings: JSON.parse(r.ratings) as Record<string, Record<string, number>>,
  }));
}

/** Writes one export of the project into `outDir` and returns what was written, with the pre-flight report. */
export async function writeProjectExport(projectId: number, outDir: string, request: ExportRequest, hooks: ExportHooks = {}): Promise<ExportSummary> {
  const client = getDb().$client;
  const project = client.prepare('select name from projects where id = ?').get(projectId) as { name: string } | undefined;
  if (!project) throw new AppError('not-found', `project ${projectId} not found`);
  const ratings = request.ratingsAttribute ? { attribute: request.ratingsAttribute, threshold: request.ratingsThreshold ?? 1 } : null;
  const ratingVotes = (promptIds: readonly number[] | null) => (ratings ? votesFromRatings(ratedJudgments(projectId, promptIds), ratings.attribute, ratings.threshold) : []);

  // Every prompt with a vote, ascending: the split is drawn over all of them before any row is written.
  const promptSet = new Set<number>(
    (client.prepare('select distinct prompt_id from comparisons where project_id = ? and winner_response_id != loser_response_id').pluck().all(projectId) as number[]),
  );
  for (const v of ratingVotes(null)) promptSet.add(v.promptId);
  if (promptSet.size === 0) throw new AppError('invalid', `project ${projectId} has no comparisons to export yet`);
  const promptIds = [...promptSet].sort((a, b) => a - b);
  const split = splitPrompts(promptIds, request.options.testShare, request.options.seed);

  const options = { ...request.options };
  if (options.aggregation === 'dawid-skene' && !options.weights) {
    const votes = (client.prepare(`select ${VOTE_COLUMNS} from comparisons where project_id = ? and winner_response_id != loser_response_id order by id`).all(projectId) as VoteRow[]).map(toVote);
    options.weights = dawidSkeneWeights([...votes, ...ratingVotes(null)]);
  }

  fs.mkdirSync(outDir, { recursive: true });
  const writer = createExportWriter(outDir, request.format);
  const validator = createValidator();
  const lines: Record<Part, number> = { train: 0, test: 0 };
  const builder = createRowBuilder(options, split, {
    wants: writer.sink.wants,
    row(kind, part, row) {
      if (kind === 'canonical') validator.add(row, part, `${part}.jsonl line ${++lines[part]}`);
      writer.sink.row(kind, part, row);
    },
    llamafactory: writer.sink.llamafactory,
  });
  const annotators = new Set<string>();
  try {
    const votesIn = client.prepare(`select ${VOTE_COLUMNS} from comparisons where project_id = ? and prompt_id between ? and ? and winner_response_id != loser_response_id order by prompt_id, id`);
    for (let k = 0; k < promptIds.length; k += CHUNK) {
      hooks.signal?.throwIfAborted();
      const chunk = promptIds.slice(k, k + CHUNK);
      const wanted = new Set(chunk);
      const votes = (votesIn.all(projectId, chunk[0], chunk[chunk.length - 1]) as VoteRow[]).filter((r) => wanted.has(r.prompt_id)).map(toVote);
      if (ratings) votes.push(...ratingVotes(chunk));
      for (const v of votes) annotators.add(v.annotator);
      const marks = chunk.map(() => '?').join(',');
      const prompts = new Map<number, Message[]>();
      const promptKeys = new Map<number, string>();
      for (const p of client.prepare(`select id, messages, content_hash from prompts where id in (${marks})`).all(...chunk) as { id: number; messages: string; content_hash: string }[]) {
        prompts.set(p.id, JSON.parse(p.messages) as Message[]);
        promptKeys.set(p.id, p.content_hash.slice(0, 16));
      }
      const responses = new Map<number, { content: string; system: string }>();
      for (const r of client.prepare(`select id, content, system from responses where prompt_id in (${marks})`).all(...chunk) as { id: number; content: string; system: string }[]) responses.set(r.id, { content: r.content, system: r.system });
      builder.add(aggregateVotes(selectRankingPairs(votes, options.rankingPairs), options), { prompts, responses, promptKeys });
      if (hooks.progress || hooks.signal) {
        hooks.progress?.(Math.min(k + CHUNK, promptIds.length) / promptIds.length, `${Math.min(k + CHUNK, promptIds.length)} of ${promptIds.length} prompts written`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    if (writer.battles) writeBattles(projectId, writer.battles);
    if (writer.raw) writeRawAnnotations(projectId, writer.raw);
    const validation = validator.finish(builder.counts);
    const judgments = listPairwiseJudgments(projectId);
    const files = writer.finish({
      projectName: project.name,
      exportedAt: new Date().toISOString(),
      judgments: judgments.length,
      annotators: annotators.size,
      agreement: { alphaChoice: judgments.length ? qualityReport(judgments).agreement.alphaChoice : null },
      options,
      counts: builder.counts,
      validation,
    });
    return { out: path.resolve(outDir), files, counts: builder.counts, validation };
  } catch (error) {
    writer.abort();
    throw error;
  }
}

type LineSink = { line(value: unknown): void };

/** One row per (judgment, response): everything an auditor needs to re-aggregate. */
function writeRawAnnotations(projectId: number, out: LineSink) {
  const rows = getDb()
    .$client.prepare(
      `select j.id, j.item_id, i.kind, i.response_ids, substr(p.content_hash, 1, 16) as prompt_key, j.user_id, j.winner, j.strength, j.justification, j.ranking, j.ratings, j.shown_order,
              j.guidelines_version, j.time_spent_ms, j.label_source, j.created_at, j.updated_at, i.is_gold, i.repeat_of_item_id
       from judgments j join items i on i.id = j.item_id join prompts p on p.id = i.prompt_id where j.project_id = ? order by j.created_at, j.id`,
    )
    .iterate(projectId) as IterableIterator<Record<string, unknown>>;
  for (const r of rows) {
    const ids = JSON.parse(r.response_ids as string) as number[];
    const shown = r.shown_order ? (JSON.parse(r.shown_order as string) as number[]) : ids;
    const ratings = r.ratings ? (JSON.parse(r.ratings as string) as Record<string, Record<string, number>>) : {};
    const ranking = r.ranking ? (JSON.parse(r.ranking as string) as number[][]) : null;
    for (const responseId of ids) {
      out.line({
        judgment_id: r.id,
        item_id: r.item_id,
        item_kind: r.kind,
        prompt_id: `p_${String(r.prompt_key)}`,
        annotator_id: r.user_id,
        label_source: r.label_source,
        response_id: responseId,
        canonical_position: ids.indexOf(responseId),
        shown_position: shown.indexOf(responseId),
        ...(r.winner ? { winner: r.winner, is_winner: r.winner === 'a' ? ids[0] === responseId : r.winner === 'b' ? ids[1] === responseId : null } : {}),
        ...(r.strength !== null ? { strength: r.strength } : {}),
        ...(ranking ? { rank: ranking.findIndex((g) => g.includes(responseId)) + 1 } : {}),
        ...(ratings[String(responseId)] ? { ratings: ratings[String(responseId)] } : {}),
        ...(r.justification ? { justification: r.justification } : {}),
        guidelines_version: r.guidelines_version,
        time_spent_ms: r.time_spent_ms,
        gold: r.is_gold === 1,
        repeat_of_item_id: r.repeat_of_item_id,
        created_at: new Date(r.created_at as number).toISOString(),
        updated_at: new Date(r.updated_at as number).toISOString(),
      });
    }
  }
}

/** Battles in FastChat's clean-battle schema, one per comparison (winner first: sides are not stored for comparisons). */
function writeBattles(projectId: number, out: LineSink) {
  const rows = getDb()
    .$client.prepare(
      `select substr(p.content_hash, 1, 16) as prompt_key, c.is_tie, c.tie_kind, coalesce(c.annotator_id, c.label_source) as annotator, c.created_at, p.messages,
              a.content as a_content, a.system as a_system, b.content as b_content, b.system as b_system
       from comparisons c join prompts p on p.id = c.prompt_id join responses a on a.id = c.winner_response_id join responses b on b.id = c.loser_response_id
       where c.project_id = ? and c.winner_response_id != c.loser_response_id order by c.id`,
    )
    .iterate(projectId) as IterableIterator<{ prompt_key: string; is_tie: number; tie_kind: string | null; annotator: string; created_at: number; messages: string; a_content: string; a_system: string; b_content: string; b_system: string }>;
  for (const r of rows) {
    const prompt = JSON.parse(r.messages) as Message[];
    out.line({
      question_id: `p_${r.prompt_key}`,
      model_a: r.a_system,
      model_b: r.b_system,
      winner: !r.is_tie ? 'model_a' : r.tie_kind === 'both_bad' ? 'tie (bothbad)' : 'tie',
      judge: r.annotator,
      turn: prompt.filter((m) => m.role === 'user').length,
      anony: true,
      tstamp: Math.floor(r.created_at / 1000),
      conversation_a: [...prompt, { role: 'assistant', content: r.a_content }],
      conversation_b: [...prompt, { role: 'assistant', content: r.b_content }],
    });
  }
}

/** Where the export job with this id writes its files. */
export function exportDirectory(jobId: number): string {
  return path.join(dataDir(), 'exports', String(jobId));
}

/** An export job of the project, for its researchers (any other job id: the same 404 as a missing one). */
export function getExportJob(actor: Actor, projectId: number, jobId: number): JobView {
  assertCanManageProject(actor, projectId);
  return getProjectJobForActor(actor, jobId, { kind: 'export-dataset', projectId }, `export ${jobId} not found in project ${projectId}`);
}

/** A finished export job of the project, for its researchers: where its files are and their names. */
export function getExportFiles(actor: Actor, projectId: number, jobId: number): { dir: string; files: string[] } {
  const job = getExportJob(actor, projectId, jobId);
  if (job.status !== 'succeeded') throw new AppError('conflict', `export ${jobId} is ${job.status}, not finished`);
  const dir = exportDirectory(jobId);
  const files = (job.result as { files?: string[] } | null)?.files ?? [];
  if (!fs.existsSync(dir)) throw new AppError('not-found', `the files of export ${jobId} are no longer on the server`);
  return { dir, files };
}
