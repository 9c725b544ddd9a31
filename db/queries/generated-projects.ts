/**
 * Writes a generated preference dataset (lib/demo) into a new project in one write transaction: simulated
 * annotators, prompts, responses, pairwise items, judgments and their derived comparisons.
 */
import { comparisonFromPairwise } from '@/lib/annotation/derive-comparisons';
import type { Actor } from '@/lib/auth/access';
import { contentHash } from '@/lib/data/content-hash';
import type { GeneratedDataset } from '@/lib/demo/generate-preferences';
import { projectSettingsSchema } from '@/lib/projects/settings';
import { sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { withWriteTransaction, type Db } from '../client';
import { items, judgments, projectGuidelines, projectMembers, projects, prompts, responses, users } from '../schema';
import { insertComparisons } from './comparisons';

export const DEMO_GUIDELINES = `# How to judge

Read the conversation, then both responses. Pick the response that is **more helpful, correct and clear**.

- **Tie** when both are good and you cannot separate them; **Both bad** when neither answers well.
- Length is not quality: a short correct answer beats a long vague one.
- Use the strength scale for how sure you are (−3 … +3).
`;

export type InsertedProject = { projectId: number; prompts: number; responses: number; items: number; judgments: number; comparisons: number };

/**
 * Bulk rows (10,000 prompts make ~110,000 rows) travel as one JSON parameter per statement, unpacked in
 * order by `jsonb_each` (`j.value` is one row's array): drizzle builds a multi-row VALUES list at tens of
 * µs a row. (SQLite's JSON functions: PostgreSQL will need its own unpacking, `jsonb_array_elements`.)
 */
const ROWS_PER_STATEMENT = 1000;

const chunks = <T>(rows: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(rows.length / ROWS_PER_STATEMENT) }, (_, k) => rows.slice(k * ROWS_PER_STATEMENT, (k + 1) * ROWS_PER_STATEMENT));

/** A column list for `insert into t (…)`. */
const columnList = (...columns: SQLiteColumn[]) => sql.join(columns.map((column) => sql.identifier(column.name)), sql`, `);

/** `j.value ->> 0, j.value ->> 1, …`: the first `n` fields of a JSON row. */
const fields = (n: number) => sql.raw(Array.from({ length: n }, (_, k) => `j.value ->> ${k}`).join(', '));

/** Runs an INSERT … SELECT … RETURNING id per chunk of `rows`; returns the new ids in row order. */
async function insertReturningIds(tx: Db, rows: readonly unknown[][], insert: (json: string) => SQL): Promise<number[]> {
  const ids: number[] = [];
  for (const chunk of chunks(rows)) {
    const inserted = await tx.all<{ id: number }>(insert(JSON.stringify(chunk)));
    // RETURNING's row order is unspecified, but AUTOINCREMENT ids grow in insertion order (here the rows' order).
    ids.push(...inserted.map((r) => r.id).sort((a, b) => a - b));
  }
  return ids;
}

export async function insertGeneratedProject(actor: Actor, dataset: GeneratedDataset, meta: { name: string; description: string; isDemo?: boolean }): Promise<InsertedProject> {
  const overlap = Math.max(1, Math.min(dataset.config.overlap, dataset.annotators.length || 1));
  const settings = projectSettingsSchema.parse({ tasks: ['pairwise'], overlap, strengthScale: '7', justification: 'optional' });
  return withWriteTransaction(async (tx) => {
    const [project] = await tx
      .insert(projects)
      .values({ name: meta.name, description: meta.description, settings, guidelines: DEMO_GUIDELINES, isDemo: meta.isDemo ?? false, createdBy: actor.id })
      .returning({ id: projects.id });
    const projectId = project!.id;
    await tx.insert(projectGuidelines).values({ projectId, version: 1, markdown: DEMO_GUIDELINES });
    if (actor.id) await tx.insert(projectMembers).values({ projectId, userId: actor.id, role: 'researcher' });

    const annotatorIds = dataset.annotators.map(() => crypto.randomUUID());
    if (annotatorIds.length > 0) {
      await tx
        .insert(users)
        .values(dataset.annotators.map((a, i) => ({ id: annotatorIds[i]!, name: `${a.name} (simulated)`, email: `sim-${projectId}-${i + 1}@demo.invalid`, role: 'annotator' as const, isSimulated: true })));
      await tx.insert(projectMembers).values(annotatorIds.map((userId) => ({ projectId, userId, role: 'annotator' as const })));
    }

    const promptIds = await insertReturningIds(
      tx,
      dataset.prompts.map((p) => [JSON.stringify(p.messages), contentHash(p.messages), JSON.stringify(p.tags)]),
      (json) =>
        sql`insert into ${prompts} (${columnList(prompts.projectId, prompts.messages, prompts.contentHash, prompts.tags)})
            select ${projectId}, ${fields(3)} from jsonb_each(${json}) j order by j.key returning ${sql.identifier(prompts.id.name)} as id`,
    );
    const flatResponseIds = await insertReturningIds(
      tx,
      dataset.prompts.flatMap((p, k) => p.responses.map((r) => [promptIds[k]!, r.system, r.content, contentHash(r.content)])),
      (json) =>
        sql`insert into ${responses} (${columnList(responses.projectId, responses.promptId, responses.system, responses.content, responses.contentHash)})
            select ${projectId}, ${fields(4)} from jsonb_each(${json}) j order by j.key returning ${sql.identifier(responses.id.name)} as id`,
    );
    let next = 0;
    const responseIds = dataset.prompts.map((p) => p.responses.map(() => flatResponseIds[next++]!));

    const judgedCount = new Map<number, number>();
    for (const j of dataset.judgments) judgedCount.set(j.pair, (judgedCount.get(j.pair) ?? 0) + 1);
    const itemIds = await insertReturningIds(
      tx,
      dataset.pairs.map((pair, index) => {
        const ids = responseIds[pair.prompt]!;
        const n = judgedCount.get(index) ?? 0;
        return [promptIds[pair.prompt]!, JSON.stringify([ids[pair.a]!, ids[pair.b]!]), n, n >= overlap ? 'complete' : 'open'];
      }),
      (json) =>
        sql`insert into ${items} (${columnList(items.projectId, items.promptId, items.kind, items.requiredAnnotations, items.responseIds, items.annotationCount, items.status)})
            select ${projectId}, j.value ->> 0, 'pair', ${overlap}, j.value ->> 1, j.value ->> 2, j.value ->> 3 from jsonb_each(${json}) j order by j.key
            returning ${sql.identifier(items.id.name)} as id`,
    );

    const judgmentRows: unknown[][] = [];
    const comparisonRows: unknown[][] = [];
    for (const j of dataset.judgments) {
      const pair = dataset.pairs[j.pair]!;
      const ids = responseIds[pair.prompt]!;
      const canonical = [ids[pair.a]!, ids[pair.b]!];
      const id = crypto.randomUUID();
      const strength = j.winner === 'a' || j.winner === 'b' ? j.strength : 0;
      const userId = annotatorIds[j.annotator]!;
      judgmentRows.push([id, itemIds[j.pair]!, userId, j.winner, strength, JSON.stringify(j.flipped ? [canonical[1], canonical[0]] : canonical), j.timeSpentMs]);
      const c = comparisonFromPairwise(canonical, j.winner, strength);
      comparisonRows.push([promptIds[pair.prompt]!, id, c.winnerResponseId, c.loserResponseId, c.isTie ? 1 : 0, c.tieKind, c.strength, c.weight, userId]);
    }
    for (const chunk of chunks(judgmentRows)) {
      await tx.run(
        sql`insert into ${judgments} (${columnList(judgments.id, judgments.itemId, judgments.userId, judgments.winner, judgments.strength, judgments.shownOrder, judgments.timeSpentMs, judgments.projectId, judgments.guidelinesVersion, judgments.labelSource)})
            select ${fields(7)}, ${projectId}, 1, 'synthetic' from jsonb_each(${JSON.stringify(chunk)}) j order by j.key`,
      );
    }
    // In COMPARISON_INSERT_COLUMNS order: project, prompt, judgment, winner, loser, tie, tie kind, strength, weight, annotator, label source, group.
    for (const chunk of chunks(comparisonRows)) {
      await insertComparisons(tx, sql`select ${projectId}, ${fields(9)}, 'synthetic', null from jsonb_each(${JSON.stringify(chunk)}) j order by j.key`);
    }

    return {
      projectId,
      prompts: promptIds.length,
      responses: flatResponseIds.length,
      items: itemIds.length,
      judgments: dataset.judgments.length,
      comparisons: dataset.judgments.length,
    };
  });
}
