/**
 * Writes a generated preference dataset (lib/demo) into a new project in one write transaction: simulated
 * annotators, prompts, responses, pairwise items, judgments and their derived comparisons.
 */
import { comparisonFromPairwise } from '@/lib/annotation/derive-comparisons';
import type { Actor } from '@/lib/auth/access';
import { contentHash } from '@/lib/data/content-hash';
import type { GeneratedDataset } from '@/lib/demo/generate-preferences';
import { projectSettingsSchema } from '@/lib/projects/settings';
import { sql, type Column, type SQL } from 'drizzle-orm';
import { rows as rowsOf, execute, withWriteTransaction, type Db } from '../client';
import { items, judgments, projectGuidelines, projectMembers, projects, prompts, responses, users } from '../schema';
import { asJson, jsonArrayElements } from '../sql-dialect';
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
 * order by `jsonArrayElements` (`j.value` is one row's array, `j.key` its place): drizzle builds a multi-row
 * VALUES list at tens of µs a row. A field `j.value ->> n` is text on PostgreSQL, so each is cast to its
 * column's type (`intAt`, `realAt`, `boolAt`, `jsonAt` below); the casts cost SQLite nothing it notices.
 */
const ROWS_PER_STATEMENT = 1000;

const chunks = <T>(rows: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(rows.length / ROWS_PER_STATEMENT) }, (_, k) => rows.slice(k * ROWS_PER_STATEMENT, (k + 1) * ROWS_PER_STATEMENT));

/** A column list for `insert into t (…)`. */
const columnList = (...columns: Column[]) => sql.join(columns.map((column) => sql.identifier(column.name)), sql`, `);

/** One chunk's rows as a FROM source `j`, in order by `j.key`. */
const each = (batch: string) => jsonArrayElements(batch, 'j', 'json');

/** Field `n` of a JSON row as text, and cast to the other column types. */
const textAt = (n: number) => sql.raw(`j.value ->> ${n}`);
const intAt = (n: number) => sql.raw(`cast(j.value ->> ${n} as integer)`);
const realAt = (n: number) => sql.raw(`cast(j.value ->> ${n} as double precision)`);
/** A 0/1 field as a boolean column's value: PostgreSQL's boolean from the comparison, SQLite's 0/1. */
const boolAt = (n: number) => sql.raw(`(cast(j.value ->> ${n} as integer) <> 0)`);
const jsonAt = (n: number) => asJson(textAt(n));
const list = (...values: SQL[]) => sql.join(values, sql`, `);

/** A bound integer in a SELECT list (PostgreSQL would take an untyped parameter there for text). */
const intParam = (value: number) => sql`cast(${value} as integer)`;

type Returned = { id: number } & Record<string, unknown>;

/**
 * Runs an INSERT … SELECT … ORDER BY j.key … RETURNING id per chunk of `rows`; returns the new ids in row
 * order. RETURNING's row order is unspecified: where the rows have a natural key (`key`: of a row, and of
 * a returned row), the returned rows are matched to the rows by it; otherwise by id order, since ids grow
 * in insertion order (SQLite's AUTOINCREMENT, a PostgreSQL identity's sequence, within one statement),
 * which ORDER BY makes the rows' order.
 */
async function insertReturningIds(
  tx: Db,
  rows: readonly unknown[][],
  insert: (batch: string) => SQL,
  key?: { ofRow: (row: unknown[]) => string; ofReturned: (returned: Returned) => string },
): Promise<number[]> {
  const ids: number[] = [];
  for (const chunk of chunks(rows)) {
    const inserted = await rowsOf<Returned>(insert(JSON.stringify(chunk)), tx);
    if (inserted.length !== chunk.length) throw new Error(`expected to insert ${chunk.length} rows, inserted ${inserted.length}`);
    if (key) {
      const idOf = new Map(inserted.map((r) => [key.ofReturned(r), r.id]));
      for (const row of chunk) ids.push(idOf.get(key.ofRow(row))!);
    } else {
      ids.push(...inserted.map((r) => r.id).sort((a, b) => a - b));
    }
  }
  return ids;
}

const name = (column: Column) => sql.identifier(column.name);

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
      (batch) =>
        sql`insert into ${prompts} (${columnList(prompts.projectId, prompts.messages, prompts.contentHash, prompts.tags)})
            select ${intParam(projectId)}, ${list(jsonAt(0), textAt(1), jsonAt(2))} from ${each(batch)} order by j.key
            returning ${name(prompts.id)} as id, ${name(prompts.contentHash)} as hash`,
      // A project's prompts are unique by content hash.
      { ofRow: (row) => row[1] as string, ofReturned: (r) => r.hash as string },
    );
    const flatResponseIds = await insertReturningIds(
      tx,
      dataset.prompts.flatMap((p, k) => p.responses.map((r) => [promptIds[k]!, r.system, r.content, contentHash(r.content)])),
      (batch) =>
        sql`insert into ${responses} (${columnList(responses.projectId, responses.promptId, responses.system, responses.content, responses.contentHash)})
            select ${intParam(projectId)}, ${list(intAt(0), textAt(1), textAt(2), textAt(3))} from ${each(batch)} order by j.key
            returning ${name(responses.id)} as id, ${name(responses.promptId)} as prompt_id, ${name(responses.system)} as system, ${name(responses.contentHash)} as hash`,
      // Responses are unique by (prompt, system, content hash).
      { ofRow: (row) => `${row[0] as number}\u0000${row[1] as string}\u0000${row[3] as string}`, ofReturned: (r) => `${r.prompt_id as number}\u0000${r.system as string}\u0000${r.hash as string}` },
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
      (batch) =>
        sql`insert into ${items} (${columnList(items.projectId, items.promptId, items.kind, items.requiredAnnotations, items.responseIds, items.annotationCount, items.status)})
            select ${intParam(projectId)}, ${intAt(0)}, 'pair', ${intParam(overlap)}, ${list(jsonAt(1), intAt(2), textAt(3))} from ${each(batch)} order by j.key
            returning ${name(items.id)} as id`,
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
      await execute(
        sql`insert into ${judgments} (${columnList(judgments.id, judgments.itemId, judgments.userId, judgments.winner, judgments.strength, judgments.shownOrder, judgments.timeSpentMs, judgments.projectId, judgments.guidelinesVersion, judgments.labelSource)})
            select ${list(textAt(0), intAt(1), textAt(2), textAt(3), intAt(4), jsonAt(5), intAt(6))}, ${intParam(projectId)}, 1, 'synthetic' from ${each(JSON.stringify(chunk))} order by j.key`,
        tx,
      );
    }
    // In COMPARISON_INSERT_COLUMNS order: project, prompt, judgment, winner, loser, tie, tie kind, strength, weight, annotator, label source, group.
    for (const chunk of chunks(comparisonRows)) {
      await insertComparisons(
        tx,
        sql`select ${intParam(projectId)}, ${list(intAt(0), textAt(1), intAt(2), intAt(3), boolAt(4), textAt(5), realAt(6), realAt(7), textAt(8))}, 'synthetic', cast(null as text) from ${each(JSON.stringify(chunk))} order by j.key`,
      );
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
