/**
 * Exports, streamed: the project's comparisons are read prompt by prompt in chunks (index
 * comparisons_project_prompt_idx), aggregated, turned into rows and written to files as they go, so
 * memory stays flat however large the project (bench/import.ts measures a million pairs). Every other
 * long read (the prompt list, the votes Dawid–Skene weighs, battles, raw annotations) is keyset-paginated:
 * a bounded page at a time, each page its own statement.
 */
import fs from 'node:fs';
import path from 'node:path';
import { and, asc, eq, gt, inArray, isNotNull, ne, or, sql, type SQL } from 'drizzle-orm';
import { aggregateVotes, createRowBuilder, selectRankingPairs, splitPrompts, votesFromRatings, type ExportCounts, type Message, type Part, type Vote } from '@/lib/data/export';
import { createValidator, type ValidationReport } from '@/lib/data/export-validation';
import { createExportWriter, dawidSkeneWeights } from '@/lib/data/export-files';
import type { ExportRequest } from '@/lib/data/export-settings';
import type { Actor } from '@/lib/auth/access';
import { artifactStore } from '@/lib/artifacts';
import { exportRoot } from '@/lib/artifacts/keys';
import { checkArtifactKey, isUnder } from '@/lib/artifacts/store';
import { AppError } from '@/lib/errors';
import { qualityReport } from '@/lib/stats/quality-report';
import { alias, db, rows as rowsOf, withReadSnapshot } from '../client';
import { comparisons, items, judgments, projects, prompts, responses } from '../schema';
import { bytewise } from '../sql-dialect';
import { getProjectJobForActor, type JobView } from './jobs';
import { assertCanManageProject } from './projects';
import { listPairwiseJudgments } from './quality';

export type ExportSummary = { out: string; files: string[]; counts: ExportCounts; validation: ValidationReport };

/** `progress` may return a promise (a job's progress write): the export waits for it before the next chunk. */
export type ExportHooks = { progress?: (fraction: number, message: string) => void | Promise<void>; signal?: AbortSignal };

/** Prompts per chunk: bounds memory (their comparisons, prompts and responses) and the IN lists. */
const CHUNK = 1000;
/** Rows per page of the keyset-paginated reads (prompt ids, votes, raw annotations). */
const PAGE = 10_000;
/** Battles carry the prompt and both responses' texts: smaller pages. */
const BATTLE_PAGE = 5000;

/** `is_tie`: 0/1 on SQLite, a boolean on PostgreSQL (raw rows keep each driver's values): read for truth only. */
type VoteRow = { id: number; prompt_id: number; w: number; l: number; is_tie: number | boolean; tie_kind: string | null; strength: number | null; annotator: string; group_id: string | null };

const toVote = (r: VoteRow): Vote => ({ promptId: r.prompt_id, a: r.w, b: r.l, outcome: r.is_tie ? (r.tie_kind === 'both_bad' ? 'both_bad' : 'tie') : 'a', strength: r.strength, annotator: r.annotator, groupId: r.group_id });

// The hot reads below run as drizzle `sql` and keep the driver's own values (is_tie 0/1 on SQLite, a boolean
// on PostgreSQL; JSON as text on both): the rows go straight into the export's aggregation, and a million of
// them should not pay for the builder's row mapping.
const VOTE_COLUMNS = sql`${comparisons.id} as id, ${comparisons.promptId} as prompt_id, ${comparisons.winnerResponseId} as w, ${comparisons.loserResponseId} as l, ${comparisons.isTie} as is_tie,
  ${comparisons.tieKind} as tie_kind, ${comparisons.strength} as strength, coalesce(${comparisons.annotatorId}, ${comparisons.labelSource}) as annotator, ${comparisons.groupId} as group_id`;

/**
 * A chunk's prompt ids as a literal IN list. They are integers read from the database, so they are written
 * into the statement rather than bound: binding 1,000 parameters through the query builder, twice a chunk,
 * cost the million-pair export several per cent.
 */
function idList(ids: readonly number[]): SQL {
  if (!ids.every((id) => Number.isSafeInteger(id))) throw new Error('an IN list takes integer ids only');
  return sql.raw(`(${ids.join(',')})`);
}

/** The comparisons an export reads: the project's, between two different responses. */
const exported = (projectId: number) => sql`${comparisons.projectId} = ${projectId} and ${comparisons.winnerResponseId} != ${comparisons.loserResponseId}`;

async function ratedJudgments(projectId: number, promptIds: readonly number[] | null) {
  const rows = await db()
    .select({ promptId: items.promptId, annotator: sql<string>`coalesce(${judgments.userId}, ${judgments.labelSource})`, ratings: judgments.ratings })
    .from(judgments)
    .innerJoin(items, eq(items.id, judgments.itemId))
    .where(and(eq(judgments.projectId, projectId), isNotNull(judgments.ratings), promptIds ? inArray(items.promptId, [...promptIds]) : undefined))
    // Judgment ids are text: ordered byte by byte on both dialects, so the votes come in one order.
    .orderBy(asc(items.promptId), asc(bytewise(judgments.id)));
  return rows.map((r) => ({ promptId: r.promptId, annotator: r.annotator, ratings: r.ratings! }));
}

/** Every prompt with a vote, ascending, a page at a time along comparisons_project_prompt_idx. */
async function votedPromptIds(projectId: number): Promise<number[]> {
  const ids: number[] = [];
  for (let after = 0; ; ) {
    const page = await rowsOf<{ prompt_id: number }>(
      sql`select distinct ${comparisons.promptId} as prompt_id from ${comparisons} where ${exported(projectId)} and ${comparisons.promptId} > ${after} order by ${comparisons.promptId} limit ${PAGE}`,
    );
    if (page.length === 0) return ids;
    for (const r of page) ids.push(r.prompt_id);
    after = page[page.length - 1]!.prompt_id;
  }
}

/** Every vote of the project in id order, a page at a time (Dawid–Skene weighs them all at once). */
async function allVotes(projectId: number): Promise<Vote[]> {
  const votes: Vote[] = [];
  for (let after = 0; ; ) {
    const page = await rowsOf<VoteRow>(sql`select ${VOTE_COLUMNS} from ${comparisons} where ${exported(projectId)} and ${comparisons.id} > ${after} order by ${comparisons.id} limit ${PAGE}`);
    if (page.length === 0) return votes;
    for (const r of page) votes.push(toVote(r));
    after = page[page.length - 1]!.id;
  }
}

/** Writes one export of the project into `outDir` and returns what was written, with the pre-flight report. */
export async function writeProjectExport(projectId: number, outDir: string, request: ExportRequest, hooks: ExportHooks = {}): Promise<ExportSummary> {
  // It reads in pages; one snapshot keeps the files consistent with each other while annotators go on.
  return withReadSnapshot(() => writeExportFromSnapshot(projectId, outDir, request, hooks));
}

async function writeExportFromSnapshot(projectId: number, outDir: string, request: ExportRequest, hooks: ExportHooks): Promise<ExportSummary> {
  const [project] = await db().select({ name: projects.name }).from(projects).where(eq(projects.id, projectId)).limit(1);
  if (!project) throw new AppError('not-found', `project ${projectId} not found`);
  const ratings = request.ratingsAttribute ? { attribute: request.ratingsAttribute, threshold: request.ratingsThreshold ?? 1 } : null;
  const ratingVotes = async (promptIds: readonly number[] | null) => (ratings ? votesFromRatings(await ratedJudgments(projectId, promptIds), ratings.attribute, ratings.threshold) : []);

  // Every prompt with a vote, ascending: the split is drawn over all of them before any row is written.
  const promptSet = new Set<number>(await votedPromptIds(projectId));
  for (const v of await ratingVotes(null)) promptSet.add(v.promptId);
  if (promptSet.size === 0) throw new AppError('invalid', `project ${projectId} has no comparisons to export yet`);
  const promptIds = [...promptSet].sort((a, b) => a - b);
  const split = splitPrompts(promptIds, request.options.testShare, request.options.seed);

  const options = { ...request.options };
  if (options.aggregation === 'dawid-skene' && !options.weights) {
    const votes = await allVotes(projectId);
    options.weights = dawidSkeneWeights([...votes, ...(await ratingVotes(null))]);
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
    for (let k = 0; k < promptIds.length; k += CHUNK) {
      hooks.signal?.throwIfAborted();
      const chunk = promptIds.slice(k, k + CHUNK);
      const wanted = new Set(chunk);
      // The chunk's comparisons in one range of comparisons_project_prompt_idx, prompt by prompt.
      const rows = await rowsOf<VoteRow>(
        sql`select ${VOTE_COLUMNS} from ${comparisons} where ${exported(projectId)} and ${comparisons.promptId} between ${chunk[0]} and ${chunk[chunk.length - 1]} order by ${comparisons.promptId}, ${comparisons.id}`,
      );
      const votes = rows.filter((r) => wanted.has(r.prompt_id)).map(toVote);
      if (ratings) votes.push(...(await ratingVotes(chunk)));
      for (const v of votes) annotators.add(v.annotator);
      const promptsOf = new Map<number, Message[]>();
      const promptKeys = new Map<number, string>();
      const promptRows = await rowsOf<{ id: number; messages: string; content_hash: string }>(
        sql`select ${prompts.id} as id, ${prompts.messages} as messages, ${prompts.contentHash} as content_hash from ${prompts} where ${prompts.id} in ${idList(chunk)}`,
      );
      for (const p of promptRows) {
        promptsOf.set(p.id, JSON.parse(p.messages) as Message[]);
        promptKeys.set(p.id, p.content_hash.slice(0, 16));
      }
      const responsesOf = new Map<number, { content: string; system: string }>();
      const responseRows = await rowsOf<{ id: number; content: string; system: string }>(
        sql`select ${responses.id} as id, ${responses.content} as content, ${responses.system} as system from ${responses} where ${responses.promptId} in ${idList(chunk)}`,
      );
      for (const r of responseRows) responsesOf.set(r.id, { content: r.content, system: r.system });
      builder.add(aggregateVotes(selectRankingPairs(votes, options.rankingPairs), options), { prompts: promptsOf, responses: responsesOf, promptKeys });
      if (hooks.progress || hooks.signal) {
        await hooks.progress?.(Math.min(k + CHUNK, promptIds.length) / promptIds.length, `${Math.min(k + CHUNK, promptIds.length)} of ${promptIds.length} prompts written`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    if (writer.battles) await writeBattles(projectId, writer.battles);
    if (writer.raw) await writeRawAnnotations(projectId, writer.raw);
    const validation = validator.finish(builder.counts);
    const pairwise = await listPairwiseJudgments(projectId);
    const files = writer.finish({
      projectName: project.name,
      exportedAt: new Date().toISOString(),
      judgments: pairwise.length,
      annotators: annotators.size,
      agreement: { alphaChoice: pairwise.length ? qualityReport(pairwise).agreement.alphaChoice : null },
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

/**
 * One row per (judgment, response): everything an auditor needs to re-aggregate. In (created_at, id) order,
 * a page at a time; ids (text) compared and ordered byte by byte, so both dialects write one order.
 */
async function writeRawAnnotations(projectId: number, out: LineSink) {
  let cursor: { createdAt: Date; id: string } | null = null;
  for (;;) {
    const after: SQL | undefined = cursor
      ? or(gt(judgments.createdAt, cursor.createdAt), and(eq(judgments.createdAt, cursor.createdAt), sql`${bytewise(judgments.id)} > ${cursor.id}`))
      : undefined;
    const page: (typeof judgments.$inferSelect)[] = await db()
      .select()
      .from(judgments)
      .where(and(eq(judgments.projectId, projectId), after))
      .orderBy(asc(judgments.createdAt), asc(bytewise(judgments.id)))
      .limit(PAGE);
    if (page.length === 0) return;
    const last = page[page.length - 1]!;
    cursor = { createdAt: last.createdAt, id: last.id };
    const itemRows = await db()
      .select({ id: items.id, kind: items.kind, responseIds: items.responseIds, isGold: items.isGold, repeatOfItemId: items.repeatOfItemId, promptKey: sql<string>`substr(${prompts.contentHash}, 1, 16)` })
      .from(items)
      .innerJoin(prompts, eq(prompts.id, items.promptId))
      .where(inArray(items.id, [...new Set(page.map((j) => j.itemId))]));
    const itemOf = new Map(itemRows.map((i) => [i.id, i]));
    for (const j of page) {
      const item = itemOf.get(j.itemId);
      if (!item) continue;
      const ids = item.responseIds;
      const shown = j.shownOrder ?? ids;
      const ratings = j.ratings ?? {};
      const ranking = j.ranking;
      for (const responseId of ids) {
        out.line({
          judgment_id: j.id,
          item_id: j.itemId,
          item_kind: item.kind,
          prompt_id: `p_${item.promptKey}`,
          annotator_id: j.userId,
          label_source: j.labelSource,
          response_id: responseId,
          canonical_position: ids.indexOf(responseId),
          shown_position: shown.indexOf(responseId),
          ...(j.winner ? { winner: j.winner, is_winner: j.winner === 'a' ? ids[0] === responseId : j.winner === 'b' ? ids[1] === responseId : null } : {}),
          ...(j.strength !== null ? { strength: j.strength } : {}),
          ...(ranking ? { rank: ranking.findIndex((g) => g.includes(responseId)) + 1 } : {}),
          ...(ratings[String(responseId)] ? { ratings: ratings[String(responseId)] } : {}),
          ...(j.justification ? { justification: j.justification } : {}),
          guidelines_version: j.guidelinesVersion,
          time_spent_ms: j.timeSpentMs,
          gold: item.isGold,
          repeat_of_item_id: item.repeatOfItemId,
          created_at: j.createdAt.toISOString(),
          updated_at: j.updatedAt.toISOString(),
        });
      }
    }
  }
}

const battleA = alias(responses, 'battle_a');
const battleB = alias(responses, 'battle_b');

/** Battles in FastChat's clean-battle schema, one per comparison (winner first: sides are not stored for comparisons). In id order, a page at a time. */
async function writeBattles(projectId: number, out: LineSink) {
  for (let after = 0; ; ) {
    const page = await db()
      .select({
        id: comparisons.id,
        promptKey: sql<string>`substr(${prompts.contentHash}, 1, 16)`,
        isTie: comparisons.isTie,
        tieKind: comparisons.tieKind,
        annotator: sql<string>`coalesce(${comparisons.annotatorId}, ${comparisons.labelSource})`,
        createdAt: comparisons.createdAt,
        messages: prompts.messages,
        aContent: battleA.content,
        aSystem: battleA.system,
        bContent: battleB.content,
        bSystem: battleB.system,
      })
      .from(comparisons)
      .innerJoin(prompts, eq(prompts.id, comparisons.promptId))
      .innerJoin(battleA, eq(battleA.id, comparisons.winnerResponseId))
      .innerJoin(battleB, eq(battleB.id, comparisons.loserResponseId))
      .where(and(eq(comparisons.projectId, projectId), ne(comparisons.winnerResponseId, comparisons.loserResponseId), gt(comparisons.id, after)))
      .orderBy(asc(comparisons.id))
      .limit(BATTLE_PAGE);
    if (page.length === 0) return;
    after = page[page.length - 1]!.id;
    for (const r of page) {
      const prompt = r.messages as Message[];
      out.line({
        question_id: `p_${r.promptKey}`,
        model_a: r.aSystem,
        model_b: r.bSystem,
        winner: !r.isTie ? 'model_a' : r.tieKind === 'both_bad' ? 'tie (bothbad)' : 'tie',
        judge: r.annotator,
        turn: prompt.filter((m) => m.role === 'user').length,
        anony: true,
        tstamp: Math.floor(r.createdAt.getTime() / 1000),
        conversation_a: [...prompt, { role: 'assistant', content: r.aContent }],
        conversation_b: [...prompt, { role: 'assistant', content: r.bContent }],
      });
    }
  }
}

/** An export job of the project, for its researchers (any other job id: the same 404 as a missing one). */
export async function getExportJob(actor: Actor, projectId: number, jobId: number): Promise<JobView> {
  await assertCanManageProject(actor, projectId);
  return getProjectJobForActor(actor, jobId, { kind: 'export-dataset', projectId }, `export ${jobId} not found in project ${projectId}`);
}

/**
 * A finished export job of the project, for its researchers: each file it wrote (the names its result
 * lists), with its key in the artifact store and its size. The files are under the prefix the result names
 * (`exports/<job>/a<attempt>`); a job from before the artifact store wrote them to `exports/<job>`.
 */
export async function getExportFiles(actor: Actor, projectId: number, jobId: number): Promise<{ name: string; key: string; size: number }[]> {
  const job = await getExportJob(actor, projectId, jobId);
  if (job.status !== 'succeeded') throw new AppError('conflict', `export ${jobId} is ${job.status}, not finished`);
  const result = job.result as { files?: string[]; artifactPath?: unknown } | null;
  const prefix = typeof result?.artifactPath === 'string' && isUnder(result.artifactPath, exportRoot(jobId)) ? result.artifactPath : exportRoot(jobId);
  const sizes = new Map((await artifactStore().list(checkArtifactKey(prefix))).map((e) => [e.key, e.size]));
  const files = (result?.files ?? []).map((name) => ({ name, key: `${prefix}/${name}`, size: sizes.get(`${prefix}/${name}`) }));
  if (files.length === 0 || files.some((f) => f.size === undefined)) throw new AppError('not-found', `the files of export ${jobId} are no longer on the server`);
  return files.map((f) => ({ ...f, size: f.size! }));
}
